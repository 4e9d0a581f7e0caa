// Bartels' rank version of von Neumann's ratio test for randomness (Bartels
// 1982, JASA 77:40–46): are values in time order exchangeable, or do
// neighbours resemble each other (a drift, a level that moves between runs)?
// RVN = Σ (R_i − R_{i+1})² / Σ (R_i − R̄)² over the ranks R; about 2 for
// exchangeable values, smaller when neighbours are alike. Ranks make it
// indifferent to one wild value (a guest whose TCP crawled), unlike the
// plain ratio. The p-value uses the normal approximation with Bartels'
// exact variance, conservative enough from n = 6 on for the one use here
// (is a drift model worth fitting?).
import { normalCdf } from './distributions.ts';
import { rankWithTies } from './mann-whitney.ts';

export interface RankVonNeumannResult {
  readonly ratio: number;
  /** One-sided: small when neighbours are alike (drift, trend, level shifts). */
  readonly pValue: number;
  readonly n: number;
}

/** Fewest values the test answers for; fewer give p = 1. */
export const RANK_VON_NEUMANN_MIN_N = 6;

export function testRankVonNeumann(valuesInTimeOrder: readonly number[]): RankVonNeumannResult {
  const n = valuesInTimeOrder.length;
  if (n < RANK_VON_NEUMANN_MIN_N) return { ratio: Number.NaN, pValue: 1, n };
  const { ranks } = rankWithTies(valuesInTimeOrder);
  const mean = (n + 1) / 2;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const r = ranks[i] as number;
    den += (r - mean) * (r - mean);
    if (i + 1 < n) num += (r - (ranks[i + 1] as number)) ** 2;
  }
  // every value tied: nothing to order, no evidence either way
  if (den === 0) return { ratio: Number.NaN, pValue: 1, n };
  const ratio = num / den;
  const variance = (4 * (n - 2) * (5 * n * n - 2 * n - 9)) / (5 * n * (n + 1) * (n - 1) ** 2);
  return { ratio, pValue: normalCdf((ratio - 2) / Math.sqrt(variance)), n };
}
