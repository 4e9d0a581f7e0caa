// Real logs, replayed: boots recorded by `kbisect run` on this project's
// machines (TCG on a shared 2-core host), so that the engine is checked on
// the noise and drift it really meets and not only on simulated ones.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replay, summarize, type BisectConfig, type BisectEvent } from '../../../src/core/bisect/index.ts';

interface RecordedLog {
  readonly commits: string[];
  readonly config: BisectConfig;
  readonly events: (BisectEvent & { readonly at: string })[];
}

const log = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'logs', 'tcg-no-regression.json'), 'utf8')) as RecordedLog;

// Replays the log until the engine is done; returns the answer and the boots it used.
function replayUntilDone(config: Partial<BisectConfig>) {
  const input = { commits: log.commits, config: { ...log.config, ...config } };
  for (let n = 1; n <= log.events.length; n++) {
    const state = replay(input, log.events.slice(0, n));
    if (state.phase === 'done') return { result: summarize(state), events: n };
  }
  return { result: summarize(replay(input, log.events)), events: null };
}

describe('a recorded run on a range without a regression (GOOD and BAD alike, on a host that drifted)', () => {
  it('its boots really drift: GOOD alone moved by more than 30% between minutes 0-1 and 2-3', () => {
    const medianOf = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    const good = log.events.flatMap((e) => (e.kind === 'boot' && e.commit === log.commits[0] ? [medianOf(e.runs)] : []));
    expect(medianOf(good.slice(15, 20)) / medianOf(good.slice(0, 6))).toBeGreaterThan(1.3);
  });

  it('with reference tracking: no regression of ±15% or more, after fewer boots than without', () => {
    const tracked = replayUntilDone({ referenceEvery: 2 });
    const untracked = replayUntilDone({ referenceEvery: 0 });
    expect(tracked.result.outcome).toBe('no-regression');
    expect(tracked.result.culprit).toBeNull();
    expect(tracked.events).not.toBeNull();
    expect(untracked.events === null || (tracked.events ?? Infinity) < untracked.events).toBe(true);
  });

  it.each([1, 2] as const)('at ±25% (what the end-to-end test asks) it is decided within 30 boots (rules %i)', (rules) => {
    const { result, events } = replayUntilDone({ referenceEvery: 2, minEffect: 0.25, rules });
    expect(result.outcome).toBe('no-regression');
    expect(events).toBeLessThanOrEqual(30);
  });
});
