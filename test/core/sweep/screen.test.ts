import { describe, expect, it } from 'vitest';
import { createRng, nextNormal } from '../../../src/core/rng.ts';
import { detectChangePoints } from '../../../src/core/sweep/detect.ts';
import { estimateNoiseSigma, screenSpikes } from '../../../src/core/sweep/screen.ts';

const OPTIONS = { maxRun: 3, threshold: 5, protectTail: 2 };

function noise(seed: number, n: number, sigma = 0.01): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => sigma * nextNormal(rng));
}

describe('noise σ from successive differences', () => {
  it('estimates σ of Gaussian noise and ignores one large step', () => {
    const values = noise(1, 2000).map((v, i) => v + (i >= 1000 ? 0.5 : 0));
    expect(estimateNoiseSigma(values)).toBeGreaterThan(0.0095);
    expect(estimateNoiseSigma(values)).toBeLessThan(0.0105);
  });

  it('is NaN below two points', () => {
    expect(estimateNoiseSigma([1])).toBeNaN();
  });
});

describe('screening wild points', () => {
  const wild = Math.log(0.6);
  it.each([
    ['one ×0.6 point', [40], [40]],
    ['two adjacent', [40, 41], [40, 41]],
    ['three in a row (a bad week)', [40, 41, 42], [40, 41, 42]],
    ['three among five', [40, 42, 43], [40, 42, 43]],
    ['the first point', [0], [0]],
    ['the newest two points are protected', [78, 79], []],
  ])('%s', (_, at, expected) => {
    const values = noise(2, 80);
    for (const i of at) values[i] = (values[i] as number) + wild;
    expect(screenSpikes(values, OPTIONS).excluded).toEqual(expected);
  });

  it.each([
    ['a step of 50 σ', 40],
    ['a step of 50 σ with three points after it', 77],
    ['a step of 50 σ with four points before it', 4],
  ])('never takes %s for wild points', (_, at) => {
    const values = noise(3, 80).map((v, i) => v + (i >= at ? 0.5 : 0));
    const result = screenSpikes(values, OPTIONS);
    expect(result.excluded.filter((i) => i >= at - 1 && i <= at)).toEqual([]);
  });

  it('never takes the first level of a short series for a run (one point before it is a neighbour too)', () => {
    // log throughputs of a real 7-point sweep at stride 4 (2026-11-30): a −53% step after the fourth point
    const values = [956, 1027, 1108, 1007, 391, 473, 602].map(Math.log);
    expect(screenSpikes(values, OPTIONS).excluded).toEqual([]);
  });

  it('never takes the rest of the first level for a run once its first point was set aside (edge runs cascaded)', () => {
    // log throughputs of a real 7-point sweep at stride 4 (CI, 2026-12-01): GOOD read high, then a −91% step after the fourth point
    const values = [945, 686, 665, 674, 62, 62, 61].map(Math.log);
    const excluded = screenSpikes(values, OPTIONS).excluded;
    expect(excluded.filter((i) => i > 0)).toEqual([]);
    const detection = detectChangePoints(values);
    expect(detection.changePoints.map((c) => [c.kind, c.index, c.direction])).toEqual([['accepted', 4, 'regression']]);
  });

  it('never sets aside a run that sits nearer a neighbouring level than the two levels are to each other (drift beside a step)', () => {
    // log throughputs of a real 7-point sweep at stride 4 (CI, 2026-12-01 08:00): the host sped up by a fifth for
    // points 2 and 3 (its reference boots too: 811 825 827 809 1018 1072 994 802, not enough to adjust), then a −93% step
    const values = [825, 851, 1063, 1041, 63, 63, 63].map(Math.log);
    expect(screenSpikes(values, OPTIONS).excluded.filter((i) => i > 0)).toEqual([]);
    const detection = detectChangePoints(values);
    expect(detection.changePoints.map((c) => [c.kind, c.index, c.direction])).toEqual([['accepted', 4, 'regression']]);
  });

  it('still sets aside a ×0.6 run beside a step smaller than its excursion', () => {
    const values = noise(5, 80).map((v, i) => v + (i >= 40 ? -0.1 : 0) + (i === 38 || i === 39 ? Math.log(0.6) : 0));
    expect(screenSpikes(values, OPTIONS).excluded).toEqual([38, 39]);
  });

  it('leaves a four-point excursion to the detector (longer than maxRun)', () => {
    const values = noise(4, 80).map((v, i) => v + (i >= 40 && i < 44 ? 0.5 : 0));
    expect(screenSpikes(values, OPTIONS).excluded).toEqual([]);
  });

  it('rarely sets aside a Gaussian point (seeded, 100 × 200 points)', () => {
    let excluded = 0;
    for (let seed = 0; seed < 100; seed++) excluded += screenSpikes(noise(100 + seed, 200), OPTIONS).excluded.length;
    expect(excluded / 20_000).toBeLessThan(0.002);
  });

  it('is off with an infinite threshold and keeps short series whole', () => {
    expect(screenSpikes([0, 0, 5, 0, 0, 0], { ...OPTIONS, threshold: Number.POSITIVE_INFINITY }).excluded).toEqual([]);
    expect(screenSpikes([0, 5], OPTIONS).kept).toEqual([0, 1]);
  });
});
