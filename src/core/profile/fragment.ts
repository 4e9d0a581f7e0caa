// The profile's kernel fragment: `CONFIG_X=value` lines on top of the base
// config. Lines are normalized (`# CONFIG_X is not set` → `CONFIG_X=n`,
// surrounding blanks trimmed) and a repeated option must repeat its value.
// In a profile file the lines edit what the profile inherits (its parent's
// fragment, or the guest base): `+CONFIG_X=y` (or a plain line) sets,
// `-CONFIG_X` removes; the resolved profile carries the whole list.
import { z } from 'zod';
import { EVERY_PROBLEM, describeMismatch, expecting, formatPath, type Problem } from '../schema.ts';
import { profileDefaults } from './defaults.ts';
import { checkConfigStringValue, GUEST_CONFIG_FRAGMENT } from '../kernel-config.ts';

// CONFIG_X=y|n|"string"|number|0xhex, or the `# CONFIG_X is not set` form (=m is told apart below)
const LINE_RE = /^\s*(?:CONFIG_[A-Z0-9_]+=(?:y|n|"(?:[^"\\]|\\.)*"|-?\d+|0x[0-9a-fA-F]+)|# CONFIG_[A-Z0-9_]+ is not set)\s*$/;
// A line of a profile file: the above, optionally after +, or -CONFIG_X (for editors' JSON Schema).
export const FILE_LINE_PATTERN = `^\\s*(?:\\+?${LINE_RE.source.slice(1, -1)}|-\\s*CONFIG_[A-Z0-9_]+\\s*)$`;
export const FILE_LINE_DESCRIPTION =
  'CONFIG_X=y, =n, ="string" or =number (also +CONFIG_X=...) sets an option on top of what the profile inherits (its parent\'s options, or kbisect\'s guest base); -CONFIG_X removes one';
const MODULE_RE = /^\s*(CONFIG_[A-Z0-9_]+)=m\s*$/;
const NOT_SET_RE = /^# CONFIG_([A-Z0-9_]+) is not set$/;
const FRAGMENT_PATH = ['kernel', 'fragment'] as const;

// `# CONFIG_X is not set` → `CONFIG_X=n`; anything else trimmed.
function normalizeLine(line: string): string {
  const trimmed = line.trim();
  const notSet = NOT_SET_RE.exec(trimmed);
  return notSet ? `CONFIG_${notSet[1] ?? ''}=n` : trimmed;
}

// The message for a line that is not a CONFIG_X=value line.
function describeBadLine(issue: { input?: unknown }): string {
  const module = typeof issue.input === 'string' ? MODULE_RE.exec(issue.input) : null;
  if (module) return `${module[1] ?? ''}=m: the guest loads no modules (everything boots from the kernel image); use =y`;
  return describeMismatch('CONFIG_NAME=y, =n, ="string" or =number', issue.input);
}

interface LineNote {
  index: number;
  message: string;
}

interface FragmentReading {
  // normalized, each option once, in first-appearance order
  lines: string[];
  // the same option with another value: an error
  conflicts: LineNote[];
  // the same option with the same value: a warning
  repeats: LineNote[];
}

// Reads the well-formed lines (the others are reported by their own check).
function readFragmentLines(raw: readonly unknown[]): FragmentReading {
  const reading: FragmentReading = { lines: [], conflicts: [], repeats: [] };
  const seen = new Map<string, { value: string; index: number }>();
  raw.forEach((item, index) => {
    if (typeof item !== 'string' || !LINE_RE.test(item)) return;
    const line = normalizeLine(item);
    const eq = line.indexOf('=');
    const option = line.slice(0, eq);
    const value = line.slice(eq + 1);
    const before = seen.get(option);
    const where = before && formatPath([...FRAGMENT_PATH, before.index]);
    if (before === undefined) {
      seen.set(option, { value, index });
      reading.lines.push(line);
    } else if (before.value !== value) {
      reading.conflicts.push({ index, message: `${option} is set to ${value} here and to ${before.value} at ${where}` });
    } else {
      reading.repeats.push({ index, message: `${option} repeated (same value as ${where})` });
    }
  });
  return reading;
}

