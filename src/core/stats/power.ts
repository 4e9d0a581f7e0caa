// Sample size for a one-sided two-sample comparison of a shift δ with spread
// σ: the normal-theory n = 2σ²(z_α + z_β)²/δ² per group, inflated by 1/ARE of
// the Mann–Whitney test against the t-test, π/3 (Lehmann 1975, §2.4).

import { normalQuantile } from './distributions.ts';

export interface PowerInput {
  /** Shift to detect, same units as sigma (log units in kbisect). */
  readonly effect: number;
  readonly sigma: number;
  /** One-sided significance level. */
  readonly alpha: number;
  readonly power: number;
}

// Tells a user how many boots per endpoint it would take to see their
// minimum effect when a comparison came back inconclusive.
export function estimateSamplesPerGroup(input: PowerInput): number {
  const { effect, sigma, alpha, power } = input;
  if (!(effect > 0) || !(sigma > 0)) {
    throw new RangeError(`Expected a positive effect and sigma, got effect=${effect}, sigma=${sigma}.`);
  }
  const z = normalQuantile(1 - alpha) + normalQuantile(power);
  return Math.ceil((Math.PI / 3) * 2 * ((z * sigma) / effect) ** 2);
}
