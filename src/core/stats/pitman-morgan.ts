// Whether one of two paired measurements spreads more than the other: the
// Pitman–Morgan test (Pitman 1939, "A note on normal correlation",
// Biometrika 31:9–12; Morgan 1939, Biometrika 31:13–19). For paired (u, v),
// cov(u + v, u − v) = var u − var v, so the variances are equal exactly when
// the sum and the difference are uncorrelated; under bivariate normality
// r·sqrt(ν / (1 − r²)) is Student's t with ν degrees of freedom. Paired,
// unlike an F test: two summaries of the same boots are strongly correlated,
// and the test uses that to see differences an F test of two independent
// samples could not.
import { studentTCdf } from './distributions.ts';

export interface PitmanMorganResult {
  /** Correlation of u + v with u − v (positive: u spreads more). */
  readonly r: number;
  readonly t: number;
  readonly df: number;
  /** One-sided p of "u spreads more than v". */
  readonly pGreater: number;
}

// Pairs in groups (each group centred on its own means, e.g. GOOD's boots
// and BAD's, whose levels differ by the regression): ν = pairs − groups − 1.
// Null when there are too few pairs for a degree of freedom.
export function testPairedSpread(groups: readonly (readonly (readonly [number, number])[])[]): PitmanMorganResult | null {
  let sumSD = 0;
  let sumSS = 0;
  let sumDD = 0;
  let pairs = 0;
  let used = 0;
  for (const group of groups) {
    const finite = group.filter(([u, v]) => Number.isFinite(u) && Number.isFinite(v));
    if (finite.length === 0) continue;
    used++;
    pairs += finite.length;
    const mu = finite.reduce((a, [u]) => a + u, 0) / finite.length;
    const mv = finite.reduce((a, [, v]) => a + v, 0) / finite.length;
    for (const [u, v] of finite) {
      const s = u - mu + (v - mv);
      const d = u - mu - (v - mv);
      sumSD += s * d;
      sumSS += s * s;
      sumDD += d * d;
    }
  }
  const df = pairs - used - 1;
  if (df < 1) return null;
  // identical summaries (d ≡ 0) or no spread at all (s ≡ 0): nothing to tell them apart
  if (!(sumSS > 0) || !(sumDD > 0)) return { r: 0, t: 0, df, pGreater: 1 };
  const r = Math.max(-1, Math.min(1, sumSD / Math.sqrt(sumSS * sumDD)));
  if (r >= 1) return { r, t: Number.POSITIVE_INFINITY, df, pGreater: 0 };
  if (r <= -1) return { r, t: Number.NEGATIVE_INFINITY, df, pGreater: 1 };
  const t = r * Math.sqrt(df / (1 - r * r));
  return { r, t, df, pGreater: 1 - studentTCdf(t, df) };
}
