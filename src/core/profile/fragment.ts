// The profile's kernel fragment: `CONFIG_X=value` lines on top of the base
// config. Lines are normalized (`# CONFIG_X is not set` → `CONFIG_X=n`,
// surrounding blanks trimmed) and a repeated option must repeat its value.
import { z } from 'zod';
import { EVERY_PROBLEM, describeMismatch, expecting, formatPath, type Problem } from '../schema.ts';
import { profileDefaults } from './defaults.ts';
import { checkConfigStringValue } from '../kernel-config.ts';

// CONFIG_X=y|n|"string"|number|0xhex, or the `# CONFIG_X is not set` form (=m is told apart below)
const LINE_RE = /^\s*(?:CONFIG_[A-Z0-9_]+=(?:y|n|"(?:[^"\\]|\\.)*"|-?\d+|0x[0-9a-fA-F]+)|# CONFIG_[A-Z0-9_]+ is not set)\s*$/;
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
