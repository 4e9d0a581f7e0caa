import { describe, expect, it } from 'vitest';
import { createRng, nextNormal } from '../../../src/core/rng.ts';
import { detectChangePoints, type ChangePoint, type DetectOptions } from '../../../src/core/sweep/index.ts';
import { estimatePointNoise } from '../../../src/core/sweep/segments.ts';

const SIGMA = 0.01;
const WILD = Math.log(0.6);

interface SeriesSpec {
  readonly n: number;
  /** First-after index and log size of each step. */
  readonly steps?: readonly (readonly [number, number])[];
  /** Index and log offset of single points (measurement artefacts). */
  readonly spikes?: readonly (readonly [number, number])[];
}

// Log values of a series: Gaussian noise σ = 1% plus steps and spikes.
function makeSeries(spec: SeriesSpec, seed: number, sigma = SIGMA): number[] {
  const rng = createRng(seed);
  const values = Array.from({ length: spec.n }, (_, i) => {
    const level = (spec.steps ?? []).reduce((acc, [at, size]) => (i >= at ? acc + size : acc), 0);
    return Math.log(9400) + level + sigma * nextNormal(rng);
  });
  for (const [at, offset] of spec.spikes ?? []) values[at] = (values[at] as number) + offset;
  return values;
}

const accepted = (points: readonly ChangePoint[]): ChangePoint[] => points.filter((c) => c.kind === 'accepted');
const covers = (c: ChangePoint, step: number): boolean => c.lastBeforeIndex < step && step <= c.firstAfterIndex;

describe('steps', () => {
  it.each([
    ['a 5% drop in the middle', { n: 120, steps: [[60, Math.log(0.95)]] }, 60],
    ['a 4% drop early', { n: 120, steps: [[8, Math.log(0.96)]] }, 8],
    ['a 4% drop late (10 points after)', { n: 120, steps: [[110, Math.log(0.96)]] }, 110],
    ['a 4% drop in a long series (windows)', { n: 400, steps: [[277, Math.log(0.96)]] }, 277],
  ] as const)('%s is accepted over 20 seeds, its range holds the step', (_, spec, step) => {
    for (let seed = 1; seed <= 20; seed++) {
      const found = accepted(detectChangePoints(makeSeries(spec, seed)).changePoints);
      expect(found, `seed ${seed}`).toHaveLength(1);
      const c = found[0] as ChangePoint;
      expect(covers(c, step), `seed ${seed}: (${c.lastBeforeIndex}, ${c.firstAfterIndex}]`).toBe(true);
      expect(c.lastBeforeIndex).toBeLessThan(c.index);
      expect(c.index).toBeLessThanOrEqual(c.firstAfterIndex);
      expect(c.direction).toBe('regression');
      expect(c.pValue).toBeLessThanOrEqual(0.001);
      const truth = Math.expm1(spec.steps[0][1]);
      expect(c.relativeChangeCi[0], `seed ${seed}`).toBeLessThan(truth + 0.004);
      expect(c.relativeChangeCi[1], `seed ${seed}`).toBeGreaterThan(truth - 0.004);
    }
  });

  it.each([
    [true, 0.05, 'improvement'],
    [true, -0.05, 'regression'],
    [false, 0.05, 'regression'],
    [false, -0.05, 'improvement'],
  ] as const)('higherIsBetter %s, change %s: %s', (higherIsBetter, change, direction) => {
    const values = makeSeries({ n: 80, steps: [[40, Math.log1p(change)]] }, 3);
    const [c] = accepted(detectChangePoints(values, { higherIsBetter }).changePoints);
    expect(c?.direction).toBe(direction);
    expect(c?.relativeChange).toBeCloseTo(change, 2);
  });

  it('finds two close steps (8 points apart) as two change points', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const values = makeSeries({ n: 100, steps: [[45, Math.log(0.95)], [53, Math.log(0.95)]] }, seed);
      const found = accepted(detectChangePoints(values).changePoints);
      expect(found.map((c) => [covers(c, 45), covers(c, 53)]), `seed ${seed}`).toEqual([
        [true, false],
        [false, true],
      ]);
    }
  });

  it('finds a step and its revert 10 points later', () => {
    const values = makeSeries({ n: 100, steps: [[50, Math.log(0.94)], [60, -Math.log(0.94)]] }, 5);
    expect(accepted(detectChangePoints(values).changePoints).map((c) => c.direction)).toEqual(['regression', 'improvement']);
  });

  it('finds an exact step in flat data with p = 0', () => {
    const values = [...Array<number>(10).fill(1), ...Array<number>(10).fill(0.9)];
    const [c] = detectChangePoints(values).changePoints;
    expect(c).toMatchObject({ kind: 'accepted', index: 10, lastBeforeIndex: 9, firstAfterIndex: 10, pValue: 0 });
  });
});

