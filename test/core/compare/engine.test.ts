// The comparison engine: outcomes at the calibration looks both ways, the
// seeded interleaving, failures, refusals, settings messages, and the
// family-wise error rate of "different" on simulated A = B pairs.
import { describe, expect, it } from 'vitest';
import { applyCompareEvent, computeCompareLooks, createCompare, evaluateLook, isAFirst, nextCompareAction, replayCompare } from '../../../src/core/compare/engine.ts';
import { validateCompareSettings } from '../../../src/core/compare/settings.ts';
import type { CompareSettings, CompareState } from '../../../src/core/compare/types.ts';
import type { BisectEvent } from '../../../src/core/bisect/types.ts';
import { UserError } from '../../../src/core/errors.ts';
import { createRng, nextNormal } from '../../../src/core/rng.ts';
import { makeLogSample } from '../../helpers/samples.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

function settingsOf(over: Partial<CompareSettings> = {}): CompareSettings {
  const { settings, errors } = validateCompareSettings({ seed: 5, direction: 'lower-is-worse', minEffect: 0.02 });
  expect(errors).toEqual([]);
  return { ...settings, ...over };
}

// Boots of A and B in the order the engine asks for, values from `value(side, k)`, until it decides.
function drive(settings: CompareSettings, value: (side: 'a' | 'b', k: number) => number): CompareState {
  let state = createCompare({ a: A, b: B, settings });
  for (let i = 0; i < 1000; i++) {
    const action = nextCompareAction(state);
    if (action.kind === 'done') return state;
    const k = state[action.side].boots.length;
    state = applyCompareEvent(state, { kind: 'boot', commit: action.id, runs: [value(action.side, k)] });
  }
  throw new Error('the comparison never decided');
}

const fromLogs = (a: readonly number[], b: readonly number[]) => (side: 'a' | 'b', k: number): number => 1000 * Math.exp((side === 'a' ? a : b)[k] ?? 0);

describe('compare: outcomes', () => {
  it.each([
    ['a clear drop in throughput', 'lower-is-worse', -0.08, 'different', 'worse'],
    ['a clear rise in throughput', 'lower-is-worse', 0.08, 'different', 'better'],
    ['a clear rise in latency', 'higher-is-worse', 0.08, 'different', 'worse'],
    ['no change, judged with ±5%', 'lower-is-worse', 0, 'same', null],
  ] as const)('%s: %s', (_name, direction, shift, outcome, verdict) => {
    const settings = settingsOf({ direction, minEffect: shift === 0 ? 0.05 : 0.02 });
    const state = drive(settings, fromLogs(makeLogSample(200, 0), makeLogSample(200, shift)));
    expect(state.final).toMatchObject({ outcome, verdict });
    // decided at the first look: 6 boots per side
    expect(state.a.boots.length + state.b.boots.length).toBe(12);
    expect(state.looks).toHaveLength(1);
  });

  it('a drift smaller than the noise and the minimum effect is inconclusive at the last look', () => {
    const settings = settingsOf({ minEffect: 0.001, maxBootsPerSide: 20 });
    const b = makeLogSample(200, -0.004).map((v, i) => v + (i % 2 ? 0.01 : -0.01));
    const state = drive(settings, fromLogs(makeLogSample(200, 0), b));
    expect(state.final?.outcome).toBe('inconclusive');
    expect(state.looks.map((l) => l.bootsA)).toEqual(computeCompareLooks(settings));
    expect(state.final?.reason).toMatch(/neither a difference nor sameness within ±0\.1% was shown after 20 of A and 20 of B/);
  });

  it('asks the calibration test both ways at α/2 each: the look reports the two-sided p and α', () => {
    const settings = settingsOf();
    const look = evaluateLook(makeLogSample(9, 0), makeLogSample(9, -0.08), 1, settings);
    const looks = computeCompareLooks(settings).length;
    expect(look.status).toBe('different');
    expect(look.alpha).toBeCloseTo(settings.alpha / looks, 12);
    expect(look.p).toBeLessThanOrEqual(look.alpha);
    expect(look.logShift).toBeCloseTo(-0.08, 2);
  });
});

