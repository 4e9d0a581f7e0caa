// What an evidence bundle holds, member by member, and how its members are
// read back: only the names below, only UTF-8 text, JSON that matches its
// schema. The session and the events go through the same validation as a
// `kbisect log` file (app/bisect/replay.ts); nothing here runs anything.
//
//   manifest.json            sha256 and size of every other member, and of the set (manifest.ts)
//   README.txt               what this is and how to read it
//   session.json             the session: range, settings, engine config, the profile YAML it embeds
//   events.jsonl             every logged event (the samples, with their boot details)
//   profile.yaml             kernel mode: the resolved profile, as the session embeds it
//   hosts.json               the host fingerprint(s) the boots ran on
//   kernels.json             every kernel measured: commit, image hash, build identity
//   kernels/<imageHash>/config   the final .config of that kernel, when this host's cache still had it
//   report.txt|json|html     the reports as `kbisect report` printed them when the bundle was written
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { checkSchema, formatProblem } from '../schema.ts';
import type { LoggedEvent } from '../session.ts';
import type { TarMember } from './tar.ts';

// The caps a bundle is read within (and written within: a bundle this kbisect
// writes, it can read). The largest real evidence is a long kernel bisection:
// ~2,000 boots with details (~6 MB of events), a session listing ~11,000
// commits (~2 MB), a few dozen .configs (~200 KB each): tens of MB. 256 MiB
// is the cap `kbisect replay` puts on a log, so any log it takes fits.
export const BUNDLE_LIMITS = {
  // the .tar.gz file
  maxFileBytes: 256 * 1024 * 1024,
  // the tar stream once gunzipped: the decompression-bomb cap, checked while streaming
  maxUnpackedBytes: 256 * 1024 * 1024,
  maxMembers: 4096,
  maxMemberBytes: 256 * 1024 * 1024,
  maxTotalBytes: 256 * 1024 * 1024,
} as const;
export type BundleLimits = { readonly [K in keyof typeof BUNDLE_LIMITS]: number };

export const MEMBER = {
  readme: 'README.txt',
  session: 'session.json',
  events: 'events.jsonl',
  profile: 'profile.yaml',
  hosts: 'hosts.json',
  kernels: 'kernels.json',
  reportText: 'report.txt',
  reportJson: 'report.json',
  reportHtml: 'report.html',
} as const;

const KERNEL_CONFIG = /^kernels\/([0-9a-f]{64})\/config$/;
const hex64 = /^[0-9a-f]{64}$/;

// The member that holds the .config of the kernel whose image hashes to `imageHash` (null: not a sha256, no member).
export function kernelConfigMember(imageHash: string): string | null {
  return hex64.test(imageHash) ? `kernels/${imageHash}/config` : null;
}

const shortText = (max: number) => z.string().max(max);
const factsSchema = z
  .object({ cpuModel: shortText(256), cpuCount: z.number().int().nonnegative(), hostKernel: shortText(256), qemuVersion: shortText(256), netperfVersion: shortText(256) })
  .strict();
export const hostRecordSchema = z
  .object({
    // the fingerprint id the boots carry
    id: shortText(256),
    accel: z.enum(['kvm', 'tcg']),
    boots: z.number().int().nonnegative(),
    // the facts the id hashes, from this host's results store; null when it no longer had them
    facts: factsSchema.nullable(),
  })
  .strict();
export type HostRecord = z.infer<typeof hostRecordSchema>;

export const kernelRecordSchema = z
  .object({
    commit: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'expected a full commit id'),
    // sha256 of the bzImage (a --kernel IMAGE measurement may name another id)
    imageHash: shortText(256),
    boots: z.number().int().nonnegative(),
    // the kernel cache entry it was built as: key = (commit, config hash, toolchain)
    build: z
      .object({
        key: shortText(128),
        configHash: shortText(128),
        toolchainId: shortText(512),
        toolchainVersion: shortText(512),
        builtAt: shortText(64),
        durationMs: z.number().nonnegative(),
      })
      .strict()
      .nullable(),
    // the member with its .config, or null with the reason in `missing`
    config: z.string().regex(KERNEL_CONFIG).nullable(),
    missing: shortText(512).nullable(),
  })
  .strict();
export type KernelRecord = z.infer<typeof kernelRecordSchema>;

export interface Measured {
  hosts: { id: string; accel: 'kvm' | 'tcg'; boots: number }[];
  kernels: { commit: string; imageHash: string; boots: number }[];
}

