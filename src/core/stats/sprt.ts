// Wald's (1947) sequential probability ratio test on one commit's boots:
// "behaves like GOOD" (H0) against "behaves like BAD" (H1). Each boot adds a
// log-likelihood ratio; the test stops as soon as the sum crosses a boundary.
// Increments come from a gross-error likelihood and are clipped (Huber 1965,
// the censored robust SPRT) so that no single boot can carry a decision alone.

export interface SprtThresholds {
  /** Accept H1 (like BAD) at or above: ln((1 − β) / α). */
  readonly upper: number;
  /** Accept H0 (like GOOD) at or below: ln(β / (1 − α)). */
  readonly lower: number;
}

export type SprtDecision = 'accept-h1' | 'accept-h0' | 'continue';

// Wald's boundaries for error rates α (false "like BAD") and β (false "like GOOD").
export function computeSprtThresholds(alpha: number, beta: number): SprtThresholds {
  if (!(alpha > 0 && alpha < 0.5 && beta > 0 && beta < 0.5)) {
    throw new RangeError(`Expected SPRT error rates in (0, 0.5), got α=${alpha}, β=${beta}.`);
  }
  return { upper: Math.log((1 - beta) / alpha), lower: Math.log(beta / (1 - alpha)) };
}

// ln N(y; μ1, σ) − ln N(y; μ0, σ): positive when y looks like μ1.
export function computeGaussianLlr(y: number, mean0: number, mean1: number, sigma: number): number {
  return ((mean1 - mean0) * (y - (mean0 + mean1) / 2)) / (sigma * sigma);
}

// LLR of y under the gross-error model (1 − ε)·N(μ, σ) + ε·g (Tukey 1960;
// Huber 1964), where a share ε of observations are wild with flat density g:
// Gaussian near the two means, fading to 0 for a value far from both, so a
// wild boot neither helps nor hurts. The common factor 1/(σ√2π) cancels.
export function computeContaminatedLlr(y: number, mean0: number, mean1: number, sigma: number, contamination: number, outlierDensity: number): number {
  const floor = ((contamination * outlierDensity) / (1 - contamination)) * sigma * Math.sqrt(2 * Math.PI);
  const z0 = (y - mean0) / sigma;
  const z1 = (y - mean1) / sigma;
  return Math.log((Math.exp(-0.5 * z1 * z1) + floor) / (Math.exp(-0.5 * z0 * z0) + floor));
}

// Huber's censoring: the increment is bounded by ±bound.
export function clipLlr(llr: number, bound: number): number {
  return Math.max(-bound, Math.min(bound, llr));
}

// Reads the boundary the accumulated LLR has crossed, if any.
export function decideSprt(llr: number, thresholds: SprtThresholds): SprtDecision {
  if (llr >= thresholds.upper) return 'accept-h1';
  if (llr <= thresholds.lower) return 'accept-h0';
  return 'continue';
}
