import { describe, expect, it } from 'vitest';
import { estimateSamplesPerGroup } from '../../../src/core/stats/index.ts';

describe('sample size for the Mann–Whitney test', () => {
  it.each([
    // effect, σ, α, power → ⌈(π/3)·2·((z_{1−α}+z_{power})·σ/δ)²⌉, z values from SciPy.
    [0.01, 0.02, 0.01, 0.8, 85],
    [1, 1, 0.05, 0.8, 13],
  ])('δ=%d σ=%d α=%d power=%d', (effect, sigma, alpha, power, expected) => {
    expect(estimateSamplesPerGroup({ effect, sigma, alpha, power })).toBe(expected);
  });

  it('rejects a non-positive effect', () => {
    expect(() => estimateSamplesPerGroup({ effect: 0, sigma: 1, alpha: 0.05, power: 0.8 })).toThrow(/positive effect/);
  });
});