describe('compare: interleaving', () => {
  it('boots pairs (one of each, the order a seeded coin) and replays to the same state', () => {
    const settings = settingsOf({ seed: 11 });
    const state = drive(settings, fromLogs(makeLogSample(200, 0), makeLogSample(200, -0.08)));
    const order: string[] = [];
    let s = createCompare({ a: A, b: B, settings });
    const events: BisectEvent[] = [];
    while (nextCompareAction(s).kind === 'measure') {
      const action = nextCompareAction(s);
      if (action.kind !== 'measure') break;
      order.push(action.side);
      const event: BisectEvent = { kind: 'boot', commit: action.id, runs: [action.side === 'a' ? 1000 : 900 + order.length] };
      events.push(event);
      s = applyCompareEvent(s, event);
    }
    for (let pair = 0; pair < order.length / 2; pair++) {
      const two = order.slice(2 * pair, 2 * pair + 2);
      expect([...two].sort()).toEqual(['a', 'b']);
      expect(two[0]).toBe(isAFirst(11, pair) ? 'a' : 'b');
    }
    // not the same order in every pair, and another seed gives another order
    expect(new Set(order.filter((_, i) => i % 2 === 0)).size).toBe(2);
    expect(Array.from({ length: 12 }, (_, p) => isAFirst(12, p))).not.toEqual(Array.from({ length: 12 }, (_, p) => isAFirst(11, p)));
    expect(replayCompare({ a: A, b: B, settings }, events)).toEqual(s);
    expect(state.final).not.toBeNull();
  });

  it('resumes a pair cut in half with the side behind', () => {
    const settings = settingsOf();
    const first = nextCompareAction(createCompare({ a: A, b: B, settings }));
    if (first.kind !== 'measure') throw new Error('expected a measurement');
    const s = replayCompare({ a: A, b: B, settings }, [{ kind: 'boot', commit: first.id, runs: [1000] }]);
    expect(nextCompareAction(s)).toMatchObject({ kind: 'measure', side: first.side === 'a' ? 'b' : 'a' });
  });
});

describe('compare: failures and refusals', () => {
  const settings = settingsOf();
  it('a side that fails twice in a row ends inconclusive, naming it; one failure is retried', () => {
    const once = replayCompare({ a: A, b: B, settings }, [{ kind: 'boot-failed', commit: B, reason: 'kernel panic' }]);
    expect(once.final).toBeNull();
    const twice = applyCompareEvent(once, { kind: 'build-failed', commit: B, reason: 'syntax error' });
    expect(twice.final).toEqual({ outcome: 'inconclusive', verdict: null, reason: 'B failed 2 times in a row (build failed: syntax error)' });
    expect(nextCompareAction(twice).kind).toBe('done');
  });

  it('a skip (exit 125) ends it at once', () => {
    const s = replayCompare({ a: A, b: B, settings }, [{ kind: 'skip', commit: A, reason: 'exit 125' }]);
    expect(s.final?.reason).toBe('A cannot be measured: exit 125');
  });

  it.each([
    ['a boot of a third commit', { kind: 'boot', commit: 'c'.repeat(40), runs: [1] }, /Expected a boot of A \(aaaaaaaaaaaa\) or B \(bbbbbbbbbbbb\), got one of cccccccccccc/],
    ['a hand-made verdict', { kind: 'mark', commit: A, as: 'good' }, /Expected measured boots in a comparison, got a hand-made verdict \(good\)/],
    ['a negative value', { kind: 'boot', commit: A, runs: [-3] }, /positive numbers, got `-3`/],
  ] as const)('refuses %s', (_name, event, message) => {
    expect(() => applyCompareEvent(createCompare({ a: A, b: B, settings }), event as BisectEvent)).toThrow(message);
  });

  it('refuses comparing a kernel with itself', () => {
    expect(() => createCompare({ a: A, b: A, settings })).toThrow(UserError);
  });
});

describe('compare: settings', () => {
  it.each([
    [{ alpha: 0.7 }, 'Expected the --alpha option to be a number in (0, 0.5), got `0.7`.'],
    [{ minEffect: 2 }, 'Expected the --min-effect option to be a number in (0, 1), got `2`.'],
    [{ maxBootsPerSide: 1 }, 'Expected the --max-boots option to be an integer ≥ 2, got `1`.'],
    [{ maxBootsPerSide: 7.5 }, 'Expected the --max-boots option to be an integer ≥ 2, got `7.5`.'],
  ])('%j', (raw, message) => {
    expect(validateCompareSettings({ seed: 1, direction: 'lower-is-worse', ...raw }).errors).toContain(message);
  });

  it('a cap below the first look moves the first look down to it', () => {
    const { settings, errors } = validateCompareSettings({ seed: 1, direction: 'lower-is-worse', maxBootsPerSide: 4 });
    expect(errors).toEqual([]);
    expect(computeCompareLooks(settings)).toEqual([4]);
  });
});

describe('compare: error rates', () => {
  it('calls A = B "different" at most about α of the time, and finds a 5% change nearly always', () => {
    const sims = 300;
    // minEffect tiny: "same" never stops a null comparison early, so every look can err
    const count = (shift: number, seed: number, over: Partial<CompareSettings>): number => {
      let different = 0;
      for (let i = 0; i < sims; i++) {
        const rng = createRng(seed * 100_003 + i);
        const settings = settingsOf({ seed: i, ...over });
        const state = drive(settings, (side) => 1000 * Math.exp((side === 'b' ? shift : 0) + 0.017 * nextNormal(rng)));
        if (state.final?.outcome === 'different') different++;
      }
      return different / sims;
    };
    // α = 0.02 both ways together (about 1.3% here: Bonferroni over the looks is conservative);
    // a binomial 300·0.02 has sd 2.4 runs, so 4% is far in its tail
    expect(count(0, 1, { minEffect: 0.001, maxBootsPerSide: 21 })).toBeLessThanOrEqual(0.04);
    expect(count(-0.05, 2, { minEffect: 0.02 })).toBeGreaterThanOrEqual(0.95);
  }, 60_000);
});
