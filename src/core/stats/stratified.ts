// Two-sample comparisons over strata (one stratum = one measurement host)
// whose levels may differ: every comparison stays within a stratum, and the
// strata's evidence is added up, never their raw values. Used to confirm
// GOOD→BAD on several hosts at once and to see whether the hosts agree on
// its size.

import { mean, variance } from './descriptive.ts';
import { fSurvival, normalCdf, normalSurvival, studentTCdf, studentTQuantile } from './distributions.ts';
import type { Alternative } from './mann-whitney.ts';
import { rankWithTies } from './mann-whitney.ts';

export interface Stratum {
  readonly x: readonly number[];
  readonly y: readonly number[];
}

export interface BlockedTResult {
  readonly t: number;
  readonly df: number;
  readonly p: number;
  /** Weighted mean over strata of mean(y) − mean(x). */
  readonly difference: number;
  readonly ci: readonly [number, number];
}

// Weight of a stratum's difference of means: 1 / (1/m + 1/n), its precision in σ² units.
function weightOf(m: number, n: number): number {
  return (m * n) / (m + n);
}

// The randomized-block t-test (Fisher 1935, The Design of Experiments §§ 24–
// 26; here as the additive two-way model, strata as blocks): each stratum's
// difference of means, weighted by its precision, over the within-stratum
// pooled variance. One stratum is Student's pooled two-sample test. Strata
// with an empty side are left out. 'greater' means x has the larger mean.
export function testBlockedT(strata: readonly Stratum[], alternative: Alternative = 'two-sided', confidence = 0.95): BlockedTResult {
  let weights = 0;
  let weighted = 0;
  let squares = 0;
  let df = 0;
  for (const { x, y } of strata) {
    if (x.length === 0 || y.length === 0) continue;
    const w = weightOf(x.length, y.length);
    weights += w;
    weighted += w * (mean(y) - mean(x));
    if (x.length > 1) squares += (x.length - 1) * variance(x);
    if (y.length > 1) squares += (y.length - 1) * variance(y);
    df += x.length + y.length - 2;
  }
  if (weights === 0) throw new RangeError('Expected at least one stratum with values on both sides, got none.');
  const difference = weighted / weights;
  if (df < 1) return { t: 0, df, p: 1, difference, ci: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY] };
  const se = Math.sqrt(squares / df / weights);
  if (!(se > 0)) return { t: 0, df, p: 1, difference, ci: [difference, difference] };
  const t = difference / se;
  // mean(y) − mean(x) > 0 is evidence that x is the smaller ('less').
  const pLess = 1 - studentTCdf(t, df);
  const pGreater = studentTCdf(t, df);
  const p = alternative === 'less' ? pLess : alternative === 'greater' ? pGreater : Math.min(1, 2 * Math.min(pLess, pGreater));
  const q = studentTQuantile(1 - (1 - confidence) / 2, df);
  return { t, df, p, difference, ci: [difference - q * se, difference + q * se] };
}

export interface VanElterenResult {
  readonly z: number;
  readonly p: number;
}

// van Elteren's (1960) stratified Wilcoxon–Mann–Whitney test: per stratum
// the U statistic of x, centred and divided by (N_h + 1), summed; the normal
// approximation with the tie-corrected variance. Locally most powerful
// against a common shift when strata differ in level and size. One stratum
// is the normal-approximation Mann–Whitney test without continuity
// correction. 'greater' means x tends to be larger.
export function testVanElteren(strata: readonly Stratum[], alternative: Alternative = 'two-sided'): VanElterenResult {
  let statistic = 0;
  let varianceSum = 0;
  for (const { x, y } of strata) {
    const m = x.length;
    const n = y.length;
    if (m === 0 || n === 0) continue;
    const total = m + n;
    const { ranks, tieSizes } = rankWithTies([...x, ...y]);
    let rankSumX = 0;
    for (let i = 0; i < m; i++) rankSumX += ranks[i] as number;
    const u = rankSumX - (m * (m + 1)) / 2;
    const tieTerm = total > 1 ? tieSizes.reduce((acc, t) => acc + t ** 3 - t, 0) / (total * (total - 1)) : 0;
    statistic += (u - (m * n) / 2) / (total + 1);
    varianceSum += ((m * n) / 12) * (total + 1 - tieTerm) / (total + 1) ** 2;
  }
  if (!(varianceSum > 0)) return { z: 0, p: 1 };
  const z = statistic / Math.sqrt(varianceSum);
  const p = alternative === 'greater' ? normalSurvival(z) : alternative === 'less' ? normalCdf(z) : Math.min(1, 2 * normalSurvival(Math.abs(z)));
  return { z, p };
}

export interface HeterogeneityResult {
  /** Cochran's Q: Σ w_h (d_h − d̄)² / σ². */
  readonly q: number;
  /** F = Q / (k − 1) on (k − 1, df) degrees of freedom. */
  readonly f: number;
  readonly p: number;
  /** d̄, the precision-weighted mean difference. */
  readonly pooled: number;
}

export interface StratumDifference {
  readonly difference: number;
  /** Precision of the difference in units of 1/σ² (1 / (1/m + 1/n) for a difference of means). */
  readonly weight: number;
}

// Do the strata agree on the size of the difference? Cochran's (1954) Q of
// the per-stratum differences about their weighted mean, read as the F-test
// of the stratum × treatment interaction of the two-way model (Fisher 1935)
// when σ is estimated on `df` degrees of freedom. p = 1 with fewer than two
// strata.
export function testHeterogeneity(differences: readonly StratumDifference[], sigma: number, df: number): HeterogeneityResult {
  const weights = differences.reduce((a, d) => a + d.weight, 0);
  const pooled = weights > 0 ? differences.reduce((a, d) => a + d.weight * d.difference, 0) / weights : 0;
  if (differences.length < 2 || !(sigma > 0) || !(df >= 1)) return { q: 0, f: 0, p: 1, pooled };
  const q = differences.reduce((a, d) => a + d.weight * (d.difference - pooled) ** 2, 0) / sigma ** 2;
  const f = q / (differences.length - 1);
  return { q, f, p: fSurvival(f, differences.length - 1, df), pooled };
}
