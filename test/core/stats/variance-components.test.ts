import { describe, expect, it } from 'vitest';
import { chooseRunsPerBoot, chooseRunsPerBootForRounds, computeOptimalRunsPerBoot, estimateVarianceComponents, expectedRoundBoots } from '../../../src/core/stats/index.ts';
import { createRng, nextNormal } from '../../../src/core/rng.ts';

// Two commits, unbalanced: reference values worked by hand (and checked with a
// direct Python transcription of Searle, Casella & McCulloch's formulas).
const UNBALANCED = [
  [
    [1, 2, 3],
    [4, 5, 6],
  ],
  [
    [10, 12],
    [11, 13],
    [9, 9],
  ],
];

function simulate(seed: number, groups: number, boots: number, k: number, sdBetween: number, sdWithin: number): number[][][] {
  const rng = createRng(seed);
  return Array.from({ length: groups }, (_, g) =>
    Array.from({ length: boots }, () => {
      const level = g * 0.3 + sdBetween * nextNormal(rng);
      return Array.from({ length: k }, () => level + sdWithin * nextNormal(rng));
    }),
  );
}

describe('estimateVarianceComponents (nested one-way ANOVA, method of moments)', () => {
  it('matches the hand-worked unbalanced example', () => {
    const c = estimateVarianceComponents(UNBALANCED);
    expect(c).not.toBeNull();
    expect(c?.varWithin).toBeCloseTo(8 / 7, 12);
    expect(c?.msBetween).toBeCloseTo(22.833333333333336 / 3, 12);
    expect(c?.k0).toBeCloseTo(7 / 3, 12);
    expect(c?.varBetween).toBeCloseTo(2.772108843537415, 12);
    expect([c?.dfWithin, c?.dfBetween, c?.boots, c?.runs]).toEqual([7, 3, 5, 12]);
  });

  it.each([
    [0.08, 0.03, 5],
    [0.04, 0.04, 3],
    [0.01, 0.05, 5],
  ])('recovers σ_between %s and σ_within %s from simulated boots of %s runs', (sdB, sdW, k) => {
    const c = estimateVarianceComponents(simulate(7, 2, 400, k, sdB, sdW));
    expect(Math.sqrt(c?.varWithin ?? 0)).toBeCloseTo(sdW, 2);
    expect(Math.abs(Math.sqrt(c?.varBetween ?? 0) - sdB)).toBeLessThan(0.1 * sdB + 0.003);
  });

  it('a commit offset is not boot variance (the commit is a fixed effect)', () => {
    const c = estimateVarianceComponents([
      [
        [1, 1.1],
        [1, 1.1],
      ],
      [
        [5, 5.1],
        [5, 5.1],
      ],
    ]);
    expect(c?.varBetween).toBe(0);
    expect(c?.varWithin).toBeCloseTo(0.005, 12);
  });

  it('truncates a negative between estimate at 0', () => {
    // boot means closer together than runs would put them by chance
    const c = estimateVarianceComponents([
      [
        [0, 1],
        [1, 0],
        [0.5, 0.5],
      ],
    ]);
    expect(c?.msBetween).toBeLessThan(c?.varWithin ?? 0);
    expect(c?.varBetween).toBe(0);
  });

  it.each([
    ['no boots', []],
    ['one boot per commit', [[[1, 2, 3]], [[4, 5, 6]]]],
    ['one run per boot', [[[1], [2], [3]]]],
    ['only non-finite runs', [[[Number.NaN, Number.NaN], [Number.NaN, 1]]]],
  ])('is null, never NaN, with %s', (_, groups) => {
    expect(estimateVarianceComponents(groups as number[][][])).toBeNull();
  });

  it('is all zeros, not NaN, for identical runs', () => {
    const c = estimateVarianceComponents([[[3, 3], [3, 3]]]);
    expect(c?.varWithin).toBe(0);
    expect(c?.varBetween).toBe(0);
  });
});

describe("Cochran's optimum runs per boot", () => {
  it('is sqrt(c_boot/c_run · σ²_within/σ²_between)', () => {
    // the TCG host: σ_b 0.08, σ_w 0.03, a boot 11 s + a 5 s warm-up, runs of 5 s
    expect(computeOptimalRunsPerBoot({ varBetween: 0.08 ** 2, varWithin: 0.03 ** 2, bootCostS: 16, runCostS: 5 })).toBeCloseTo(Math.sqrt((16 / 5) * (0.0009 / 0.0064)), 12);
    expect(computeOptimalRunsPerBoot({ varBetween: 0, varWithin: 0.01, bootCostS: 16, runCostS: 5 })).toBe(Number.POSITIVE_INFINITY);
    expect(computeOptimalRunsPerBoot({ varBetween: 0.01, varWithin: 0, bootCostS: 16, runCostS: 5 })).toBe(0);
    expect(computeOptimalRunsPerBoot({ varBetween: Number.NaN, varWithin: Number.NaN, bootCostS: 16, runCostS: 5 })).toBe(0);
  });

  it.each([
    // [σ²_b, σ²_w, c_boot, c_run, cap, k]
    [0.0064, 0.0009, 16, 5, 5, 1],
    [0.0001, 0.0025, 16, 5, 5, 5],
    [0.0025, 0.0025, 16, 5, 5, 2],
    [0.0004, 0.0025, 16, 5, 3, 3],
    [0, 0, 16, 5, 5, 5],
    [0, 0.01, 16, 5, 4, 4],
    [0.01, 0, 16, 5, 4, 1],
    [Number.NaN, Number.NaN, 16, 5, 5, 5],
    [0.01, 0.01, 16, 5, 0, 1],
  ])('σ²_b %s, σ²_w %s, boot %s s, run %s s, cap %s → %s runs', (varBetween, varWithin, bootCostS, runCostS, cap, k) => {
    expect(chooseRunsPerBoot({ varBetween, varWithin, bootCostS, runCostS }, cap)).toBe(k);
  });
});

describe('runs per boot for sequential rounds (Wald ASN, floored)', () => {
  const costs = { varBetween: 0.15 ** 2, varWithin: 0.09 ** 2, bootCostS: 3.9, runCostS: 2 };
  const round = { minBoots: 2, errorRate: 0.01 };
  it("is Wald's average sample number (1 − 2α)·ln((1 − α)/α)·2σ²/δ², never below the round's least boots", () => {
    const asn = 0.98 * Math.log(99) * 2 * 0.04 / 0.1 ** 2;
    expect(expectedRoundBoots(0.04, { ...round, effect: 0.1 })).toBeCloseTo(asn, 12);
    expect(expectedRoundBoots(0.04, { ...round, effect: 5 })).toBe(2);
  });

  it("is Cochran's choice when no shift is known or the floor never binds", () => {
    const runsMatter = { ...costs, varBetween: 0.05 ** 2 };
    const k = chooseRunsPerBoot(runsMatter, 5);
    expect(k).toBe(3);
    expect(chooseRunsPerBootForRounds(runsMatter, { ...round, effect: 0 }, 5)).toBe(k);
    expect(chooseRunsPerBootForRounds(runsMatter, { ...round, effect: 0.01 }, 5)).toBe(k);
  });

  it('is one run when every k ends a round at its least boots', () => {
    const runsDominate = { ...costs, varBetween: 0.001 ** 2 };
    expect(chooseRunsPerBoot(runsDominate, 5)).toBe(5);
    expect(chooseRunsPerBootForRounds(runsDominate, { ...round, effect: 2 }, 5)).toBe(1);
  });
});
