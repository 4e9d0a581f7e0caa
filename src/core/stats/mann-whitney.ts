// Mann & Whitney (1947) rank-sum test. Exact null distribution when there are
// no ties and the samples are small; otherwise the normal approximation with
// tie correction and continuity correction (Lehmann 1975, §1.4).

import { assertNonEmpty } from './descriptive.ts';
import { normalCdf, normalSurvival } from './distributions.ts';

export type Alternative = 'two-sided' | 'less' | 'greater';

export interface MannWhitneyResult {
  /** U for x: #{x_i > y_j} + ½ #{x_i = y_j}. */
  readonly u: number;
  readonly p: number;
  readonly method: 'exact' | 'normal';
}

// Largest n_x + n_y for which exact counts stay integers in a double (C(56,28) < 2^53).
export const EXACT_MAX_TOTAL = 50;

// Number of orderings giving each U value, i.e. the coefficients of the
// Gaussian binomial [m+n choose m]_q = ∏_{i=1..m} (1 − q^{n+i}) / (1 − q^i).
// Every intermediate polynomial is itself a Gaussian binomial, so all values
// are integers no larger than C(m+n, m).
export function countUDistribution(m: number, n: number): number[] {
  const size = m * n + 1;
  const counts = new Array<number>(size).fill(0);
  counts[0] = 1;
  for (let i = 1; i <= m; i++) {
    const shift = n + i;
    for (let k = size - 1; k >= shift; k--) counts[k] = (counts[k] as number) - (counts[k - shift] as number);
    for (let k = i; k < size; k++) counts[k] = (counts[k] as number) + (counts[k - i] as number);
  }
  return counts;
}

// P(U ≤ u) under H0 for the exact distribution.
function computeExactLowerTail(counts: readonly number[], u: number): number {
  let total = 0;
  let below = 0;
  for (let k = 0; k < counts.length; k++) {
    const c = counts[k] as number;
    total += c;
    if (k <= u) below += c;
  }
  return below / total;
}

// Mid-ranks (1-based) of the pooled sample and the tie-group sizes.
export function rankWithTies(values: readonly number[]): { ranks: number[]; tieSizes: number[] } {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length).fill(0);
  const tieSizes: number[] = [];
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && (order[j + 1] as readonly [number, number])[0] === (order[i] as readonly [number, number])[0]) j++;
    const midRank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) ranks[(order[k] as readonly [number, number])[1]] = midRank;
    if (j > i) tieSizes.push(j - i + 1);
    i = j + 1;
  }
  return { ranks, tieSizes };
}

// Tests whether x tends to be larger ('greater'), smaller ('less') or either
// than y; used to confirm GOOD→BAD and parent→culprit changes.
export function testMannWhitney(x: readonly number[], y: readonly number[], alternative: Alternative = 'two-sided'): MannWhitneyResult {
  assertNonEmpty(x, 'x');
  assertNonEmpty(y, 'y');
  const m = x.length;
  const n = y.length;
  const { ranks, tieSizes } = rankWithTies([...x, ...y]);
  let rankSumX = 0;
  for (let i = 0; i < m; i++) rankSumX += ranks[i] as number;
  const u = rankSumX - (m * (m + 1)) / 2;

  if (tieSizes.length === 0 && m + n <= EXACT_MAX_TOTAL) {
    const counts = countUDistribution(m, n);
    // U takes integer values without ties; P(U ≥ u) = P(U ≤ mn − u) by symmetry.
    const lower = computeExactLowerTail(counts, u);
    const upper = computeExactLowerTail(counts, m * n - u);
    const p = alternative === 'less' ? lower : alternative === 'greater' ? upper : Math.min(1, 2 * Math.min(lower, upper));
    return { u, p, method: 'exact' };
  }

  const total = m + n;
  const tieTerm = tieSizes.reduce((acc, t) => acc + t ** 3 - t, 0) / (total * (total - 1));
  const sd = Math.sqrt(((m * n) / 12) * (total + 1 - tieTerm));
  const centre = (m * n) / 2;
  if (sd === 0) return { u, p: 1, method: 'normal' };
  const zUpper = (u - centre - 0.5) / sd;
  const zLower = (u - centre + 0.5) / sd;
  const pGreater = normalSurvival(zUpper);
  const pLess = normalCdf(zLower);
  const p = alternative === 'less' ? pLess : alternative === 'greater' ? pGreater : Math.min(1, 2 * Math.min(pLess, pGreater));
  return { u, p, method: 'normal' };
}
