// The small bisection commands: status, visualize, good/bad/skip, log, reset.
import { UserError } from '../../core/errors.ts';
import { nextActions, posteriorTable, summarize } from '../../core/bisect/index.ts';
import { buildReportInput } from '../../core/bisect/report-input.ts';
import type { Action, BisectEvent, BisectResult, PosteriorRow } from '../../core/bisect/types.ts';
import type { ReportInput } from '../../core/report/types.ts';
import { orderLogRecords, type BisectSession } from '../../core/session.ts';
import { resolveRevision } from '../../adapters/git.ts';
import { acquireLock } from '../../adapters/lock.ts';
import { archiveSession, readEvents, requireSession, sessionPaths } from '../../adapters/session-store.ts';
import { resetBuildWorkspace } from '../build.ts';
import { countBuildSlots } from '../build-cache.ts';
import { nextMeasured, openEventLog, recordEvent } from './record.ts';

export interface StatusReport {
  session: BisectSession;
  result: BisectResult;
  report: ReportInput;
  next: Action[];
  warnings: string[];
}

// Where the bisection stands: the engine's summary and what it wants next.
export async function getStatus(repo: string): Promise<StatusReport> {
  const { session, state, events, sampling, warnings } = await openEventLog(await sessionPaths(repo));
  const pending = session.mode === 'pending' ? ['no measurement chosen yet: kbisect run --cmd SCRIPT, or kbisect run --profile NAME'] : [];
  return { session, result: summarize(state), report: buildReportInput(session, state, events, new Date().toISOString(), sampling), next: nextActions(state), warnings: [...warnings, ...pending] };
}

// The remaining candidates with their posterior (for `visualize`).
export async function getPosterior(repo: string): Promise<{ session: BisectSession; rows: PosteriorRow[] }> {
  const { session, state } = await openEventLog(await sessionPaths(repo));
  return { session, rows: posteriorTable(state) };
}

// A human's verdict (`kbisect good|bad|skip [REV]`); REV defaults to the commit the engine wants measured next.
export async function markCommit(repo: string, rawRev: string | undefined, as: 'good' | 'bad' | 'skip', reason?: string): Promise<{ sha: string; subject: string }> {
  const paths = await sessionPaths(repo);
  const lock = await acquireLock(paths.lock, `kbisect ${as}`);
  try {
    const log = await openEventLog(paths);
    const { session } = log;
    let sha: string;
    if (rawRev === undefined) {
      const next = nextMeasured(log.state);
      if (next === null) throw new UserError('nothing to mark: the bisection is done', 'see `kbisect report`');
      sha = next;
    } else {
      sha = await resolveRevision(repo, rawRev);
    }
    const index = session.commits.findIndex((c) => c.sha === sha);
    if (index < 0) {
      throw new UserError(`${rawRev ?? sha} (${sha.slice(0, 12)}) is not in the bisected range ${session.goodRev}..${session.badRev}`, 'see `kbisect visualize` for the candidates');
    }
    const event: BisectEvent = as === 'skip' ? { kind: 'skip', commit: sha, reason: reason ?? 'skipped by hand' } : { kind: 'mark', commit: sha, as };
    await recordEvent(log, event, { source: 'hand' });
    return { sha, subject: session.commits[index]?.subject ?? '' };
  } finally {
    await lock.release();
  }
}

// The session and its events as JSONL: `kbisect replay` takes it back.
export async function exportLog(repo: string): Promise<string> {
  const paths = await sessionPaths(repo);
  const session = await requireSession(paths);
  const { events, sampling } = await readEvents(paths, session);
  const { eventsFile: _e, ...portable } = session;
  return [portable, ...orderLogRecords(events, sampling)].map((r) => JSON.stringify(r)).join('\n') + '\n';
}

// Ends the bisection: its files move to the archive (even damaged ones); the
// kernel cache stays, and so do the build slots (worktrees and O= dirs) unless
// `work` is set: the next bisection of the same tree then starts with an
// incremental build instead of a clean one (minutes on a small host).
export async function resetBisection(
  repo: string,
  opts: { work?: boolean } = {},
): Promise<{ hadSession: boolean; archivedTo: string | null; worktreesRemoved: number; worktreesKept: number }> {
  const paths = await sessionPaths(repo);
  const lock = await acquireLock(paths.lock, 'kbisect reset');
  try {
    const archivedTo = await archiveSession(paths);
    if (opts.work !== true) return { hadSession: archivedTo !== null, archivedTo, worktreesRemoved: 0, worktreesKept: await countBuildSlots(repo) };
    const ws = await resetBuildWorkspace(repo);
    return { hadSession: archivedTo !== null, archivedTo, worktreesRemoved: ws.removedSlots, worktreesKept: ws.busySlots.length };
  } finally {
    await lock.release();
  }
}
