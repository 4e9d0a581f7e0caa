import { describe, expect, it } from 'vitest';
import { createRng, nextNormal } from '../../../src/core/rng.ts';
import { buildPrefixSums, estimatePointNoise, estimateRelativeChange, estimateStepLocation, computeSegmentSse, medianVarianceFactor, testSplit } from '../../../src/core/sweep/segments.ts';

const A = [19.2, 23.1, 17.4, 25.0, 21.7, 18.8, 22.4];
const B = [26.3, 24.9, 28.1, 22.9, 27.5, 30.2, 25.6, 29.0];

describe("Student's pooled t-test of a split (reference values from scipy.stats.ttest_ind 1.17)", () => {
  it('matches SciPy on two samples', () => {
    const test = testSplit(buildPrefixSums([...A, ...B]), 0, A.length, A.length + B.length);
    expect(test.t).toBeCloseTo(4.380825863865248, 9);
    expect(test.df).toBe(13);
    expect(test.pValue).toBeCloseTo(0.0007434720794691228, 8);
  });

  // The two cases of Otava's tests/analysis_test.py::test_significance_tester.
  it.each([
    ['no change', [1.0, 1.02, 1.05, 0.95, 0.98, 1.0, 1.02, 1.05, 0.95, 0.98], (p: number) => expect(p).toBeGreaterThan(0.99)],
    ['a 20% drop', [1.0, 1.02, 1.05, 0.95, 0.98, 0.8, 0.82, 0.85, 0.79, 0.77], (p: number) => expect(p).toBeCloseTo(2.0249770329333605e-5, 10)],
  ] as const)('%s', (_, series, check) => {
    check(testSplit(buildPrefixSums(series), 0, 5, 10).pValue);
  });

  it('is certain about two flat, different segments and indifferent to two equal ones', () => {
    expect(testSplit(buildPrefixSums([1, 1, 1, 2, 2, 2]), 0, 3, 6).pValue).toBe(0);
    expect(testSplit(buildPrefixSums([1, 1, 1, 1, 1, 1]), 0, 3, 6).pValue).toBe(1);
  });

  it('has no evidence without a degree of freedom', () => {
    expect(testSplit(buildPrefixSums([1, 2]), 0, 1, 2).pValue).toBe(1);
  });

  it('keeps its sums exact for log throughputs far from zero', () => {
    const values = [9.15, 9.16, 9.14, 9.15];
    expect(computeSegmentSse(buildPrefixSums(values), 0, 4)).toBeCloseTo(0.0002, 12);
  });
});

describe('relative change and its interval', () => {
  it('turns the log difference into a ratio with a t interval (t₀.₉₇₅,₁₃ = 2.16037)', () => {
    const logs = [...A, ...B].map((v) => Math.log(v));
    const test = testSplit(buildPrefixSums(logs), 0, 7, 15);
    const { change, ci } = estimateRelativeChange(test, 0.95);
    expect(change).toBeCloseTo(Math.expm1(test.difference), 12);
    expect(Math.log1p(ci[1]) - test.difference).toBeCloseTo(2.1603686564627913 * test.standardError, 6);
    expect(ci[0]).toBeLessThan(change);
    expect(ci[1]).toBeGreaterThan(change);
  });
});

describe('location range of a step (likelihood-ratio set)', () => {
  it('holds the true split at least at the nominal rate (seeded simulation, d = 2)', () => {
    const rng = createRng(17);
    let covered = 0;
    const trials = 400;
    for (let t = 0; t < trials; t++) {
      const values = Array.from({ length: 60 }, (_, i) => (i >= 30 ? -2 : 0) + nextNormal(rng));
      const sums = buildPrefixSums(values);
      let best = 1;
      let bestSse = Number.POSITIVE_INFINITY;
      for (let tau = 1; tau < 60; tau++) {
        const sse = computeSegmentSse(sums, 0, tau) + computeSegmentSse(sums, tau, 60);
        if (sse < bestSse) [best, bestSse] = [tau, sse];
      }
      const [first, last] = estimateStepLocation(sums, 0, 60, best, 0.95);
      if (first <= 30 && 30 <= last) covered++;
    }
    expect(covered / trials).toBeGreaterThanOrEqual(0.95);
  });

  it('is one point for a clean step and never leaves the run around the estimate', () => {
    const values = [0, 0.001, -0.001, 0, 0.001, 1, 1.001, 0.999, 1, 1.001, 0, 0.001, 0];
    const sums = buildPrefixSums(values);
    expect(estimateStepLocation(sums, 0, 10, 5, 0.99)).toEqual([5, 5]);
  });
});

describe("the boots' spread, pooled in by Bancroft's rule", () => {
  it('is the variance of a median of the boots (0.4487 σ² for three, π/2b for many)', () => {
    expect(medianVarianceFactor(1)).toBe(1);
    expect(medianVarianceFactor(3)).toBeCloseTo(0.4487, 4);
    expect(medianVarianceFactor(50)).toBeCloseTo(Math.PI / 100, 6);
    // two points of boots (0, 0.2) and (1, 1.2, 1.1): SSE 0.02 + 0.02 over 1 + 2 df
    const noise = estimatePointNoise([[0, 0.2], [1, 1.2, 1.1], []]);
    expect(noise?.df).toBe(3);
    expect(noise?.variance).toBeCloseTo((0.04 / 3) * ((0.5 + 0.4487) / 2), 10);
    expect(estimatePointNoise([[1], [2]])).toBeNull();
  });

  it('pools when the points scatter as their boots explain: the degrees of freedom of the boots join', () => {
    const values = [0.01, -0.02, 0.015, -0.3, -0.28, -0.32, -0.31];
    const plain = testSplit(buildPrefixSums(values), 0, 3, 7);
    const pooled = testSplit(buildPrefixSums(values), 0, 3, 7, { variance: 0.0003, df: 14 });
    expect(plain.pooledBoots).toBe(false);
    expect(pooled.pooledBoots).toBe(true);
    expect(pooled.df).toBe(19);
    expect(pooled.pValue).toBeLessThan(plain.pValue / 10);
    expect(pooled.difference).toBe(plain.difference);
  });

  it('does not pool when the points scatter far more than their boots explain (commits differ, or the host drifted)', () => {
    const values = [0.1, -0.1, 0.12, -0.3, -0.5, -0.12, -0.35];
    const test = testSplit(buildPrefixSums(values), 0, 3, 7, { variance: 0.0003, df: 14 });
    expect(test.pooledBoots).toBe(false);
    expect(test.df).toBe(5);
  });
});
