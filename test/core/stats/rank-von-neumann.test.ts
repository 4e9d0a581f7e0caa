import { describe, expect, it } from 'vitest';
import { createRng, nextUniform } from '../../../src/core/rng.ts';
import { RANK_VON_NEUMANN_MIN_N, testRankVonNeumann } from '../../../src/core/stats/rank-von-neumann.ts';

describe('testRankVonNeumann (Bartels 1982)', () => {
  it('a monotone series: ratio (n − 1) / (n(n² − 1)/12), far below 2, p tiny', () => {
    const r = testRankVonNeumann(Array.from({ length: 20 }, (_, i) => 100 + i));
    // ranks 1..n: Σ diff² = n − 1, Σ (R − R̄)² = n(n² − 1)/12
    expect(r.ratio).toBeCloseTo(19 / ((20 * 399) / 12), 10);
    expect(r.pValue).toBeLessThan(1e-4);
  });

  it('a zig-zag (neighbours unlike each other): ratio above 2, p near 1', () => {
    const r = testRankVonNeumann(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 1 : 2) + i * 1e-3));
    expect(r.ratio).toBeGreaterThan(2.5);
    expect(r.pValue).toBeGreaterThan(0.9);
  });

  it('one wild value does not read as drift (ranks)', () => {
    const rng = createRng(3);
    const xs = Array.from({ length: 20 }, () => 1000 * (1 + 0.02 * (nextUniform(rng) - 0.5)));
    const clean = testRankVonNeumann(xs);
    xs[7] = 5;
    expect(testRankVonNeumann(xs).pValue).toBeGreaterThan(0.05);
    expect(clean.pValue).toBeGreaterThan(0.05);
  });

  it('exchangeable values reject at about the nominal rate (2000 seeds, n = 12 and 40)', () => {
    for (const n of [12, 40]) {
      let rejected = 0;
      for (let seed = 1; seed <= 2000; seed++) {
        const rng = createRng(seed);
        if (testRankVonNeumann(Array.from({ length: n }, () => nextUniform(rng))).pValue < 0.05) rejected++;
      }
      expect(rejected / 2000).toBeGreaterThan(0.03);
      expect(rejected / 2000).toBeLessThan(0.07);
    }
  });

  it(`fewer than ${RANK_VON_NEUMANN_MIN_N} values, or all tied: p = 1`, () => {
    expect(testRankVonNeumann([1, 2, 3, 4, 5]).pValue).toBe(1);
    expect(testRankVonNeumann([7, 7, 7, 7, 7, 7, 7]).pValue).toBe(1);
  });
});
