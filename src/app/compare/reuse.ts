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

// How old a comparison's newest boot may be for a bisection to take its
// boots. Boots are only comparable with boots measured nearby in time: TCG
// throughput drifts up to 2x within minutes on a shared host, and calibration
// boots from another host state make the GOOD/BAD gap, the very yardstick of
// every later verdict, a gap between two moments rather than two kernels.
export const COMPARE_REUSE_MAX_AGE_MS = 30 * 60_000;

export interface CompareSeed {
  // boots appended to the bisection's log
  seeded: number;
  // a comparison's boots that were found but not taken: too old
  stale: { boots: number; ageMs: number } | null;
}

// Appends a comparison's boots of the session's GOOD and BAD to a new
// bisection's log (call it right after the session is written, before any
// event) when its newest boot is at most `maxAgeMs` old. A pending session
// has no measurement yet: nothing. A timestamp in the future (another
// machine's clock, a hand-edited log) counts as stale, never as fresh.
export async function seedBisectionFromCompare(paths: SessionPaths, session: BisectSession, opts: { now?: number; maxAgeMs?: number } = {}): Promise<CompareSeed> {
  const none: CompareSeed = { seeded: 0, stale: null };
  if (session.mode === 'pending') return none;
  const good = session.commits[0]?.sha;
  const bad = session.commits[session.commits.length - 1]?.sha;
  if (good === undefined || bad === undefined) return none;
  const events = await compareSamplesFor(session.repo, good, bad, measurementKeyOf(session));
  if (events.length === 0) return none;
  const now = opts.now ?? Date.now();
  const newest = Math.max(...events.map((e) => Date.parse(e.at)));
  const ageMs = now - newest;
  // a minute of clock adjustment is tolerated; more is another clock
  const future = !Number.isFinite(ageMs) || ageMs < -60_000;
  if (future || ageMs > (opts.maxAgeMs ?? COMPARE_REUSE_MAX_AGE_MS)) return { seeded: 0, stale: { boots: events.length, ageMs: future ? Number.NaN : ageMs } };
  for (const e of events) await appendEvent(paths, session, e);
  return { seeded: events.length, stale: null };
}
