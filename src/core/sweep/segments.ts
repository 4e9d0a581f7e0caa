// Segment statistics of a series (one value per commit, log scale) in O(1)
// per segment from prefix sums: the Student-t test that Hunter/Otava use to
// judge a split, the estimate of the step with its interval, and a confidence
// set for where the step is.

import { fSurvival, studentTCdf, studentTQuantile } from '../stats/index.ts';

export interface PrefixSums {
  /** sum[i] = Σ_{j<i} (x_j − centre). */
  readonly sum: Float64Array;
  readonly sumSquares: Float64Array;
}

// Values are centred first so that the sums of squares of log throughputs
// (≈ 9 each) do not cancel catastrophically.
export function buildPrefixSums(values: readonly number[]): PrefixSums {
  const n = values.length;
  const centre = n > 0 ? (values[0] as number) : 0;
  const sum = new Float64Array(n + 1);
  const sumSquares = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const v = (values[i] as number) - centre;
    sum[i + 1] = (sum[i] as number) + v;
    sumSquares[i + 1] = (sumSquares[i] as number) + v * v;
  }
  return { sum, sumSquares };
}

// Mean of [a, b) relative to the centre: only differences of means are used.
function computeSegmentMean(p: PrefixSums, a: number, b: number): number {
  return ((p.sum[b] as number) - (p.sum[a] as number)) / (b - a);
}

// Sum of squared deviations from the mean over [a, b).
export function computeSegmentSse(p: PrefixSums, a: number, b: number): number {
  const n = b - a;
  if (n < 2) return 0;
  const s = (p.sum[b] as number) - (p.sum[a] as number);
  const ss = (p.sumSquares[b] as number) - (p.sumSquares[a] as number);
  return Math.max(0, ss - (s * s) / n);
}

export interface SplitTest {
  /** Two-sided p-value of Student's pooled-variance t-test. */
  readonly pValue: number;
  readonly t: number;
  readonly df: number;
  /** mean(after) − mean(before), log scale. */
  readonly difference: number;
  /** Pooled standard error of the difference. */
  readonly standardError: number;
  /** The boots' own spread was pooled in (see PointNoise). */
  readonly pooledBoots: boolean;
}

/**
 * What the boots of each point say about a point's noise: the variance of
 * one point's value (log scale) from boot-to-boot spread alone, with its
 * degrees of freedom (boots − 1, summed over points).
 */
export interface PointNoise {
  readonly variance: number;
  readonly df: number;
}

// Variance of the median of b normal draws over the variance of one draw
// (exact for b ≤ 5, π/2b beyond): the point is the median of its boots.
export function medianVarianceFactor(boots: number): number {
  const exact = [1, 1, 0.5, 0.4487, 0.3433, 0.2868];
  return boots < exact.length ? (exact[boots] as number) : Math.PI / (2 * boots);
}

// The boots of every point (log values) → PointNoise, or null with too few.
export function estimatePointNoise(bootsPerPoint: readonly (readonly number[])[]): PointNoise | null {
  let sse = 0;
  let df = 0;
  let factor = 0;
  let points = 0;
  for (const boots of bootsPerPoint) {
    if (boots.length === 0) continue;
    points++;
    factor += medianVarianceFactor(boots.length);
    if (boots.length < 2) continue;
    const m = boots.reduce((a, b) => a + b, 0) / boots.length;
    for (const b of boots) sse += (b - m) * (b - m);
    df += boots.length - 1;
  }
  if (df < 2 || points === 0) return null;
  return { variance: (sse / df) * (factor / points), df };
}

// Bancroft's (1944) "sometimes pool" rule for a nested design: when the
// points scatter no more than their boots explain (preliminary F-test not
// significant at this level), the commits add no variance of their own and
// the boots' estimate joins the points' one, which gives a short series the
// degrees of freedom of its boots. Otherwise the points alone judge.
export const POOLING_ALPHA = 0.25;