// A string value Kbuild would paste into a shell command is refused here too, not only at build time.
const STRING_LINE_RE = /^\s*(CONFIG_[A-Z0-9_]+)=(".*")\s*$/;
const fragmentLine = z
  .string({ error: expecting('a CONFIG_X=value line') })
  .regex(LINE_RE, { error: describeBadLine })
  .superRefine((line, ctx) => {
    const m = STRING_LINE_RE.exec(line);
    const unsafe = m ? checkConfigStringValue(m[1] ?? '', m[2] ?? '') : null;
    if (unsafe !== null) ctx.addIssue({ code: 'custom', input: line, message: unsafe });
  })
  .meta({ description: 'CONFIG_X=y, =n, ="string", =number or "# CONFIG_X is not set" (not =m: the guest loads no modules)' });

// kernel.fragment: the lines normalized, each option once.
export const fragmentSchema = z
  .array(fragmentLine, { error: expecting('a list of CONFIG_X=y lines') })
  .superRefine((raw, ctx) => {
    if (!Array.isArray(raw)) return;
    for (const { index, message } of readFragmentLines(raw).conflicts) ctx.addIssue({ code: 'custom', path: [index], input: raw[index], message });
  }, EVERY_PROBLEM)
  .default(() => [...profileDefaults.kernel.fragment])
  .transform((raw) => readFragmentLines(raw).lines)
  .meta({ description: 'kernel options on top of the base config (tinyconfig), each verified after olddefconfig' });

// Lines that repeat an option with the same value: harmless, but worth a word.
export function findRepeatedLines(raw: unknown): Problem[] {
  if (!Array.isArray(raw)) return [];
  return readFragmentLines(raw).repeats.map(({ index, message }) => ({ path: formatPath([...FRAGMENT_PATH, index]), message }));
}

// --- inheritance: a layer's lines edit what it inherits ---

// `-CONFIG_X`: removes the option from what the profile inherits.
const REMOVE_RE = /^\s*-\s*(CONFIG_[A-Z0-9_]+)\s*$/;
const EDIT_EXPECTED = 'CONFIG_X=value (or +CONFIG_X=value) to set an option, -CONFIG_X to remove one';

// The guest base: the options the build stage puts in every guest kernel
// (kernel-config.ts), as profile lines. A profile's fragment edits this list.
export function guestBaseFragment(): string[] {
  return GUEST_CONFIG_FRAGMENT.split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map(normalizeLine);
}

// Options without which the guest cannot boot, be talked to, or reach the network.
const NEEDED_BY_THE_GUEST = [
  'CONFIG_PCI',
  'CONFIG_VIRTIO',
  'CONFIG_VIRTIO_PCI',
  'CONFIG_VIRTIO_NET',
  'CONFIG_NET',
  'CONFIG_INET',
  'CONFIG_TTY',
  'CONFIG_PRINTK',
  'CONFIG_SERIAL_8250',
  'CONFIG_SERIAL_8250_CONSOLE',
  'CONFIG_BLK_DEV_INITRD',
  'CONFIG_DEVTMPFS',
  'CONFIG_PROC_FS',
  'CONFIG_BINFMT_ELF',
  'CONFIG_PVH',
];

export interface FragmentEdits {
  // option → its normalized line, in the order written
  set: Map<string, string>;
  // options to remove
  remove: Set<string>;
}

export interface FragmentEditReading {
  edits: FragmentEdits;
  problems: Problem[];
  warnings: Problem[];
}

function optionOf(line: string): string {
  return line.slice(0, line.indexOf('='));
}