describe('no steps', () => {
  it.each([
    ['default options (min effect 3%)', {}, 0],
    ['min effect 1% (one σ)', { minEffect: 0.01 }, 0.02],
  ] as const)('pure noise rarely gives an accepted change: %s (300 seeds × 200 points)', (_, options: Partial<DetectOptions>, rate) => {
    let withFalse = 0;
    for (let seed = 1000; seed < 1300; seed++) {
      if (accepted(detectChangePoints(makeSeries({ n: 200 }, seed), options).changePoints).length > 0) withFalse++;
    }
    expect(withFalse / 300).toBeLessThanOrEqual(rate);
  });

  it.each([[[]], [[9.1]], [[9.1, 9.2]], [Array<number>(30).fill(9.1)]])('short or flat series %#: nothing, no throw', (values) => {
    expect(detectChangePoints(values).changePoints).toEqual([]);
  });
});

describe('spikes and outliers', () => {
  it.each([
    ['one ×0.6 outlier', [[50, WILD]]],
    ['a +8 σ spike', [[50, 8 * SIGMA]]],
    ['two ×0.6 outliers 3 apart', [[50, WILD], [53, WILD]]],
    ['three ×0.6 outliers in a row', [[50, WILD], [51, WILD], [52, WILD]]],
    ['outliers at both ends', [[0, WILD], [97, WILD]]],
  ] as const)('%s never makes an accepted change (20 seeds)', (_, spikes) => {
    for (let seed = 1; seed <= 20; seed++) {
      const detection = detectChangePoints(makeSeries({ n: 100, spikes }, seed), { minEffect: 0.01 });
      expect(accepted(detection.changePoints), `seed ${seed}`).toEqual([]);
    }
  });

  it('sets a ×0.6 outlier aside and still finds the step right next to it', () => {
    const values = makeSeries({ n: 100, steps: [[50, Math.log(0.95)]], spikes: [[49, WILD]] }, 7);
    const detection = detectChangePoints(values);
    expect(detection.excluded).toContain(49);
    const [c] = accepted(detection.changePoints);
    expect(c && covers(c, 50)).toBe(true);
  });

  it('Otava as shipped (no screen, no minimum segment) takes two outliers for changes and misses the step between', () => {
    const plain: Partial<DetectOptions> = { minSegment: 1, spikeThreshold: 0, selectionAdjustment: 'none', locationConfidence: 0 };
    for (let seed = 1; seed <= 10; seed++) {
      const values = makeSeries({ n: 120, steps: [[60, Math.log(0.96)]], spikes: [[45, WILD], [75, WILD]] }, seed);
      expect(accepted(detectChangePoints(values, plain).changePoints).map((c) => c.index), `seed ${seed}`).toEqual([45, 46]);
      expect(accepted(detectChangePoints(values).changePoints).map((c) => c.index), `seed ${seed}`).toEqual([60]);
    }
  });

  it('the minimum segment alone keeps a two-point excursion out (screen off)', () => {
    const values = makeSeries({ n: 100, spikes: [[50, -0.1], [51, -0.1]] }, 2);
    expect(accepted(detectChangePoints(values, { spikeThreshold: 0 }).changePoints)).toEqual([]);
  });
});

