// Calibration on several hosts at once: is BAD worse than GOOD? Every host
// boots both endpoints, interleaved; each look compares GOOD and BAD within
// every host and adds the hosts' evidence up, so that H hosts confirm a
// change about H times sooner in wall time than one would, and no host's
// level is ever compared with another's. Same looks and α spending as one
// host (calibration.ts): the early looks use the randomized-block t-test
// (Student's test with hosts as blocks), the later ones van Elteren's
// stratified Mann–Whitney test; with one host they are those tests.
//
// Before a blocked t-test look, wild boots are screened out of every host's
// GOOD and BAD, each against its own median (screenWildEndpointBoots). One
// wild boot, a 2% event per boot, is about even odds among the 24 boots of
// 4 hosts' first look, and one is enough to hold every t-test look back
// (it inflates the pooled spread) until the rank looks. Pure.

import { estimateHodgesLehmannShift, estimatePooledSpread, median, studentTQuantile, testBlockedT, testVanElteren, type Stratum } from '../stats/index.ts';
import { classifyLook, computeEarlyLookBoots, computeLateCalibrationAlpha, EARLY_ALPHA_SHARE, type CalibrationEvaluation, type CalibrationLook } from './calibration.ts';
import { computeCalibrationLooks, type BisectConfig } from './config.ts';

export interface HostEndpoints {
  readonly good: readonly number[];
  readonly bad: readonly number[];
}

// Decides one look over every host's GOOD and BAD log boots.
export function evaluateHostsCalibration(hosts: readonly HostEndpoints[], look: CalibrationLook, config: BisectConfig): CalibrationEvaluation {
  const strata: Stratum[] = hosts.map((h) => ({ x: h.good, y: h.bad }));
  const sigma = estimatePooledSpread(hosts.flatMap((h) => [h.good, h.bad]));
  // GOOD is the larger when lower is worse.
  const alternative = config.direction === 'lower-is-worse' ? 'greater' : 'less';
  if (look.test === 't') {
    const alpha = (config.calibrationAlpha * EARLY_ALPHA_SHARE) / Math.max(1, computeEarlyLookBoots(config).length);
    const screened = screenWildEndpointBoots(hosts, sigma);
    const t = testBlockedT(screened.map((h) => ({ x: h.good, y: h.bad })), alternative, 1 - 2 * alpha);
    const worse = config.direction === 'lower-is-worse' ? -t.difference : t.difference;
    return { status: t.p <= alpha && worse > 0 ? 'confirmed' : 'continue', p: t.p, alpha, logShift: t.difference, logCi: t.ci, sigma };
  }
  const looks = computeCalibrationLooks(config);
  const alpha = computeLateCalibrationAlpha(config) / looks.length;
  const { p } = testVanElteren(strata, alternative);
  // The shift: the hosts' Hodges–Lehmann shifts weighted by their precision;
  // its CI a t interval on the robust pooled σ (the early looks' interval with
  // a spread one wild boot cannot inflate).
  let weights = 0;
  let weighted = 0;
  let df = 0;
  for (const { good, bad } of hosts) {
    if (good.length === 0 || bad.length === 0) continue;
    const w = (good.length * bad.length) / (good.length + bad.length);
    weights += w;
    weighted += w * estimateHodgesLehmannShift(good, bad).estimate;
    df += good.length + bad.length - 2;
  }
  const logShift = weights > 0 ? weighted / weights : 0;
  const half = df >= 1 && Number.isFinite(sigma) ? studentTQuantile(1 - alpha, df) * (sigma / Math.sqrt(weights)) : Number.POSITIVE_INFINITY;
  return classifyLook({ p, alpha, logShift, logCi: [logShift - half, logShift + half], sigma }, look.index >= looks.length - 1, config);
}

/** A boot this many robust σ from the median of its own endpoint on its own host is wild (as in drift-rate.ts). */
export const WILD_SIGMAS = 5;

// Every host's GOOD and BAD without their wild boots: a boot further than
// WILD_SIGMAS σ from its group's median (σ the robust spread pooled within
// groups, estimatePooledSpread; Tukey's (1977) resistant fences in spirit,
// at a fence normal boots cross about once in a million). The rule is the
// same for both endpoints and fixed before the data, so under "BAD is GOOD"
// both groups lose their wild boots alike and the t-test sees the normal
// boots it assumes; a group keeps at least two boots (the median of two
// lies between them, so neither is ever further from it than the other).
export function screenWildEndpointBoots(hosts: readonly HostEndpoints[], sigma: number): HostEndpoints[] {
  return hosts.map((h) => ({ good: screenWildBoots(h.good, sigma), bad: screenWildBoots(h.bad, sigma) }));
}

// One group of boots without its wild ones, by the rule above (a group of
// fewer than three, or a σ that is not a positive number, is kept whole).
export function screenWildBoots(group: readonly number[], sigma: number): number[] {
  if (group.length < 3 || !(sigma > 0) || !Number.isFinite(sigma)) return [...group];
  const centre = median(group);
  const kept = group.filter((y) => Math.abs(y - centre) <= WILD_SIGMAS * sigma);
  return kept.length >= 2 ? kept : [...group];
}