// Student's (1908) two-sample t-test of [start, split) against [split, end),
// as Otava's TTestSignificanceTester does (Fleming et al. 2023): quick,
// deterministic, and good enough for the few points between change points.
// With `pointNoise`, Bancroft's rule above may pool the boots' variance in.
export function testSplit(p: PrefixSums, start: number, split: number, end: number, pointNoise: PointNoise | null = null): SplitTest {
  const n1 = split - start;
  const n2 = end - split;
  const difference = n1 > 0 && n2 > 0 ? computeSegmentMean(p, split, end) - computeSegmentMean(p, start, split) : 0;
  const pointsDf = n1 + n2 - 2;
  if (n1 < 1 || n2 < 1 || pointsDf < 1) return { pValue: 1, t: 0, df: Math.max(pointsDf, 0), difference, standardError: Number.POSITIVE_INFINITY, pooledBoots: false };
  let variance = (computeSegmentSse(p, start, split) + computeSegmentSse(p, split, end)) / pointsDf;
  let df = pointsDf;
  const pool = pointNoise !== null && pointNoise.variance > 0 && pointNoise.df >= 1 && fSurvival(variance / pointNoise.variance, pointsDf, pointNoise.df) > POOLING_ALPHA;
  if (pool) {
    df = pointsDf + pointNoise.df;
    variance = (pointsDf * variance + pointNoise.df * pointNoise.variance) / df;
  }
  const standardError = Math.sqrt(variance * (1 / n1 + 1 / n2));
  if (standardError === 0) {
    // Two perfectly flat segments: any difference at all is certain.
    return { pValue: difference === 0 ? 1 : 0, t: difference === 0 ? 0 : Math.sign(difference) * Number.POSITIVE_INFINITY, df, difference, standardError, pooledBoots: pool };
  }
  const t = difference / standardError;
  const pValue = Math.min(1, 2 * studentTCdf(-Math.abs(t), df));
  return { pValue, t, df, difference, standardError, pooledBoots: pool };
}

// Relative change after/before with a t interval, both from log means
// (a ratio of geometric means, which is what a step in log throughput is).
export function estimateRelativeChange(test: SplitTest, confidence: number): { change: number; ci: readonly [number, number] } {
  const change = Math.expm1(test.difference);
  if (!Number.isFinite(test.standardError) || test.df < 1) return { change, ci: [-1, Number.POSITIVE_INFINITY] };
  const q = studentTQuantile(1 - (1 - confidence) / 2, test.df);
  return { change, ci: [Math.expm1(test.difference - q * test.standardError), Math.expm1(test.difference + q * test.standardError)] };
}

// Where in [start, end) the one step lies, as the set of split points whose
// two-mean fit is not much worse than the best: the likelihood-ratio
// confidence set of Hinkley (1970) and Siegmund (1988). Treating the profile
// LR of a wrong split as a random walk with drift −Δ² and variance 4Δ² (in σ²
// units), P(it ever climbs above c) ≈ e^{−c/2} on each side, so c =
// 2 ln(2 / (1 − confidence)); the discrete walk overshoots, so this is
// conservative. Returns the run of admissible splits around `best` (a second
// dip elsewhere in the profile is another step's, not this one's).
export function estimateStepLocation(p: PrefixSums, start: number, end: number, best: number, confidence: number): readonly [number, number] {
  const n = end - start;
  if (n < 4 || best <= start || best >= end) return [best, best];
  const sse = new Float64Array(n);
  let minSse = Number.POSITIVE_INFINITY;
  for (let tau = start + 1; tau < end; tau++) {
    const value = computeSegmentSse(p, start, tau) + computeSegmentSse(p, tau, end);
    sse[tau - start] = value;
    minSse = Math.min(minSse, value);
  }
  const sigma2 = minSse / (n - 2);
  if (!(sigma2 > 0)) return [best, best];
  const threshold = 2 * Math.log(2 / (1 - confidence));
  const admissible = (tau: number): boolean => ((sse[tau - start] as number) - minSse) / sigma2 <= threshold;
  let first = best;
  let last = best;
  while (first - 1 > start && admissible(first - 1)) first--;
  while (last + 1 < end && admissible(last + 1)) last++;
  return [first, last];
}
