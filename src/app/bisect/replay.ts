// `kbisect replay FILE`: restores a bisection from a `kbisect log` file,
// possibly written on another machine by someone else. Everything in it is
// validated before anything is written; a command or a toolchain in it (code
// that `run` would execute) needs the user's consent; the switch is atomic.
import { stat, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { validateBisectConfig } from '../../core/bisect/config.ts';
import { parseConfigFragment } from '../../core/kernel-config.ts';
import { validateToolchain } from '../../core/kernel-build.ts';
import { parseLogRecord, parseSession, type BisectSession, type LoggedEvent, type LoggedSampling } from '../../core/session.ts';
import { resolveRevision } from '../../adapters/git.ts';
import { acquireLock } from '../../adapters/lock.ts';
import { replaceSession, sessionPaths } from '../../adapters/session-store.ts';
import { parseProfileText } from '../profiles.ts';
import { replayEvents } from './record.ts';
import { getStatus, type StatusReport } from './session-ops.ts';

// A log larger than this is not a kbisect log (a million events is ~250 MB less).
const MAX_LOG_BYTES = 256 * 1024 * 1024;
const LOG_HINT = 'give the file written by `kbisect log > FILE`';

export interface ReplayOptions {
  // the user read the command/toolchain the log carries and accepts running it
  trust?: boolean;
  // the user's own statement of the command: consent when it is the log's
  command?: string;
  toolchain?: string;
}

async function readLogFile(file: string): Promise<{ session: BisectSession; events: LoggedEvent[]; sampling: LoggedSampling[] }> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (error) {
    throw new UserError(`cannot read ${file}: ${(error as Error).message}`, LOG_HINT);
  }
  if (size > MAX_LOG_BYTES) throw new UserError(`${file}: expected a kbisect log of at most ${MAX_LOG_BYTES} bytes, got ${size}`, LOG_HINT);
  const lines = (await readFile(file, 'utf8')).split('\n');
  const records: { line: number; value: unknown }[] = [];
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    try {
      records.push({ line: i + 1, value: JSON.parse(text) as unknown });
    } catch {
      throw new UserError(`${file}:${i + 1}: expected a JSON line, got ${JSON.stringify(text.slice(0, 40))}${i === lines.length - 1 ? ' (the file is cut short)' : ''}`, LOG_HINT);
    }
  });
  const [first, ...rest] = records;
  return validateLogRecords(
    first === undefined ? undefined : { where: `${file}:1`, value: first.value },
    rest.map(({ line, value }) => ({ where: `${file}:${line}`, value })),
    { empty: `${file}:1`, hint: LOG_HINT },
  );
}

// The session and events of a log (a `kbisect log` file or an evidence bundle), validated before anything uses them.
export function validateLogRecords(
  rawSession: { where: string; value: unknown } | undefined,
  rawEvents: readonly { where: string; value: unknown }[],
  opts: { empty: string; hint: string },
): { session: BisectSession; events: LoggedEvent[]; sampling: LoggedSampling[] } {
  const parsed = parseSession(rawSession?.value);
  if (!rawSession || !parsed.ok) throw new UserError(`${rawSession?.where ?? opts.empty}: expected the session of a kbisect log, ${rawSession ? `but ${parsed.ok ? '' : parsed.problem}` : 'got an empty file'}`, opts.hint);
  const { eventsFile: _ignored, ...session } = parsed.value;
  if (session.mode !== 'pending') {
    const { errors } = validateBisectConfig(session.config);
    if (errors.length > 0) throw new UserError(`${rawSession.where}: config: ${errors.join('; ')}`, opts.hint);
  }
  const events: LoggedEvent[] = [];
  const sampling: LoggedSampling[] = [];
  for (const { where, value } of rawEvents) {
    const e = parseLogRecord(value);
    if (!e.ok) throw new UserError(`${where}: not a kbisect event: ${e.problem}`, opts.hint);
    if (e.value.kind === 'sampling') sampling.push({ ...e.value, afterEvents: Math.min(e.value.afterEvents, events.length) });
    else events.push(e.value);
  }
  return { session: session as BisectSession, events, sampling };
}

// Refuses code from the log that the user has not agreed to run.
export function checkConsent(file: string, session: BisectSession, opts: ReplayOptions): void {
  if (session.toolchain !== null) {
    const errors = validateToolchain(session.toolchain);
    if (errors.length > 0) throw new UserError(`${file}: toolchain: ${errors.join('; ')}`, 'this log cannot be replayed here');
  }
  if (session.mode === 'kernel') {
    // the embedded profile and fragments go through the same checks as the user's own
    parseProfileText(session.profile.yaml, `${file}: profile ${session.profile.name}`, 'file');
    session.kernelConfig.fragments.forEach((f, i) => {
      const parsed = typeof f === 'string' ? parseConfigFragment(f, `${file}: fragment ${i + 1}`) : parseConfigFragment(f.text, `${file}: ${f.source}`);
      if (parsed.errors.length > 0) throw new UserError(`${file}: kernel config: ${parsed.errors.join('; ')}`, 'this log cannot be replayed here');
    });
  }
  if (opts.trust === true) return;
  if (session.mode === 'command' && session.command !== opts.command) {
    throw new UserError(
      `${file} carries a command that \`kbisect run\` would execute for every sample:\n    ${session.command}` +
        (opts.command === undefined ? '' : `\n  you gave --cmd ${JSON.stringify(opts.command)}, which is not the command its samples came from`),
      'read it; if you accept running it, replay with --trust (or with --cmd and exactly that command)',
    );
  }
  if (session.toolchain !== null && session.toolchain !== opts.toolchain) {
    throw new UserError(
      `${file} carries a compiler that kbisect would run for every build: ${session.toolchain}`,
      'check it; if you accept it, replay with --trust (or with --toolchain and exactly that compiler)',
    );
  }
}

// Restores a bisection from a `kbisect log` file, replacing the current one (which is archived).
export async function replayLog(repo: string, file: string, opts: ReplayOptions = {}): Promise<StatusReport & { archived: string | null }> {
  const { session: fromLog, events, sampling } = await readLogFile(file);
  checkConsent(file, fromLog, opts);
  return restoreSession(repo, fromLog, events, file, sampling);
}

// Makes a validated, consented log the repository's bisection (the switch is atomic; the old one is archived).
export async function restoreSession(
  repo: string,
  fromLog: BisectSession,
  events: readonly LoggedEvent[],
  file: string,
  sampling: readonly LoggedSampling[] = [],
): Promise<StatusReport & { archived: string | null }> {
  const session: BisectSession = { ...fromLog, repo: resolve(repo) };
  const paths = await sessionPaths(repo);
  const lock = await acquireLock(paths.lock, 'kbisect replay');
  let archived: string | null;
  try {
    for (const c of [session.commits[0], session.commits[session.commits.length - 1]]) {
      if (c) await resolveRevision(repo, c.sha);
    }
    // every event must be one the engine accepts, before anything is written
    replayEvents(session, events, file);
    ({ archived } = await replaceSession(paths, session, events, sampling));
  } finally {
    await lock.release();
  }
  return { ...(await getStatus(repo)), archived };
}
