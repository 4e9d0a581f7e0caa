// Two-sample Kolmogorov–Smirnov test (Smirnov 1939), as Pinpoint pairs it with
// Mann–Whitney. Exact p-value by counting lattice paths (Hodges 1958) for
// small samples; otherwise Kolmogorov's limit with Stephens' (1970) correction.

import { assertNonEmpty, sortAscending } from './descriptive.ts';

export interface KsResult {
  /** sup |F_x − F_y|. */
  readonly d: number;
  readonly p: number;
  readonly method: 'exact' | 'asymptotic';
}

// Largest m·n for which the O(m·n) path count is used.
const EXACT_MAX_PRODUCT = 10_000;

// Numerator of D over the common denominator m·n, so that the path count can
// compare integers rather than floats.
function computeStatisticNumerator(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  const m = xs.length;
  const n = ys.length;
  let i = 0;
  let j = 0;
  let best = 0;
  while (i < m && j < n) {
    const v = Math.min(xs[i] as number, ys[j] as number);
    while (i < m && xs[i] === v) i++;
    while (j < n && ys[j] === v) j++;
    best = Math.max(best, Math.abs(i * n - j * m));
  }
  return best;
}

// P(D ≥ d) = 1 − (paths staying strictly inside the band) / C(m+n, m).
function computeExactP(m: number, n: number, numerator: number): number {
  const row = new Array<number>(n + 1).fill(0);
  for (let i = 0; i <= m; i++) {
    for (let j = 0; j <= n; j++) {
      const inside = Math.abs(i * n - j * m) < numerator;
      if (!inside) {
        row[j] = 0;
        continue;
      }
      if (i === 0 && j === 0) row[j] = 1;
      else row[j] = (i > 0 ? (row[j] as number) : 0) + (j > 0 ? (row[j - 1] as number) : 0);
    }
  }
  let logTotal = 0;
  for (let k = 1; k <= m; k++) logTotal += Math.log(n + k) - Math.log(k);
  const inside = (row[n] as number) / Math.exp(logTotal);
  return Math.min(1, Math.max(0, 1 - inside));
}

// Q_KS(λ) = 2 Σ (−1)^{k−1} exp(−2k²λ²), the Kolmogorov limit distribution's tail.
export function kolmogorovSurvival(lambda: number): number {
  if (lambda < 0.2) return 1;
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = (k % 2 === 1 ? 2 : -2) * Math.exp(-2 * k * k * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12 * Math.abs(sum)) break;
  }
  return Math.min(1, Math.max(0, sum));
}

// Tests whether x and y come from the same distribution (two-sided).
export function testKolmogorovSmirnov(x: readonly number[], y: readonly number[]): KsResult {
  assertNonEmpty(x, 'x');
  assertNonEmpty(y, 'y');
  const xs = sortAscending(x);
  const ys = sortAscending(y);
  const m = xs.length;
  const n = ys.length;
  const numerator = computeStatisticNumerator(xs, ys);
  const d = numerator / (m * n);
  if (m * n <= EXACT_MAX_PRODUCT) {
    return { d, p: numerator === 0 ? 1 : computeExactP(m, n, numerator), method: 'exact' };
  }
  const ne = Math.sqrt((m * n) / (m + n));
  return { d, p: kolmogorovSurvival((ne + 0.12 + 0.11 / ne) * d), method: 'asymptotic' };
}
