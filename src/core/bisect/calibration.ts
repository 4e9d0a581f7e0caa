// Endpoint calibration: before bisecting, confirm that BAD really is worse
// than GOOD. Interleaved boots of both are compared at a few looks with the
// one-sided Mann–Whitney test; a Bonferroni split of α over the looks keeps
// the chance of "confirming" a change that is not there below α.
//
// Under rules 2 a few early looks come first, one per boot count from
// config.firstLookBoots up to calibrationBoots − 1 (3, 4, 5 by default), so
// that a change many σ wide is confirmed at 3 + 3 boots. Mann–Whitney cannot
// do that (with 3 + 3 its smallest one-sided p is 1/20), so these looks use
// Student's (1908) two-sample t-test on log boot values, pooled variance:
// under "BAD is GOOD" both samples come from one distribution, as the pooled
// test assumes, and with equal sizes it keeps its level even when the
// spreads differ (Box 1954). A wild boot inflates the pooled spread more than
// the difference of means (one of three caps t near 1, two near 2), so it
// cannot fake a confirmation. The early looks together spend a tenth of
// calibrationAlpha, in equal parts, and the Mann–Whitney looks the rest: a
// spending of α fixed before the data, in the sense of Lan & DeMets (1983),
// whose union bound keeps the family-wise error below calibrationAlpha
// whatever the dependence between looks. Early looks only ever confirm; a
// change too small to confirm early goes on to today's looks unchanged but
// for their slightly smaller α.

import { mean, variance, estimatePooledSpread, estimateSamplesPerGroup, estimateHodgesLehmannShift, studentTCdf, studentTQuantile, testMannWhitney } from '../stats/index.ts';
import { computeCalibrationLooks, type BisectConfig } from './config.ts';

/** Share of calibrationAlpha the early t-test looks spend together (rules 2). */
export const EARLY_ALPHA_SHARE = 0.1;

export interface CalibrationLook {
  /** Boots per endpoint at this look. */
  readonly boots: number;
  readonly test: 't' | 'mann-whitney';
  /** Index among the looks of the same test. */
  readonly index: number;
}

// Every look of a calibration in order: the early t-test looks (rules 2),
// then the Mann–Whitney looks of computeCalibrationLooks.
export function computeCalibrationSchedule(config: BisectConfig): CalibrationLook[] {
  const early = computeEarlyLookBoots(config).map((boots, index) => ({ boots, test: 't' as const, index }));
  return [...early, ...computeCalibrationLooks(config).map((boots, index) => ({ boots, test: 'mann-whitney' as const, index }))];
}

// Boots per endpoint of the early looks: none under rules 1.
export function computeEarlyLookBoots(config: BisectConfig): number[] {
  if (config.rules < 2) return [];
  const boots: number[] = [];
  for (let n = Math.max(2, config.firstLookBoots); n < config.calibrationBoots; n++) boots.push(n);
  return boots;
}

// The α the Mann–Whitney looks share once the early looks took theirs.
export function computeLateCalibrationAlpha(config: BisectConfig): number {
  return computeEarlyLookBoots(config).length === 0 ? config.calibrationAlpha : config.calibrationAlpha * (1 - EARLY_ALPHA_SHARE);
}

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
  const sigma = estimatePooledSpread([goodLogs, badLogs]);
  return classifyLook({ p, alpha, logShift: hl.estimate, logCi: hl.ci, sigma }, lookIndex >= looks.length - 1, config);
}

// The decision of a Mann–Whitney look from its p-value and shift CI: no
// regression when the CI sits inside ±minEffect, confirmed when significant
// and worse, an improvement when the CI is wholly better, else look again
// (inconclusive at the last look). Shared by one host and several (hosts-calibration.ts).
export function classifyLook(base: Omit<CalibrationEvaluation, 'status'>, lastLook: boolean, config: BisectConfig): CalibrationEvaluation {
  const a = orientShift(base.logCi[0], config);
  const b = orientShift(base.logCi[1], config);
  const worseCi: readonly [number, number] = [Math.min(a, b), Math.max(a, b)];
  const worseShift = orientShift(base.logShift, config);
  const margin = Math.log(1 + config.minEffect);
  if (worseCi[0] > -margin && worseCi[1] < margin) return { status: 'no-regression', ...base };
  if (base.p <= base.alpha && worseShift > 0) return { status: 'confirmed', ...base };
  if (worseCi[1] < 0) return { status: 'improvement', ...base };
  if (lastLook) return { status: 'inconclusive', ...base };
  return { status: 'continue', ...base };
}

export interface StudentTResult {
  /** One-sided p-value that `worse` is worse than `reference`. */
  readonly p: number;
  /** mean(worse) − mean(reference), and its CI at the confidence asked for. */
  readonly difference: number;
  readonly ci: readonly [number, number];
}

// Student's (1908) pooled two-sample t-test, one-sided in the "worse"
// direction of config.direction, with a two-sided CI of the difference.
export function testStudentT(reference: readonly number[], worse: readonly number[], direction: BisectConfig['direction'], confidence: number): StudentTResult {
  const m = reference.length;
  const n = worse.length;
  const difference = mean(worse) - mean(reference);
  if (m < 2 || n < 2) return { p: 1, difference, ci: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY] };
  const df = m + n - 2;
  const pooled = ((m - 1) * variance(reference) + (n - 1) * variance(worse)) / df;
  const se = Math.sqrt(pooled * (1 / m + 1 / n));
  const q = studentTQuantile(1 - (1 - confidence) / 2, df);
  if (!(se > 0)) return { p: 1, difference, ci: [difference, difference] };
  const t = difference / se;
  const p = direction === 'lower-is-worse' ? studentTCdf(t, df) : studentTCdf(-t, df);
  return { p, difference, ci: [difference - q * se, difference + q * se] };
}

// An early look (rules 2): confirmed when the t-test says BAD is worse at
// this look's share of α, else look again; its CI is at level 1 − 2α like
// the Mann–Whitney looks' Hodges–Lehmann CI.
export function evaluateEarlyCalibration(goodLogs: readonly number[], badLogs: readonly number[], config: BisectConfig): CalibrationEvaluation {
  const early = computeEarlyLookBoots(config).length;
  const alpha = (config.calibrationAlpha * EARLY_ALPHA_SHARE) / Math.max(1, early);
  const t = testStudentT(goodLogs, badLogs, config.direction, 1 - 2 * alpha);
  const worse = config.direction === 'lower-is-worse' ? -t.difference : t.difference;
  const base = { p: t.p, alpha, logShift: t.difference, logCi: t.ci, sigma: estimatePooledSpread([goodLogs, badLogs]) };
  return { status: t.p <= alpha && worse > 0 ? 'confirmed' : 'continue', ...base };
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
// change (median of n normal values: SE ≈ 1.2533 σ/√n), capped by config;
// never fewer than `floor` (the boots of the look that confirmed, under rules 2).
export function computePrecisionBoots(evaluation: CalibrationEvaluation, config: BisectConfig, floor = config.calibrationBoots): number {
  const change = Math.abs(evaluation.logShift);
  if (!(change > 0) || !(evaluation.sigma > 0)) return floor;
  const needed = Math.ceil(((1.2533 * evaluation.sigma) / (ENDPOINT_PRECISION * change)) ** 2);
  return Math.min(config.maxCalibrationBoots, Math.max(floor, needed));
}
