// Fixed, seed-free samples for the statistics tests: the same spread every run.

// A fixed ±2% pattern of log deviations (mean ≈ 0), repeated as needed.
export const LOG_SPREAD_PATTERN: readonly number[] = [0.012, -0.02, 0.004, 0.017, -0.009, -0.003, 0.021, -0.015, 0.008, -0.001];

// N log values around SHIFT (GOOD around 0, BAD around its log change) with the fixed spread.
export function makeLogSample(n: number, shift: number): number[] {
  return Array.from({ length: n }, (_, i) => shift + (LOG_SPREAD_PATTERN[i % LOG_SPREAD_PATTERN.length] ?? 0));
}
