// Location and spread summaries shared by the tests, the engine and the
// reports. Robust ones (median, MAD, Shamos) are the defaults because netperf
// boots have heavy-tailed outliers.

// Throws early so that a silent NaN never turns into a verdict.
export function assertNonEmpty(values: readonly number[], name: string): void {
  if (values.length === 0) {
    throw new RangeError(`Expected \`${name}\` to hold at least one value, got an empty array.`);
  }
}

// Arithmetic mean, for Welch's t and simulator summaries.
export function mean(values: readonly number[]): number {
  assertNonEmpty(values, 'values');
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

// Unbiased sample variance (n - 1 denominator); 0 for a single value.
export function variance(values: readonly number[]): number {
  const m = mean(values);
  if (values.length < 2) return 0;
  let ss = 0;
  for (const v of values) ss += (v - m) ** 2;
  return ss / (values.length - 1);
}

// Sample standard deviation, for CV reports and Welch's t.
export function standardDeviation(values: readonly number[]): number {
  return Math.sqrt(variance(values));
}

// Sorted copy; the input is never mutated. A typed array sorts numerically
// natively, several times faster than Array#sort with a comparator.
export function sortAscending(values: readonly number[]): Float64Array {
  return Float64Array.from(values).sort();
}

// Quantile with linear interpolation between order statistics
// (Hyndman & Fan 1996, definition 7, the default of R and NumPy).
export function quantile(values: readonly number[], p: number): number {
  assertNonEmpty(values, 'values');
  if (!(p >= 0 && p <= 1)) {
    throw new RangeError(`Expected the quantile \`p\` to be in [0, 1], got \`${p}\`.`);
  }
  const sorted = sortAscending(values);
  return quantileOfSorted(sorted, p);
}

// Same as quantile() for input that is already sorted (hot loops).
export function quantileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (h - lo) * (b - a);
}

// k-th smallest (0-based) of a scratch array, rearranging it: Hoare's (1961)
// FIND, expected O(n), for medians in the engine's inner loop.
function selectInPlace(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k] as number;
}

// Median: the summary of one boot's runs and of a commit's boots.
export function median(values: readonly number[]): number {
  assertNonEmpty(values, 'values');
  return selectMedianInPlace(Float64Array.from(values));
}

// Median of a scratch array that may be reordered, for resampling loops.
export function selectMedianInPlace(scratch: Float64Array): number {
  const n = scratch.length;
  const upper = selectInPlace(scratch, n >> 1);
  if (n % 2 === 1) return upper;
  // After selection every value left of n/2 is ≤ upper; the lower middle is their maximum.
  let lower = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n >> 1; i++) lower = Math.max(lower, scratch[i] as number);
  return (lower + upper) / 2;
}

// Consistency factor that makes MAD estimate σ for normal data: 1 / Φ⁻¹(3/4).
export const MAD_TO_SIGMA = 1.482602218505602;

// Median absolute deviation scaled to σ (Hampel 1974): a spread that a few
// wild boots cannot inflate.
export function medianAbsoluteDeviation(values: readonly number[]): number {
  const m = median(values);
  return MAD_TO_SIGMA * median(values.map((v) => Math.abs(v - m)));
}

// Interquartile range, the unit Pinpoint normalises magnitudes by.
export function interquartileRange(values: readonly number[]): number {
  const sorted = sortAscending(values);
  return quantileOfSorted(sorted, 0.75) - quantileOfSorted(sorted, 0.25);
}

// Factor that makes the median of |X − Y| estimate σ for normal data:
// median |X − Y| = √2 · Φ⁻¹(3/4) · σ.
const PAIR_DISTANCE_TO_SIGMA = 1 / (Math.SQRT2 * 0.6744897501960817);

// Robust σ pooled over groups that may differ in location (one group = one
// commit's boots): the median distance between successive values of a group,
// scaled to σ. This is the median form of von Neumann's (1941) successive-
// difference estimator; like the Shamos (1976) estimator it needs no group
// location, so it is unbiased for groups of two, and it costs O(n log n)
// rather than O(n² log n). Returns NaN when no group has two values.
export function estimatePooledSpread(groups: readonly (readonly number[])[]): number {
  const distances: number[] = [];
  for (const g of groups) {
    for (let i = 1; i < g.length; i++) distances.push(Math.abs((g[i] as number) - (g[i - 1] as number)));
  }
  if (distances.length === 0) return Number.NaN;
  return PAIR_DISTANCE_TO_SIGMA * median(distances);
}

// The classic pooled variance of groups that may differ in location (one
// group = one commit's boots): Σ (n_g − 1)·s²_g / Σ (n_g − 1). Infinite when
// no group has two values.
export function pooledVariance(groups: readonly (readonly number[])[]): number {
  let ss = 0;
  let df = 0;
  for (const values of groups) {
    if (values.length < 2) continue;
    ss += variance(values) * (values.length - 1);
    df += values.length - 1;
  }
  return df === 0 ? Number.POSITIVE_INFINITY : ss / df;
}
