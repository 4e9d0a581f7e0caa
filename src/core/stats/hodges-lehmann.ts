// Hodges & Lehmann (1963) shift estimate: the median of all pairwise
// differences y_j − x_i, with the distribution-free confidence interval of
// Moses (1965) read off the Mann–Whitney null distribution (Hollander & Wolfe
// 1999, §4.3).

import { assertNonEmpty, quantileOfSorted, sortAscending } from './descriptive.ts';
import { normalQuantile } from './distributions.ts';
import { countUDistribution, EXACT_MAX_TOTAL } from './mann-whitney.ts';

export interface ShiftEstimate {
  /** Location of y minus location of x. */
  readonly estimate: number;
  readonly ci: readonly [number, number];
  readonly confidence: number;
}

// Largest k with P(U ≤ k − 1) ≤ α/2: the CI is [D_(k), D_(mn+1−k)].
function findCriticalRank(m: number, n: number, confidence: number): number {
  const halfAlpha = (1 - confidence) / 2;
  if (m + n <= EXACT_MAX_TOTAL) {
    const counts = countUDistribution(m, n);
    let total = 0;
    for (const c of counts) total += c;
    let cumulative = 0;
    let k = 0;
    while (k < counts.length && cumulative + (counts[k] as number) <= halfAlpha * total) {
      cumulative += counts[k] as number;
      k++;
    }
    return k;
  }
  const z = normalQuantile(1 - halfAlpha);
  return Math.floor((m * n) / 2 - z * Math.sqrt((m * n * (m + n + 1)) / 12));
}

// Estimates how far y is shifted from x, with a CI that needs no normality;
// applied to log values it is a log-ratio.
export function estimateHodgesLehmannShift(x: readonly number[], y: readonly number[], confidence = 0.95): ShiftEstimate {
  assertNonEmpty(x, 'x');
  assertNonEmpty(y, 'y');
  const differences: number[] = [];
  for (const b of y) for (const a of x) differences.push(b - a);
  const sorted = sortAscending(differences);
  const k = Math.max(1, findCriticalRank(x.length, y.length, confidence));
  const lo = sorted[Math.min(k, sorted.length) - 1] as number;
  const hi = sorted[Math.max(sorted.length - k, 0)] as number;
  return { estimate: quantileOfSorted(sorted, 0.5), ci: [lo, hi], confidence };
}
