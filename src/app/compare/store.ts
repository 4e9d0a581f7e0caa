// The files of one comparison, under the repository's git dir like a
// bisection's (.git/kbisect/compare/<A>-<B>-<key>/), or under the data dir for
// --kernel images: compare.json (written once, atomically), events.jsonl
// (every boot and failure, fsync'd as it arrives), report.json, archive/.
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { parseCompareHeader, type CompareHeader } from '../../core/compare/schema.ts';
import { parseLoggedEvent, type LoggedEvent } from '../../core/session.ts';
import { sha256Hex } from '../../adapters/digest.ts';
import { findGitCommonDir } from '../../adapters/git.ts';
import { dataDir } from '../../adapters/paths.ts';
import { appendJsonl, readJsonl, writeFileAtomic, type TornTail } from '../../adapters/store.ts';

export interface ComparePaths {
  dir: string;
  header: string;
  events: string;
  report: string;
  archive: string;
}

// <A>-<B>-<hash of what is measured>: one directory per ordered pair and measurement.
export function compareDirName(aId: string, bId: string, measurementKey: string): string {
  return `${aId.slice(0, 12)}-${bId.slice(0, 12)}-${sha256Hex(measurementKey).slice(0, 12)}`;
}

// Where the comparisons of a repository live.
export async function compareRootOf(repo: string): Promise<string> {
  return join(await findGitCommonDir(repo), 'kbisect', 'compare');
}

// Where comparisons of kernel images live: they belong to no repository.
export function imageCompareRoot(): string {
  return join(dataDir(), 'compare');
}

// The files of the comparison kept in `dir`.
export function comparePathsIn(dir: string): ComparePaths {
  return { dir, header: join(dir, 'compare.json'), events: join(dir, 'events.jsonl'), report: join(dir, 'report.json'), archive: join(dir, 'archive') };
}

const RESTART_HINT = 'add --restart to start the comparison over (the old files are moved to archive/, nothing is deleted)';

// compare.json, or null before the first run; a damaged one is a UserError.
export async function readCompareHeader(paths: ComparePaths): Promise<CompareHeader | null> {
  let text: string;
  try {
    text = await readFile(paths.header, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UserError(`${paths.header} is damaged: expected a JSON object, got ${text.length} bytes that do not parse`, RESTART_HINT);
  }
  const parsed = parseCompareHeader(raw);
  if (!parsed.ok) throw new UserError(`${paths.header} is damaged: ${parsed.problem}`, RESTART_HINT);
  return parsed.value;
}

// Written once, atomically, before the first boot: a crash leaves no half header.
export async function writeCompareHeader(paths: ComparePaths, header: CompareHeader): Promise<void> {
  await writeFileAtomic(paths.header, `${JSON.stringify(header, null, 2)}\n`);
}

// Every logged event, validated; a torn last line (kill -9 mid-append) is reported and set aside at the next append.
export async function readCompareEvents(paths: ComparePaths): Promise<{ events: LoggedEvent[]; warning: string | null }> {
  const hint = `the log is damaged in the middle: fix or remove that line, or ${RESTART_HINT}`;
  const { records, truncatedTail } = await readJsonl(paths.events, hint);
  const events = records.map(({ line, value }) => {
    const parsed = parseLoggedEvent(value);
    if (!parsed.ok) throw new UserError(`${paths.events}:${line}: not a kbisect event: ${parsed.problem}`, hint);
    return parsed.value;
  });
  const warning = truncatedTail === null ? null : `${paths.events}: its last line (${truncatedTail.length} bytes) was cut short by a crash; it is ignored and moved aside at the next write`;
  return { events, warning };
}

// Appends one accepted event, fsync'd before it returns.
export async function appendCompareEvent(paths: ComparePaths, logged: LoggedEvent): Promise<TornTail | null> {
  return (await appendJsonl(paths.events, logged)).tornTail;
}

// Moves the comparison's files into archive/STAMP/ (--restart); null if there were none.
export async function archiveCompare(paths: ComparePaths): Promise<string | null> {
  let names: string[];
  try {
    names = (await readdir(paths.dir)).filter((n) => n === 'compare.json' || n === 'report.json' || /^events\.jsonl(\.torn-.*)?$/.test(n));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  if (names.length === 0) return null;
  const target = join(paths.archive, `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  await mkdir(target, { recursive: true });
  for (const name of names) await rename(join(paths.dir, name), join(target, name));
  return target;
}