// The hosts and kernel images the log's boots name, in the order they first appear.
export function listMeasured(events: readonly LoggedEvent[]): Measured {
  const hosts = new Map<string, Measured['hosts'][number]>();
  const kernels = new Map<string, Measured['kernels'][number]>();
  for (const e of events) {
    const d = e.detail;
    if (d?.source !== 'boot') continue;
    const hostKey = `${d.host}\n${d.accel}`;
    const host = hosts.get(hostKey) ?? { id: d.host, accel: d.accel, boots: 0 };
    host.boots++;
    hosts.set(hostKey, host);
    const kernelKey = `${e.event.commit}\n${d.imageHash}`;
    const kernel = kernels.get(kernelKey) ?? { commit: e.event.commit, imageHash: d.imageHash, boots: 0 };
    kernel.boots++;
    kernels.set(kernelKey, kernel);
  }
  return { hosts: [...hosts.values()], kernels: [...kernels.values()] };
}

export interface BundleParts {
  readme: string;
  // session.json as written (portable: no events file name)
  sessionText: string;
  eventsText: string;
  profileYaml: string | null;
  hosts: readonly HostRecord[];
  kernels: readonly KernelRecord[];
  // .config text by image hash, for the kernels whose `config` names a member
  configs: ReadonlyMap<string, Uint8Array>;
  reports: { text: string; json: string; html: string };
}

const encoder = new TextEncoder();

// The members of a bundle, in a fixed order (the manifest is added by the writer).
export function assembleMembers(parts: BundleParts): TarMember[] {
  const text = (name: string, value: string): TarMember => ({ name, data: encoder.encode(value) });
  const members: TarMember[] = [text(MEMBER.readme, parts.readme), text(MEMBER.session, parts.sessionText), text(MEMBER.events, parts.eventsText)];
  if (parts.profileYaml !== null) members.push(text(MEMBER.profile, parts.profileYaml));
  members.push(text(MEMBER.hosts, `${JSON.stringify(parts.hosts, null, 2)}\n`), text(MEMBER.kernels, `${JSON.stringify(parts.kernels, null, 2)}\n`));
  const configNames = new Set<string>();
  for (const k of parts.kernels) {
    // two commits can build the same image (a docs-only change): one .config for both
    if (k.config === null || configNames.has(k.config)) continue;
    configNames.add(k.config);
    const data = parts.configs.get(k.imageHash);
    if (data === undefined) throw new RangeError(`kernels.json names ${k.config} but no .config was given for it`);
    members.push({ name: k.config, data });
  }
  members.push(text(MEMBER.reportText, parts.reports.text), text(MEMBER.reportJson, parts.reports.json), text(MEMBER.reportHtml, parts.reports.html));
  return members;
}

// Splits JSON lines (every line complete: a bundle's members are checksummed whole); a bad line is a UserError naming it.
export function parseJsonLines(text: string, where: string, hint?: string): { line: number; value: unknown }[] {
  const records: { line: number; value: unknown }[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      records.push({ line: i + 1, value: JSON.parse(line) as unknown });
    } catch {
      throw new UserError(`${where}:${i + 1}: expected a JSON line, got ${JSON.stringify(line.slice(0, 40))}`, hint);
    }
  });
  return records;
}

export interface BundleTexts {
  sessionText: string;
  eventsText: string;
  profileYaml: string | null;
  hosts: HostRecord[];
  kernels: KernelRecord[];
  configs: Map<string, string>;
  reports: { text: string; json: string; html: string };
}

