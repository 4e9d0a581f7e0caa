// A comparison's boots re-used by a bisection of the same pair: `kbisect
// start A B` after `kbisect compare A B` with the same measurement takes the
// logged boots of A and B as its first calibration boots instead of booting
// them again. Kept apart from app/compare.ts so that the bisection can import
// it without importing the comparison (which imports the bisection's start).
import { join } from 'node:path';
import type { BisectSession, LoggedEvent, MeasuredSession } from '../../core/session.ts';
import { appendEvent, type SessionPaths } from '../../adapters/session-store.ts';
import { exists } from '../../adapters/store.ts';
import { compareDirName, comparePathsIn, compareRootOf, readCompareEvents, readCompareHeader } from './store.ts';

// What a session's samples are samples of: the profile's content and judged
// test and the compiler (kernel mode), or the command. Two sessions with the
// same key produce boots that may be pooled.
export function measurementKeyOf(session: MeasuredSession): string {
  switch (session.mode) {
    case 'kernel':
      return ['kernel', session.profile.hash, session.test.name, session.toolchain ?? ''].join('\0');
    case 'command':
      return ['command', session.command].join('\0');
  }
}

// The logged boots of GOOD and BAD from a comparison of the same pair (either
// order) with the same measurement (measurementKeyOf), oldest first: a new
// bisection of GOOD..BAD takes them as calibration boots. [] without one.
export async function compareSamplesFor(repo: string, goodSha: string, badSha: string, measurementKey: string): Promise<LoggedEvent[]> {
  const root = await compareRootOf(repo);
  const found: LoggedEvent[] = [];
  for (const [a, b] of [[goodSha, badSha], [badSha, goodSha]] as const) {
    const paths = comparePathsIn(join(root, compareDirName(a, b, measurementKey)));
    if (!(await exists(paths.header))) continue;
    const header = await readCompareHeader(paths);
    if (header === null || header.measurementKey !== measurementKey || header.a.id !== a || header.b.id !== b) continue;
    const { events } = await readCompareEvents(paths);
    found.push(...events.filter((e) => e.event.kind === 'boot' && (e.event.commit === goodSha || e.event.commit === badSha)));
  }
  return found.sort((x, y) => Date.parse(x.at) - Date.parse(y.at));
}

// Appends a comparison's boots of the session's GOOD and BAD to a new
// bisection's log (call it right after the session is written, before any
// event); returns how many. A pending session has no measurement yet: 0.
export async function seedBisectionFromCompare(paths: SessionPaths, session: BisectSession): Promise<number> {
  if (session.mode === 'pending') return 0;
  const good = session.commits[0]?.sha;
  const bad = session.commits[session.commits.length - 1]?.sha;
  if (good === undefined || bad === undefined) return 0;
  const events = await compareSamplesFor(session.repo, good, bad, measurementKeyOf(session));
  for (const e of events) await appendEvent(paths, session, e);
  return events.length;
}