describe('the newest points: candidates', () => {
  it.each([
    ['one point after the step', 'candidate', 1],
    ['two points after the step', 'candidate', 2],
    ['three points after the step', 'accepted', 3],
    ['five points after the step', 'accepted', 5],
  ] as const)('%s: %s (10 seeds)', (_, kind, after) => {
    for (let seed = 1; seed <= 10; seed++) {
      const n = 60 + after;
      const changes = detectChangePoints(makeSeries({ n, steps: [[60, Math.log(0.9)]] }, seed)).changePoints;
      expect(changes, `seed ${seed}`).toHaveLength(1);
      expect(changes[0], `seed ${seed}`).toMatchObject({ kind, direction: 'regression' });
      expect(covers(changes[0] as ChangePoint, 60), `seed ${seed}`).toBe(true);
    }
  });

  it('a wild newest point is a candidate, not an accepted change', () => {
    const changes = detectChangePoints(makeSeries({ n: 60, spikes: [[59, WILD]] }, 4)).changePoints;
    expect(changes.map((c) => [c.kind, c.index])).toEqual([['candidate', 59]]);
  });
});

describe('minimum effect', () => {
  it.each([
    { minEffect: 0.01, count: 1 },
    { minEffect: 0.02, count: 1 },
    { minEffect: 0.03, count: 0 },
  ])('a 2.5 percent step on quiet data (σ = 0.2 percent) with min effect $minEffect: $count accepted', ({ minEffect, count }) => {
    const values = makeSeries({ n: 100, steps: [[50, Math.log(0.975)]] }, 9, 0.002);
    expect(accepted(detectChangePoints(values, { minEffect }).changePoints)).toHaveLength(count);
  });
});

describe('short series of noisy boots (a backfill at a stride)', () => {
  const median = (a: readonly number[]): number => [...a].sort((x, y) => x - y)[(a.length - 1) / 2] as number;
  // TCP_STREAM Mbit/s, 3 boots per point, a real sweep of 24 commits at stride 4 under TCG (2026-11-30, udelay(200) at #14)
  const recorded = [[838, 956, 1116], [1018, 1027, 1062], [1125, 1029, 1108], [1061, 989, 1007], [391, 391, 425], [589, 473, 460], [602, 717, 317]];

  it('finds the step of a recorded 7-point series once the boots are pooled in, not with the 5 degrees of freedom of the points alone', () => {
    const values = recorded.map((b) => Math.log(median(b)));
    const pointNoise = estimatePointNoise(recorded.map((b) => b.map(Math.log)));
    expect(accepted(detectChangePoints(values, { minEffect: 0.05 }).changePoints)).toEqual([]);
    const found = accepted(detectChangePoints(values, { minEffect: 0.05, pointNoise }).changePoints);
    expect(found).toHaveLength(1);
    expect([found[0]?.lastBeforeIndex, found[0]?.firstAfterIndex]).toEqual([3, 4]);
    expect(found[0]?.relativeChange).toBeLessThan(-0.4);
  });

  it('stays quiet on pure noise of boots: under 1% of 7- to 30-point series accept a change (seeded)', () => {
    const rng = createRng(77);
    let alarms = 0;
    let trials = 0;
    for (const n of [7, 10, 13, 30]) {
      for (let seed = 0; seed < 250; seed++) {
        const boots = Array.from({ length: n }, () => Array.from({ length: 3 }, () => 0.15 * nextNormal(rng)));
        const detection = detectChangePoints(boots.map(median), { pointNoise: estimatePointNoise(boots) });
        if (accepted(detection.changePoints).length > 0) alarms++;
        trials++;
      }
    }
    expect(alarms / trials).toBeLessThan(0.01);
  });
});

describe('options and input', () => {
  it('is deterministic: the same series gives the same answer', () => {
    const values = makeSeries({ n: 150, steps: [[70, Math.log(0.96)]], spikes: [[30, WILD]] }, 11);
    expect(detectChangePoints(values)).toEqual(detectChangePoints([...values]));
  });

  it.each([
    [{ maxPValue: 0 }, /`maxPValue` option to be in \(0, 1\), got `0`/],
    [{ minSegment: 0 }, /`minSegment` option to be a positive integer/],
    [{ windowLength: 5 }, /`windowLength` option to be an integer ≥ 2 × minSegment \(6\), got `5`/],
    [{ locationConfidence: 1 }, /`locationConfidence` option to be in \[0, 1\)/],
  ] as const)('rejects %j', (options, message) => {
    expect(() => detectChangePoints([1, 2, 3], options as Partial<DetectOptions>)).toThrow(message);
  });

  it('rejects a value that is not a finite number, naming its index', () => {
    expect(() => detectChangePoints([1, 2, Number.NaN])).toThrow(/got `NaN` at index 2/);
  });
});