// The verified members as text and checked records; unknown names, non-UTF-8 text and bad records are UserErrors.
export function readMembers(members: ReadonlyMap<string, Uint8Array>, where: string, hint?: string): BundleTexts {
  const refuse = (message: string): UserError => new UserError(`${where}: ${message}`, hint);
  const known = new Set<string>(Object.values(MEMBER));
  for (const name of members.keys()) {
    if (!known.has(name) && !KERNEL_CONFIG.test(name)) throw refuse(`member ${name} is not one a kbisect bundle holds`);
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const text = (name: string): string => {
    const data = members.get(name);
    if (data === undefined) throw refuse(`expected a member ${name}, got none`);
    try {
      return decoder.decode(data);
    } catch {
      throw refuse(`member ${name}: expected UTF-8 text, got bytes that are not`);
    }
  };
  const records = <T>(name: string, schema: z.ZodType<T>): T[] => {
    let value: unknown;
    try {
      value = JSON.parse(text(name));
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw refuse(`member ${name}: expected JSON, got text that does not parse`);
    }
    const checked = checkSchema(z.array(schema), value);
    if (!checked.ok) throw refuse(`member ${name}: ${checked.problems.slice(0, 3).map((p) => formatProblem('', p)).join('; ')}`);
    return checked.value;
  };
  const hosts = records(MEMBER.hosts, hostRecordSchema);
  const kernels = records(MEMBER.kernels, kernelRecordSchema);
  const configs = new Map<string, string>();
  for (const k of kernels) {
    if (k.config === null) continue;
    if (k.config !== kernelConfigMember(k.imageHash)) throw refuse(`${MEMBER.kernels}: kernel ${k.imageHash.slice(0, 12)} names the .config of another (${k.config})`);
    configs.set(k.imageHash, text(k.config));
  }
  for (const name of members.keys()) {
    const m = KERNEL_CONFIG.exec(name);
    if (m && !configs.has(m[1] as string)) throw refuse(`member ${name} belongs to no kernel in ${MEMBER.kernels}`);
  }
  return {
    sessionText: text(MEMBER.session),
    eventsText: text(MEMBER.events),
    profileYaml: members.has(MEMBER.profile) ? text(MEMBER.profile) : null,
    hosts,
    kernels,
    configs,
    reports: { text: text(MEMBER.reportText), json: text(MEMBER.reportJson), html: text(MEMBER.reportHtml) },
  };
}

const verdictSchema = z.object({
  outcome: z.enum(['culprit', 'range', 'no-regression', 'inconclusive', 'running']),
  culprit: z.object({ sha: z.string() }).nullable(),
  range: z.object({ commits: z.array(z.string()) }).nullable(),
});

export interface Verdict {
  outcome: 'culprit' | 'range' | 'no-regression' | 'inconclusive' | 'running';
  culprit: string | null;
  range: string[] | null;
}

// The verdict a bundle's report.json records, or null when it does not say.
export function parseRecordedVerdict(reportJson: string): Verdict | null {
  let value: unknown;
  try {
    value = JSON.parse(reportJson);
  } catch {
    return null;
  }
  const checked = checkSchema(verdictSchema, value);
  if (!checked.ok) return null;
  return { outcome: checked.value.outcome, culprit: checked.value.culprit?.sha ?? null, range: checked.value.range?.commits ?? null };
}

// Same outcome, same culprit, same range of candidates.
export function isSameVerdict(a: Verdict, b: Verdict): boolean {
  return a.outcome === b.outcome && a.culprit === b.culprit && JSON.stringify(a.range) === JSON.stringify(b.range);
}

// "culprit 1a2b3c4d5e6f", "range of 3 commits", "no-regression": for messages.
export function describeVerdict(v: Verdict): string {
  if (v.culprit !== null) return `${v.outcome} ${v.culprit.slice(0, 12)}`;
  if (v.range !== null) return `${v.outcome} of ${v.range.length} commits (${v.range.map((c) => c.slice(0, 12)).join(', ')})`;
  return v.outcome;
}

// README.txt: what the archive is, for whoever opens it with tar instead of kbisect.
export function composeReadme(meta: { createdAt: string; kbisectVersion: string; mode: string; repo: string; range: string }): string {
  return [
    'kbisect evidence bundle',
    '',
    `written ${meta.createdAt} by kbisect ${meta.kbisectVersion}`,
    `bisection (${meta.mode} mode) of ${meta.range} in ${meta.repo}`,
    '',
    'Read it anywhere, no repository needed:   kbisect report THIS.tar.gz [--json] [--html FILE]',
    'Restore it into a clone of the tree:      kbisect replay --from-bundle THIS.tar.gz',
    '  (re-runs the statistics from the samples and checks they give the same verdict;',
    '   a bundle that carries a command or a compiler needs --trust, after reading it)',
    '',
    'manifest.json holds the sha256 of every member and of the whole set; a bundle that',
    'does not match it is refused. The sums detect damage, not forgery: they are not a signature.',
    '',
  ].join('\n');
}

// Two JSON values alike up to floating-point noise (relative 1e-9): the same
// statistics computed by another JavaScript engine (Node and Deno can differ
// in the last bit of Math.exp/log), not a different result.
export function agreeWithinRounding(a: unknown, b: unknown, relTol = 1e-9): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || Math.abs(a - b) <= relTol * Math.max(Math.abs(a), Math.abs(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => agreeWithinRounding(x, b[i], relTol));
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => k in b && agreeWithinRounding((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], relTol));
  }
  return a === b;
}
