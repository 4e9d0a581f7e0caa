// Welch's (1947) unequal-variance t-test with the Welch–Satterthwaite degrees
// of freedom; reported next to the rank tests for users who expect a t-test.

import { assertNonEmpty, mean, variance } from './descriptive.ts';
import { studentTCdf, studentTQuantile } from './distributions.ts';
import type { Alternative } from './mann-whitney.ts';

export interface WelchResult {
  readonly t: number;
  readonly df: number;
  readonly p: number;
  /** mean(y) − mean(x). */
  readonly difference: number;
  readonly ci: readonly [number, number];
}

// Tests mean(x) against mean(y); 'greater' means x has the larger mean.
export function testWelch(x: readonly number[], y: readonly number[], alternative: Alternative = 'two-sided', confidence = 0.95): WelchResult {
  assertNonEmpty(x, 'x');
  assertNonEmpty(y, 'y');
  if (x.length < 2 || y.length < 2) {
    throw new RangeError(`Expected at least two values in each sample, got ${x.length} and ${y.length}.`);
  }
  const vx = variance(x) / x.length;
  const vy = variance(y) / y.length;
  const se = Math.sqrt(vx + vy);
  const difference = mean(y) - mean(x);
  const df = (vx + vy) ** 2 / (vx ** 2 / (x.length - 1) + vy ** 2 / (y.length - 1));
  if (se === 0) {
    return { t: 0, df: x.length + y.length - 2, p: 1, difference, ci: [difference, difference] };
  }
  const t = (mean(x) - mean(y)) / se;
  const lower = studentTCdf(t, df);
  const upper = studentTCdf(-t, df);
  const p = alternative === 'less' ? lower : alternative === 'greater' ? upper : Math.min(1, 2 * Math.min(lower, upper));
  const q = studentTQuantile(1 - (1 - confidence) / 2, df);
  return { t, df, p, difference, ci: [difference - q * se, difference + q * se] };
}
