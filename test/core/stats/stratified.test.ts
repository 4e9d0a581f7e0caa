import { describe, expect, it } from 'vitest';
import { mean, studentTCdf, testBlockedT, testHeterogeneity, testMannWhitney, testVanElteren, variance } from '../../../src/core/stats/index.ts';

const X = [10.1, 9.8, 10.4, 10.0, 9.9, 10.3];
const Y = [9.6, 9.5, 9.9, 9.7, 9.4];

describe('testBlockedT', () => {
  it('with one stratum is Student’s pooled two-sample t-test', () => {
    const df = X.length + Y.length - 2;
    const pooled = ((X.length - 1) * variance(X) + (Y.length - 1) * variance(Y)) / df;
    const t = (mean(Y) - mean(X)) / Math.sqrt(pooled * (1 / X.length + 1 / Y.length));
    const result = testBlockedT([{ x: X, y: Y }], 'greater');
    expect(result.df).toBe(df);
    expect(result.t).toBeCloseTo(t, 12);
    expect(result.p).toBeCloseTo(studentTCdf(t, df), 12);
  });

  it('compares within strata only: a stratum 30% higher adds no difference', () => {
    const shifted = (v: readonly number[], by: number) => v.map((x) => x + by);
    const one = testBlockedT([{ x: X, y: Y }], 'greater');
    const two = testBlockedT([{ x: X, y: Y }, { x: shifted(X, 3), y: shifted(Y, 3) }], 'greater');
    expect(two.difference).toBeCloseTo(one.difference, 12);
    expect(two.p).toBeLessThan(one.p);
    expect(two.p).toBeLessThan(1e-3);
    // pooling the raw values instead would bury the difference under the strata's gap
    const raw = testBlockedT([{ x: [...X, ...shifted(X, 3)], y: [...Y, ...shifted(Y, 3)] }], 'greater');
    expect(raw.p).toBeGreaterThan(0.1);
  });
});

describe('testVanElteren', () => {
  it('with one stratum is the normal-approximation Mann–Whitney test without continuity correction', () => {
    const many = Array.from({ length: 30 }, (_, i) => 10 + Math.sin(i) * 0.5);
    const fewer = Array.from({ length: 30 }, (_, i) => 9.8 + Math.cos(i) * 0.5);
    const mw = testMannWhitney(many, fewer, 'greater');
    const m = 30;
    const n = 30;
    const z = (mw.u - (m * n) / 2) / Math.sqrt((m * n * (m + n + 1)) / 12);
    expect(testVanElteren([{ x: many, y: fewer }], 'greater').z).toBeCloseTo(z, 10);
  });

  it('adds evidence over strata whose levels differ', () => {
    const strata = [0, 5, 10].map((level) => ({ x: X.map((v) => v + level), y: Y.map((v) => v + level) }));
    expect(testVanElteren(strata, 'greater').p).toBeLessThan(testVanElteren(strata.slice(0, 1), 'greater').p);
    expect(testVanElteren(strata, 'less').p).toBeGreaterThan(0.99);
  });
});

describe('testHeterogeneity', () => {
  it.each([
    ['agreeing strata', [-0.034, -0.036, -0.033], false],
    ['one stratum with twice the difference', [-0.034, -0.036, -0.07], true],
  ] as const)('%s', (_name, differences, differ) => {
    const result = testHeterogeneity(
      differences.map((difference) => ({ difference, weight: 10 })),
      0.017,
      60,
    );
    expect(result.p < 0.01).toBe(differ);
  });

  it('is p = 1 with fewer than two strata', () => {
    expect(testHeterogeneity([{ difference: 1, weight: 3 }], 0.1, 10).p).toBe(1);
  });
});
