import { describe, expect, it } from 'vitest';
import { fSurvival, logGamma, normalCdf, normalQuantile, normalSurvival, studentTCdf, studentTQuantile } from '../../../src/core/stats/index.ts';

// Published values (Abramowitz & Stegun tables 26.1, 26.7, 26.10) agree with
// these SciPy 1.17 values to the digits checked.
describe('normal distribution', () => {
  it.each([
    [1, 0.8413447460685429],
    [-3, 0.0013498980316301],
    [5, 0.9999997133484281],
    [0, 0.5],
  ])('Φ(%d)', (z, expected) => {
    expect(normalCdf(z)).toBeCloseTo(expected, 7);
  });

  it('keeps relative precision far in the upper tail', () => {
    expect(normalSurvival(8) / 6.22096057427174e-16).toBeCloseTo(1, 5);
  });

  it.each([
    [0.975, 1.959963984540054],
    [0.99, 2.3263478740408408],
    [1e-6, -4.753424308822899],
    [0.3, -0.5244005127080407],
  ])('Φ⁻¹(%d)', (p, expected) => {
    expect(normalQuantile(p)).toBeCloseTo(expected, 6);
  });

  it('maps 0 and 1 to infinities and rejects other values', () => {
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(() => normalQuantile(1.5)).toThrow(/Expected a probability/);
  });
});

describe('Student t distribution', () => {
  it.each([
    [0.975, 10, 2.228138851986274],
    [0.975, 7.5, 2.333039626864974],
  ])('quantile p=%d df=%d', (p, df, expected) => {
    expect(studentTQuantile(p, df)).toBeCloseTo(expected, 6);
  });

  it('CDF with fractional df', () => {
    expect(studentTCdf(-2.5, 4.3)).toBeCloseTo(0.031224037318105666, 7);
    expect(studentTCdf(0, 3)).toBeCloseTo(0.5, 12);
  });

  it('log Γ matches factorials', () => {
    expect(logGamma(10)).toBeCloseTo(Math.log(362880), 9);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 9);
  });
});

describe("Snedecor's F survival", () => {
  it('is the two-sided t p-value for one numerator degree of freedom (F = t²)', () => {
    for (const [t, df] of [[2.5, 4], [1.1, 19], [4.38, 13]] as const) expect(fSurvival(t * t, 1, df)).toBeCloseTo(2 * studentTCdf(-t, df), 10);
  });

  it('is one half at 1 for equal degrees of freedom, 1 at 0, and falls with f', () => {
    expect(fSurvival(1, 7, 7)).toBeCloseTo(0.5, 10);
    expect(fSurvival(0, 3, 9)).toBe(1);
    expect(fSurvival(3, 5, 14)).toBeLessThan(fSurvival(2, 5, 14));
    expect(fSurvival(Number.POSITIVE_INFINITY, 5, 14)).toBe(0);
  });
});
