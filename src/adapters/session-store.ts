// The files of one bisection, kept per repository under its git dir (like
// git's BISECT_* files): session.json (what is bisected, replaced atomically),
// the events log it names (every verdict-relevant event, fsync'd as it
// arrives; the engine's state is a replay of it), the lock directory, and
// archive/ where reset and replay put what they replace. Everything read is
// validated (core/session.ts); a damaged file is a UserError with the way out.
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../core/errors.ts';
import { validateBisectConfig } from '../core/bisect/config.ts';
import { eventsFileOf, orderLogRecords, parseLogRecord, parseSession, type BisectSession, type LoggedEvent, type LoggedSampling } from '../core/session.ts';
import { findGitCommonDir } from './git.ts';
import { appendJsonl, exists, readJsonl, writeFileAtomic, type TornTail } from './store.ts';

export interface SessionPaths {
  dir: string;
  session: string;
  lock: string;
  report: string;
  archive: string;
}

// Where the bisection files of `repo` live.
export async function sessionPaths(repo: string): Promise<SessionPaths> {
  return sessionPathsIn(join(await findGitCommonDir(repo), 'kbisect'));
}

// The same files in another directory (a sweep keeps one bisection per alert).
export function sessionPathsIn(dir: string): SessionPaths {
  return { dir, session: join(dir, 'session.json'), lock: join(dir, 'lock'), report: join(dir, 'report.json'), archive: join(dir, 'archive') };
}

const RESET_HINT = 'kbisect reset moves the bisection files aside (nothing is deleted) so that you can start again';

// The session, or null when none was started; a damaged one is a UserError.
export async function readSession(paths: SessionPaths): Promise<BisectSession | null> {
  let text: string;
  try {
    text = await readFile(paths.session, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UserError(`${paths.session} is damaged: expected a JSON object, got ${text.length} bytes that do not parse`, RESET_HINT);
  }
  const parsed = parseSession(raw);
  if (!parsed.ok) throw new UserError(`${paths.session} is damaged: ${parsed.problem}`, RESET_HINT);
  if (parsed.value.mode !== 'pending') {
    const { errors } = validateBisectConfig(parsed.value.config);
    if (errors.length > 0) throw new UserError(`${paths.session} is damaged: config: ${errors.join('; ')}`, RESET_HINT);
  }
  return parsed.value;
}

// The session, or a UserError saying how to start one.
export async function requireSession(paths: SessionPaths): Promise<BisectSession> {
  const session = await readSession(paths);
  if (!session) throw new UserError('no bisection in progress in this repository', 'start one: kbisect start GOOD BAD --profile tcp-rr');
  return session;
}

export async function writeSession(paths: SessionPaths, session: BisectSession): Promise<void> {
  await writeFileAtomic(paths.session, `${JSON.stringify(session, null, 2)}\n`);
}

function eventsPath(paths: SessionPaths, session: BisectSession): string {
  return join(paths.dir, eventsFileOf(session));
}

export interface EventsRead {
  events: LoggedEvent[];
  // sampling.adaptive: the decided runs per boot, when made (its own line in the log)
  sampling: LoggedSampling[];
  // a last line cut short by a crash: set aside at the next write
  warning: string | null;
}

// Every logged event, validated; a torn last line is reported, a damaged middle line is a UserError.
export async function readEvents(paths: SessionPaths, session: BisectSession): Promise<EventsRead> {
  const file = eventsPath(paths, session);
  const hint = `the log is damaged in the middle: fix or remove that line (a copy of the file keeps the rest), or ${RESET_HINT}`;
  const { records, truncatedTail } = await readJsonl(file, hint);
  const events: LoggedEvent[] = [];
  const sampling: LoggedSampling[] = [];
  for (const { line, value } of records) {
    const parsed = parseLogRecord(value);
    if (!parsed.ok) throw new UserError(`${file}:${line}: not a kbisect event: ${parsed.problem}`, hint);
    if (parsed.value.kind === 'sampling') sampling.push({ ...parsed.value, afterEvents: Math.min(parsed.value.afterEvents, events.length) });
    else events.push(parsed.value);
  }
  const warning =
    truncatedTail === null
      ? null
      : `${file}: its last line (${truncatedTail.length} bytes) was cut short by a crash; it is ignored and will be moved aside to ${file}.torn-* at the next write`;
  return { events, sampling, warning };
}

// Appends one accepted event, or the sampling decision (the caller holds the lock); says where a torn tail went.
export async function appendEvent(paths: SessionPaths, session: BisectSession, logged: LoggedEvent | LoggedSampling): Promise<TornTail | null> {
  return (await appendJsonl(eventsPath(paths, session), logged)).tornTail;
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

// Moves the session's files into archive/STAMP/ (reset: nothing measured is deleted); null if there were none.
export async function archiveSession(paths: SessionPaths): Promise<string | null> {
  let names: string[];
  try {
    names = (await readdir(paths.dir)).filter((n) => n === 'session.json' || n === 'report.json' || n === 'slurm-jobs.jsonl' || /^events.*\.jsonl(\.torn-.*)?$/.test(n));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  if (names.length === 0) return null;
  const target = join(paths.archive, `${stamp()}-${process.pid}`);
  await mkdir(target, { recursive: true });
  for (const name of names) await rename(join(paths.dir, name), join(target, name));
  return target;
}

// Replaces the session and its whole log at once (replay): the new log is
// written in full under a new name, then session.json, which names it, is
// swapped in atomically; a crash leaves either the old bisection or the new.
export async function replaceSession(
  paths: SessionPaths,
  session: BisectSession,
  events: readonly LoggedEvent[],
  sampling: readonly LoggedSampling[] = [],
): Promise<{ archived: string | null }> {
  const newEvents = `events-${Date.now().toString(36)}${process.pid.toString(36)}.jsonl`;
  await writeFileAtomic(join(paths.dir, newEvents), orderLogRecords(events, sampling).map((e) => `${JSON.stringify(e)}\n`).join(''));
  const old = (await exists(paths.session)) ? await readFile(paths.session, 'utf8') : null;
  const previous = old === null ? [] : (await readdir(paths.dir)).filter((n) => /^events.*\.jsonl(\.torn-.*)?$/.test(n) && n !== newEvents);
  await writeSession(paths, { ...session, eventsFile: newEvents });
  if (old === null && previous.length === 0) return { archived: null };
  const target = join(paths.archive, `${stamp()}-${process.pid}`);
  await mkdir(target, { recursive: true });
  if (old !== null) await writeFileAtomic(join(target, 'session.json'), old);
  for (const name of previous) await rename(join(paths.dir, name), join(target, name));
  await rm(paths.report, { force: true });
  return { archived: target };
}
