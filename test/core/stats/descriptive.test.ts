import { describe, expect, it } from 'vitest';
import {
  estimatePooledSpread,
  interquartileRange,
  mean,
  median,
  medianAbsoluteDeviation,
  quantile,
  standardDeviation,
  variance,
} from '../../../src/core/stats/index.ts';
import { createRng, nextNormal } from '../../../src/core/rng.ts';

// Hollander & Wolfe (1999) example 4.1 data, as in R's ?wilcox.test.
const X = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];

describe('descriptive statistics (reference values from NumPy 2.4 / SciPy 1.17)', () => {
  it.each([
    ['mean', () => mean(X), 1.7666666666666666],
    ['median', () => median(X), 1.68],
    ['variance', () => variance(X), 0.512075],
    ['standard deviation', () => standardDeviation(X), Math.sqrt(0.512075)],
    ['10th percentile (type 7)', () => quantile(X, 0.1), 1.14],
    ['25th percentile (type 7)', () => quantile(X, 0.25), 1.55],
    ['90th percentile (type 7)', () => quantile(X, 0.9), 2.596],
    ['MAD scaled to σ', () => medianAbsoluteDeviation(X), 0.2965204437011203],
    ['IQR', () => interquartileRange(X), 0.33],
  ])('%s', (_name, compute, expected) => {
    expect(compute()).toBeCloseTo(expected, 10);
  });

  it('rejects an empty sample with a message naming it', () => {
    expect(() => median([])).toThrow(/Expected `values` to hold at least one value/);
  });

  it('pooled successive-difference spread ignores differences in location between groups', () => {
    // Two groups with wildly different centres; within each, |xi − xj| = 1.
    const sigma = estimatePooledSpread([[0, 1], [100, 101]]);
    expect(sigma).toBeCloseTo(1 / (Math.SQRT2 * 0.6744897501960817), 12);
    expect(estimatePooledSpread([[1], [2]])).toBeNaN();
  });

  it('pooled successive-difference spread estimates σ of normal data within 5% (seeded simulation)', () => {
    const rng = createRng(42);
    const groups = Array.from({ length: 400 }, (_, g) => Array.from({ length: 3 }, () => g * 10 + 2 * nextNormal(rng)));
    expect(estimatePooledSpread(groups)).toBeGreaterThan(1.9);
    expect(estimatePooledSpread(groups)).toBeLessThan(2.1);
  });
});
