// A profile file's text as data: YAML parsed with bounds (size, aliases: no
// bomb) and the core schema, and the errors a bad file gets, which describe
// it without echoing it.
import { parseDocument } from 'yaml';
import { UserError } from '../errors.ts';
import { MAX_PROFILE_BYTES } from './types.ts';

const NOT_A_PROFILE_HINT = 'see `kbisect profile show tcp-rr` for a complete, valid profile';
// each problem is cut to this length, so that no message carries much of a file
const MAX_PROBLEM_CHARS = 400;
const MAX_PROBLEMS = 20;
// YAML aliases a profile may use; far fewer than an alias bomb needs
const MAX_YAML_ALIASES = 50;

export function sizeError(source: string, bytes: number): UserError {
  return new UserError(
    `${source}: expected a profile of at most ${MAX_PROFILE_BYTES} bytes (${MAX_PROFILE_BYTES / 1024} KiB), got ${bytes} bytes`,
    'give a kbisect profile YAML file (`kbisect profile show tcp-rr` prints one of about 3 KiB)',
  );
}

// What a parsed document is, without any of its content.
function describeShape(raw: unknown): string {
  if (raw === null || raw === undefined) return 'an empty document';
  if (typeof raw === 'string') return `a string of ${raw.length} characters`;
  if (Array.isArray(raw)) return `a list of ${raw.length} item${raw.length === 1 ? '' : 's'}`;
  if (typeof raw === 'object') return 'a mapping without a `schema` key';
  return `a ${typeof raw}`;
}

export function shortenProblem(problem: string): string {
  return problem.length <= MAX_PROBLEM_CHARS ? problem : `${problem.slice(0, MAX_PROBLEM_CHARS - 20)}... (${problem.length} characters)`;
}

// Parses YAML text into a profile mapping: bounded in size and in aliases
// (no alias bomb), YAML 1.2 core schema (no merge keys, no custom tags: an
// unknown tag is an error, not a warning). A file that is not a profile is
// described by its shape, never echoed.
export function parseProfileYaml(text: string, source: string): Record<string, unknown> {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_PROFILE_BYTES) throw sizeError(source, bytes);
  let raw: unknown;
  try {
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, schema: 'core', merge: false });
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem !== undefined) throw problem;
    raw = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    const first = shortenProblem((error as Error).message.split('\n')[0] ?? '');
    throw new UserError(`${source}: not valid YAML: ${first}`, `fix the YAML syntax (indentation, quotes); ${NOT_A_PROFILE_HINT}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !('schema' in raw)) {
    throw new UserError(`${source}: expected a kbisect profile (a YAML mapping with schema: 1, name, topology, tests...), got ${describeShape(raw)}`, NOT_A_PROFILE_HINT);
  }
  return raw as Record<string, unknown>;
}

export function invalidProfile(source: string, errors: readonly string[]): UserError {
  const shown = errors.slice(0, MAX_PROBLEMS).map(shortenProblem);
  if (errors.length > MAX_PROBLEMS) shown.push(`... and ${errors.length - MAX_PROBLEMS} more`);
  return new UserError(`${source}: invalid profile (${errors.length} problem${errors.length === 1 ? '' : 's'}):\n  ${shown.join('\n  ')}`, NOT_A_PROFILE_HINT);
}
