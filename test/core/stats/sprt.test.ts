import { describe, expect, it } from 'vitest';
import { clipLlr, computeContaminatedLlr, computeGaussianLlr, computeSprtThresholds, decideSprt } from '../../../src/core/stats/index.ts';
import { createRng, nextNormal } from '../../../src/core/rng.ts';

describe("Wald's SPRT", () => {
  it("Wald's boundaries for α = β = 0.01 are ±ln 99", () => {
    const t = computeSprtThresholds(0.01, 0.01);
    expect(t.upper).toBeCloseTo(Math.log(99), 12);
    expect(t.lower).toBeCloseTo(-Math.log(99), 12);
  });

  it.each([
    // y, μ0, μ1, σ, expected LLR (closed form: (μ1−μ0)(y−(μ0+μ1)/2)/σ²)
    [0, 0, 1, 1, -0.5],
    [1, 0, 1, 1, 0.5],
    [0.5, 0, 1, 1, 0],
    [-0.1, 0, -0.1, 0.05, 2],
  ])('Gaussian LLR of y=%d for μ0=%d, μ1=%d, σ=%d', (y, m0, m1, s, expected) => {
    expect(computeGaussianLlr(y, m0, m1, s)).toBeCloseTo(expected, 12);
  });

  it('clips increments and reads boundaries', () => {
    const t = computeSprtThresholds(0.05, 0.05);
    expect(clipLlr(10, 2)).toBe(2);
    expect(clipLlr(-10, 2)).toBe(-2);
    expect(decideSprt(3, t)).toBe('accept-h1');
    expect(decideSprt(-3, t)).toBe('accept-h0');
    expect(decideSprt(0, t)).toBe('continue');
  });

  it.each([
    // y, expected: Gaussian LLR near the means, ≈ 0 far from both (computed by hand:
    // ln[(e^{−z1²/2} + c) / (e^{−z0²/2} + c)] with c = ε·g·σ√(2π)/(1 − ε)).
    [0.5, 0, 1e-12],
    [0.2, computeGaussianLlr(0.2, 0, 1, 1), 0.01],
    [25, 0, 1e-6],
    [-25, 0, 1e-6],
  ])('gross-error LLR of y=%d fades for values far from both means', (y, expected, tolerance) => {
    expect(Math.abs(computeContaminatedLlr(y, 0, 1, 1, 0.02, 0.01) - expected)).toBeLessThan(tolerance);
  });

  it('rejects error rates outside (0, 0.5)', () => {
    expect(() => computeSprtThresholds(0, 0.1)).toThrow(/Expected SPRT error rates/);
  });

  it('keeps both error rates near α when run on simulated boots (seeded, 2000 tests)', () => {
    const rng = createRng(2024);
    const t = computeSprtThresholds(0.05, 0.05);
    let wrong = 0;
    for (let trial = 0; trial < 2000; trial++) {
      const truthBad = trial % 2 === 1;
      let llr = 0;
      for (let n = 0; n < 200; n++) {
        const y = (truthBad ? 1 : 0) + nextNormal(rng);
        llr += computeGaussianLlr(y, 0, 1, 1);
        const d = decideSprt(llr, t);
        if (d === 'continue') continue;
        if ((d === 'accept-h1') !== truthBad) wrong++;
        break;
      }
    }
    expect(wrong / 2000).toBeLessThan(0.05);
  });
});
