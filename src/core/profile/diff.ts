// What differs between two resolved profiles, field by field: why two teams'
// numbers differ, and what an upstream change did to a pinned profile. Tests
// are matched by name and kernel options by option, so that a reordered list
// or one more test reads as what it is.
import { canonicalizeProfile, profileToDocument } from './canonical.ts';
import type { Profile } from './types.ts';

export interface ProfileDifference {
  // tests[rr].durationS, nic.offloads.csum, kernel.fragment[CONFIG_X]
  path: string;
  // absent: the field is not in that profile
  a?: unknown;
  b?: unknown;
}

export interface ProfileDiff {
  // what is measured (the part of the content hash)
  measured: ProfileDifference[];
  // name and description: not part of the hash
  labels: ProfileDifference[];
  sameContent: boolean;
}

// The profile as nested mappings keyed by what identifies each item.
function diffable(p: Profile): Record<string, unknown> {
  const { name: _name, description: _description, tests: _tests, kernel, ...rest } = p;
  // tests with their keys in the documented order
  const tests = profileToDocument(p).tests as Record<string, unknown>[];
  return {
    ...rest,
    tests: Object.fromEntries(tests.map((t) => [String(t.name), t])),
    testOrder: tests.map((t) => t.name),
    kernel: {
      fragment: Object.fromEntries(kernel.fragment.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)])),
    },
  };
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function childPath(parent: string, key: string): string {
  if (parent === 'tests' || parent === 'kernel.fragment') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

function walk(a: unknown, b: unknown, path: string, out: ProfileDifference[]): void {
  if (isMapping(a) && isMapping(b)) {
    const keys = [...Object.keys(a), ...Object.keys(b).filter((k) => !Object.hasOwn(a, k))];
    for (const key of keys) {
      const inA = Object.hasOwn(a, key) && a[key] !== undefined;
      const inB = Object.hasOwn(b, key) && b[key] !== undefined;
      const p = childPath(path, key);
      if (inA && inB) walk(a[key], b[key], p, out);
      else if (inA) out.push({ path: p, a: a[key] });
      else if (inB) out.push({ path: p, b: b[key] });
    }
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, a, b });
}

// Field-by-field differences of two resolved profiles.
export function diffProfiles(a: Profile, b: Profile): ProfileDiff {
  const measured: ProfileDifference[] = [];
  walk(diffable(a), diffable(b), '', measured);
  const order = measured.find((d) => d.path === 'testOrder');
  // the order of tests matters only when the same tests are in both
  const sameTests = measured.every((d) => !d.path.startsWith('tests[') || d.path.includes('].'));
  const shown = measured.filter((d) => d !== order || sameTests).map((d) => (d === order ? { ...d, path: 'tests (order)' } : d));
  const labels: ProfileDifference[] = [];
  if (a.name !== b.name) labels.push({ path: 'name', a: a.name, b: b.name });
  if (a.description !== b.description) labels.push({ path: 'description', a: a.description, b: b.description });
  return { measured: shown, labels, sameContent: canonicalizeProfile(a) === canonicalizeProfile(b) };
}

// Values longer than this are cut in the text form (--json has them whole).
const MAX_VALUE_CHARS = 60;

function formatValue(side: { has: boolean; value: unknown }): string {
  if (!side.has) return '(not set)';
  const text =
    typeof side.value === 'string' ? (side.value === '' || /[\s"]/.test(side.value.replace(/ /g, '')) ? JSON.stringify(side.value) : side.value) : JSON.stringify(side.value);
  return text.length <= MAX_VALUE_CHARS ? text : `${text.slice(0, MAX_VALUE_CHARS - 3)}...`;
}

// One aligned line per difference: `  tests[rr].durationS   5 → 10`.
export function formatProfileDiff(diff: ProfileDiff): string[] {
  const rows = [...diff.measured, ...diff.labels].map((d) => {
    const from = formatValue({ has: 'a' in d, value: d.a });
    const to = formatValue({ has: 'b' in d, value: d.b });
    const label = diff.labels.includes(d) ? `${d.path} (not hashed)` : d.path;
    return [label, `${from} → ${to}`] as const;
  });
  const width = Math.max(0, ...rows.map(([p]) => p.length));
  return rows.map(([p, change]) => `  ${p.padEnd(width)}  ${change}`);
}