// Reads one profile file's kernel.fragment as edits: plain and `+` lines set
// an option, `-CONFIG_X` removes one. Bad lines are reported and left out.
export function readFragmentEdits(raw: unknown): FragmentEditReading {
  const reading: FragmentEditReading = { edits: { set: new Map(), remove: new Set() }, problems: [], warnings: [] };
  if (raw === undefined || raw === null) return reading;
  const at = (index: number): string => formatPath([...FRAGMENT_PATH, index]);
  if (!Array.isArray(raw)) {
    reading.problems.push({ path: formatPath(FRAGMENT_PATH), message: describeMismatch(`a list of lines: ${EDIT_EXPECTED}`, raw) });
    return reading;
  }
  const firstSeen = new Map<string, { index: number; value: string }>();
  raw.forEach((item: unknown, index) => {
    if (typeof item !== 'string') {
      reading.problems.push({ path: at(index), message: describeMismatch(EDIT_EXPECTED, item) });
      return;
    }
    const removal = REMOVE_RE.exec(item);
    if (!removal && item.trimStart().startsWith('-')) {
      reading.problems.push({ path: at(index), message: describeMismatch('-CONFIG_NAME (a removal names the option only, no value)', item) });
      return;
    }
    let option: string;
    let value: string;
    if (removal) {
      option = removal[1] ?? '';
      value = '(removed)';
    } else {
      const text = item.trimStart().startsWith('+') ? item.trimStart().slice(1) : item;
      const checked = fragmentLine.safeParse(text);
      if (!checked.success) {
        reading.problems.push({ path: at(index), message: checked.error.issues[0]?.message ?? describeMismatch(EDIT_EXPECTED, item) });
        return;
      }
      const line = normalizeLine(text);
      option = optionOf(line);
      value = line.slice(option.length + 1);
    }
    const before = firstSeen.get(option);
    if (before === undefined) {
      firstSeen.set(option, { index, value });
      if (removal) reading.edits.remove.add(option);
      else reading.edits.set.set(option, `${option}=${value}`);
    } else if (before.value !== value) {
      const here = value === '(removed)' ? 'removed' : `set to ${value}`;
      const there = before.value === '(removed)' ? 'removed' : value === '(removed)' ? `set to ${before.value}` : `to ${before.value}`;
      reading.problems.push({ path: at(index), message: `${option} is ${here} here and ${there} at ${at(before.index)}` });
    } else {
      reading.warnings.push({ path: at(index), message: `${option} repeated (same ${removal ? 'removal' : 'value'} as ${at(before.index)})` });
    }
  });
  return reading;
}

// Applies a file's edits to the fragment it inherits. The result depends only
// on the options and their values, not on the order they were written in: the
// guest base's options in the base's order, then every other option by name.
export function applyFragmentEdits(inherited: readonly string[], edits: FragmentEdits): { lines: string[]; warnings: Problem[] } {
  const warnings: Problem[] = [];
  const options = new Map(inherited.map((line) => [optionOf(line), line] as const));
  for (const option of edits.remove) {
    if (!options.delete(option)) warnings.push({ path: formatPath(FRAGMENT_PATH), message: `-${option}: not in the inherited fragment, nothing to remove` });
  }
  for (const [option, line] of edits.set) options.set(option, line);
  const base = guestBaseFragment().map(optionOf);
  const baseSet = new Set(base);
  const ordered = [...base.filter((o) => options.has(o)), ...[...options.keys()].filter((o) => !baseSet.has(o)).sort()];
  for (const option of NEEDED_BY_THE_GUEST) {
    const line = options.get(option);
    if (line === undefined || line.endsWith('=n')) {
      warnings.push({ path: formatPath(FRAGMENT_PATH), message: `${option} is ${line === undefined ? 'removed' : 'turned off'}: the guest needs it to boot, talk to kbisect or reach the network` });
    }
  }
  return { lines: ordered.map((o) => options.get(o) ?? ''), warnings };
}
