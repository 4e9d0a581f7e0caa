// The split step of change-point detection: E-divisive means (Matteson &
// James 2014, "A nonparametric approach for multiple change point analysis
// of multivariate data", JASA 109(505)) run in overlapping windows with a
// Student-t significance test instead of the permutation test, as in Hunter
// (Fleming et al. 2023, "Hunter: Using Change Point Detection to Hunt for
// Performance Regressions", ICPE '23) and its successor Apache Otava
// (docs/MATH.md there). Written from those descriptions.

import { testSplit, type PointNoise, type PrefixSums } from './segments.ts';

export interface SplitOptions {
  /** Points per sliding window (Otava's window_len). */
  readonly windowLength: number;
  /** Fewest points a segment may have on either side of a split. */
  readonly minSegment: number;
  /** p-value a split must reach to be kept as a weak change point. */
  readonly splitPValue: number;
  /** The boots' spread, for Bancroft's pooling in the t-test (segments.ts). */
  readonly pointNoise?: PointNoise | null;
}

// Pairwise |x_i − x_j| (α = 1) summed over rectangles, for one window:
// table[a·(w+1) + b] = Σ_{i<a, j<b} |x_i − x_j|.
function buildDistanceTable(values: readonly number[], offset: number, w: number): Float64Array {
  const side = w + 1;
  const table = new Float64Array(side * side);
  for (let a = 1; a <= w; a++) {
    const xa = values[offset + a - 1] as number;
    let rowSum = 0;
    for (let b = 1; b <= w; b++) {
      rowSum += Math.abs(xa - (values[offset + b - 1] as number));
      table[a * side + b] = (table[(a - 1) * side + b] as number) + rowSum;
    }
  }
  return table;
}

// Σ_{s≤i<j<t} |x_i − x_j| from the table (the table is symmetric).
function sumWithin(table: Float64Array, side: number, s: number, t: number): number {
  return ((table[t * side + t] as number) - 2 * (table[s * side + t] as number) + (table[s * side + s] as number)) / 2;
}

interface Candidate {
  /** First point after the split, local to the window. */
  readonly tau: number;
  readonly qHat: number;
}

// The (τ, κ) maximising Q̂(X = x[s, τ), Y = x[τ, κ)) with both sides at
// least minSegment long; Q̂ = nm/(n+m) · Ê, Ê the energy distance:
//   Q̂ = 2/(n+m) Σ_X Σ_Y |x−y| − 2m/((n+m)(n−1)) Σ_{X pairs} − 2n/((n+m)(m−1)) Σ_{Y pairs}.
// κ may stop short of the interval's end so that a later change does not
// blur this one (Matteson & James 2014; Otava's docs/MATH.md, Figure 2).
function findBestSplit(table: Float64Array, side: number, s: number, e: number, minSegment: number): Candidate | null {
  let best: Candidate | null = null;
  for (let tau = s + minSegment; tau + minSegment <= e; tau++) {
    const n = tau - s;
    const withinX = n > 1 ? sumWithin(table, side, s, tau) / (n - 1) : 0;
    for (let kappa = tau + minSegment; kappa <= e; kappa++) {
      const m = kappa - tau;
      const between = (table[tau * side + kappa] as number) - (table[s * side + kappa] as number) - (table[tau * side + tau] as number) + (table[s * side + tau] as number);
      const withinY = m > 1 ? sumWithin(table, side, tau, kappa) / (m - 1) : 0;
      const qHat = (2 * between - 2 * m * withinX - 2 * n * withinY) / (n + m);
      if (best === null || qHat > best.qHat) best = { tau, qHat };
    }
  }
  return best;
}

// Hierarchical E-divisive inside one window [start, end): split the interval
// holding the best candidate while the t-test on the interval's two halves
// is significant (Matteson & James 2014, with Hunter's t-test).
function splitWindow(values: readonly number[], sums: PrefixSums, start: number, end: number, options: SplitOptions): number[] {
  const w = end - start;
  const side = w + 1;
  const table = buildDistanceTable(values, start, w);
  const cuts: number[] = [0, w];
  for (;;) {
    let best: (Candidate & { from: number; to: number }) | null = null;
    for (let k = 0; k + 1 < cuts.length; k++) {
      const from = cuts[k] as number;
      const to = cuts[k + 1] as number;
      const candidate = findBestSplit(table, side, from, to, options.minSegment);
      if (candidate !== null && (best === null || candidate.qHat > best.qHat)) best = { ...candidate, from, to };
    }
    if (best === null) break;
    const test = testSplit(sums, start + best.from, start + best.tau, start + best.to, options.pointNoise ?? null);
    if (test.pValue > options.splitPValue) break;
    cuts.push(best.tau);
    cuts.sort((a, b) => a - b);
  }
  return cuts.slice(1, -1).map((tau) => start + tau);
}

// Why windows: over a long history, old changes dilute new ones; Hunter's
// sliding windows (half-overlapping, restarting at the last change found)
// keep each test local. Returns the union of weak change points, sorted.
export function findWeakChangePoints(values: readonly number[], sums: PrefixSums, options: SplitOptions): number[] {
  const n = values.length;
  const step = Math.max(1, Math.floor(options.windowLength / 2));
  const found = new Set<number>();
  let start = 0;
  while (start < n) {
    const end = Math.min(start + options.windowLength, n);
    const cuts = end - start >= 2 * options.minSegment ? splitWindow(values, sums, start, end, options) : [];
    for (const c of cuts) found.add(c);
    start = Math.max(cuts.at(-1) ?? 0, start + step);
  }
  return [...found].sort((a, b) => a - b);
}
