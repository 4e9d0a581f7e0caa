// Calibration on several hosts at once: is BAD worse than GOOD? Every host
// boots both endpoints, interleaved; each look compares GOOD and BAD within
// every host and adds the hosts' evidence up, so that H hosts confirm a
// change about H times sooner in wall time than one would, and no host's
// level is ever compared with another's. Same looks and α spending as one
// host (calibration.ts): the early looks use the randomized-block t-test
// (Student's test with hosts as blocks), the later ones van Elteren's
// stratified Mann–Whitney test; with one host they are those tests. Pure.

import { estimateHodgesLehmannShift, estimatePooledSpread, studentTQuantile, testBlockedT, testVanElteren, type Stratum } from '../stats/index.ts';
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
    const t = testBlockedT(strata, alternative, 1 - 2 * alpha);
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
