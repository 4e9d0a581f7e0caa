// A host that boots from a recorded trace instead of a noise model: a boot of
// commit i is one of the recorded boots of commit i, the one nearest in time
// to the replay's clock that this replay has not drawn yet. A method that wants
// more boots of a commit than were recorded has run out of trace: by default
// the draw throws TraceExhausted and the replay ends without a verdict (a
// redrawn boot is not new evidence, and a method that sees the same boot twice
// can grow a confidence the host never gave it); with `exhausted: 'redraw'`
// the commit's boots are drawn again, nearest first. The clock starts
// at a seeded point of the recording and advances by the recording's mean
// time per boot, wrapping around at the end: a replay meets the host's drift
// in the order it happened. A recorded failed boot replays as a failed boot.
import { nextUniform, type Rng } from '../../src/core/rng.ts';
import type { BootOutcome, SimHost } from '../sim/history.ts';
import type { Trace, TraceBoot } from './trace.ts';

// A replay wanted boot number `wanted` of a commit recorded `recorded` times.
export class TraceExhausted extends Error {
  constructor(
    readonly commit: number,
    readonly recorded: number,
  ) {
    super(`trace exhausted: commit ${commit} has ${recorded} recorded boot(s), the replay wanted one more`);
    this.name = 'TraceExhausted';
  }
}

export type ExhaustedPolicy = 'stop' | 'redraw';

export interface TraceHost extends SimHost {
  // draws that re-used a boot this replay had drawn before
  readonly redraws: () => number;
  // the recorded boot the last draw replayed (null: none, or the commit was never recorded)
  readonly lastDrawn: () => TraceBoot | null;
}

export function createTraceHost(trace: Trace, runsPerBoot: number, rng: Rng, exhausted: ExhaustedPolicy = 'stop'): TraceHost {
  const times = trace.boots.map((b) => Date.parse(b.at));
  const first = Math.min(...times);
  const step = (Math.max(...times) - first) / Math.max(1, trace.boots.length - 1);
  const span = step * trace.boots.length;
  const byCommit = trace.commits.map((_, c) => trace.boots.flatMap((b, i) => (b.commit === c ? [i] : [])));
  const drawn = trace.commits.map(() => new Set<number>());
  const draws = trace.commits.map(() => 0);
  let clock = nextUniform(rng) * span;
  let redraws = 0;
  let last: TraceBoot | null = null;
  return {
    redraws: () => redraws,
    lastDrawn: () => last,
    boot(index: number): BootOutcome {
      last = null;
      const recorded = byCommit[index] ?? [];
      if (recorded.length === 0) return { kind: 'build-failed' };
      const used = drawn[index] as Set<number>;
      if (used.size === recorded.length) {
        if (exhausted === 'stop') throw new TraceExhausted(index, recorded.length);
        used.clear();
      }
      if ((draws[index] as number) >= recorded.length) redraws++;
      draws[index] = (draws[index] as number) + 1;
      const now = first + clock;
      let best = recorded[0] as number;
      let bestGap = Number.POSITIVE_INFINITY;
      for (const i of recorded) {
        if (used.has(i)) continue;
        const gap = Math.abs((times[i] as number) - now);
        // two boots equally near: a coin flip
        if (gap < bestGap || (gap === bestGap && nextUniform(rng) < 0.5)) {
          best = i;
          bestGap = gap;
        }
      }
      used.add(best);
      clock = (clock + step) % span;
      const boot = trace.boots[best];
      last = boot ?? null;
      if (boot === undefined || boot.failed !== undefined) return { kind: 'boot-failed' };
      return { kind: 'boot', runs: boot.runs.slice(0, runsPerBoot) };
    },
  };
}
