// Endpoint calibration: before bisecting, confirm that BAD really is worse
// than GOOD. Interleaved boots of both are compared at a few looks with the
// one-sided Mann–Whitney test; a Bonferroni split of α over the looks keeps
// the chance of "confirming" a change that is not there below α.

import { estimatePooledSpread, estimateSamplesPerGroup, estimateHodgesLehmannShift, testMannWhitney } from '../stats/index.ts';
import { computeCalibrationLooks, type BisectConfig } from './config.ts';

export type CalibrationStatus = 'confirmed' | 'no-regression' | 'improvement' | 'continue' | 'inconclusive';

export interface CalibrationEvaluation {
  readonly status: CalibrationStatus;
  /** One-sided p-value that BAD is worse than GOOD. */
  readonly p: number;
  /** Significance level of this look. */
  readonly alpha: number;
  /** Hodges–Lehmann log-shift GOOD→BAD, with its CI at level 1 − 2α. */
  readonly logShift: number;
  readonly logCi: readonly [number, number];
  /** Robust spread of one boot, log units. */
  readonly sigma: number;
}

// Positive when BAD is worse, whichever way "worse" points.
function orientShift(shift: number, config: BisectConfig): number {
  return config.direction === 'lower-is-worse' ? -shift : shift;
}

// Decides one look; lookIndex counts from 0.
export function evaluateCalibration(goodLogs: readonly number[], badLogs: readonly number[], lookIndex: number, config: BisectConfig): CalibrationEvaluation {
  const looks = computeCalibrationLooks(config);
  const alpha = config.calibrationAlpha / looks.length;
  const alternative = config.direction === 'lower-is-worse' ? 'greater' : 'less';
  const { p } = testMannWhitney(goodLogs, badLogs, alternative);
  const hl = estimateHodgesLehmannShift(goodLogs, badLogs, 1 - 2 * alpha);
  const a = orientShift(hl.ci[0], config);
  const b = orientShift(hl.ci[1], config);
  const worseCi: readonly [number, number] = [Math.min(a, b), Math.max(a, b)];
  const worseShift = orientShift(hl.estimate, config);
  const margin = Math.log(1 + config.minEffect);
  const sigma = estimatePooledSpread([goodLogs, badLogs]);
  const base = { p, alpha, logShift: hl.estimate, logCi: hl.ci, sigma };
  if (worseCi[0] > -margin && worseCi[1] < margin) return { status: 'no-regression', ...base };
  if (p <= alpha && worseShift > 0) return { status: 'confirmed', ...base };
  if (worseCi[1] < 0) return { status: 'improvement', ...base };
  if (lookIndex >= looks.length - 1) return { status: 'inconclusive', ...base };
  return { status: 'continue', ...base };
}

// Boots per endpoint that would show a change of minEffect with 80% power.
export function estimateCalibrationPower(sigma: number, config: BisectConfig): { bootsPerEndpoint: number; bootsNeeded: number; forEffect: number; power: number } {
  const looks = computeCalibrationLooks(config);
  const power = 0.8;
  const perEndpoint = estimateSamplesPerGroup({
    effect: Math.log(1 + config.minEffect),
    sigma: Number.isFinite(sigma) && sigma > 0 ? sigma : Math.log(1 + config.minEffect),
    alpha: config.calibrationAlpha / looks.length,
    power,
  });
  return { bootsPerEndpoint: perEndpoint, bootsNeeded: 2 * perEndpoint, forEffect: config.minEffect, power };
}

// The standard error of each endpoint's median must be at most this share of
// the change: every commit is judged against the midpoint between them, so an
// endpoint that is off by a sizeable part of the change turns commits near the
// midpoint into coin flips.
const ENDPOINT_PRECISION = 1 / 5;

// Boots per endpoint that pin both levels down to ENDPOINT_PRECISION of the
// change (median of n normal values: SE ≈ 1.2533 σ/√n), capped by config.
export function computePrecisionBoots(evaluation: CalibrationEvaluation, config: BisectConfig): number {
  const change = Math.abs(evaluation.logShift);
  if (!(change > 0) || !(evaluation.sigma > 0)) return config.calibrationBoots;
  const needed = Math.ceil(((1.2533 * evaluation.sigma) / (ENDPOINT_PRECISION * change)) ** 2);
  return Math.min(config.maxCalibrationBoots, Math.max(config.calibrationBoots, needed));
}
