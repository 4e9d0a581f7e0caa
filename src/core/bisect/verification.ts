// Culprit verification in two stages.
//
// 1. Pinpoint's "sandwich": fresh interleaved boots of the culprit's parent
//    and the culprit must show the change by themselves (one-sided Mann–
//    Whitney). Only boots taken after the culprit was named count, as the
//    earlier ones were what singled it out (selection bias).
// 2. Is GOOD→BAD fully explained? If the parent is already worse than GOOD,
//    or BAD is worse than the culprit, another commit carries part of the
//    regression. A residual that looks material but is not significant yet
//    earns a fixed batch of interleaved boots of that endpoint and its
//    neighbour, then one final test.
//
// Rules 2 give both stages a budget in proportion to what they can still
// change, with an honest "not shown" when it is spent:
// - the sandwich is a group-sequential test of its own, with α = 1 −
//   confidence spent at its looks in shares fixed before the fresh boots (a
//   Bonferroni split: the simplest α-spending in the sense of Lan & DeMets
//   1983), where rules 1 spent all of it at every look. Its first look, at 3
//   pairs, is Student's t-test (which, unlike Mann–Whitney, can decide at 3 +
//   3 boots, see calibration.ts) at half of α; the later looks, ×1.5 apart
//   up to maxVerifyBoots, are Mann–Whitney, most of the other half going to
//   those within the budget: the pairs that show the whole GOOD→BAD change
//   with 90% power. Past the budget it stops, not shown, while the fresh
//   boots agree with the culprit; while they disagree they can still move
//   the posterior (and do: "verification boots moved the posterior"), so it
//   goes on to maxVerifyBoots. The first look's σ is the fresh pairs' own,
//   on several hosts too: σ pooled over the verify host's other, calmer
//   boots (tried: 20 more degrees of freedom) let a load spell that starts
//   inside the 3 + 3 fresh boots pass for a change (bench:sim
//   hosts-load-n12: 2.5% and 6% confidently wrong on 2 and 4 hosts, 1.0%
//   and 3.0% without it);
// - only a residual that already looks material is suspect; it gets at most
//   12 extra pairs (rules 1's one batch), looked at after 3 and after 12,
//   each look at a share of the side's α fixed in advance. It stops, not
//   shown, as soon as the conditional power under the current trend (Lan &
//   Wittes 1988) of becoming significant and material within the budget
//   falls below FUTILITY_POWER, which may be before any extra boot.

import { estimateHodgesLehmannShift, estimateSamplesPerGroup, normalCdf, normalQuantile, testMannWhitney } from '../stats/index.ts';
import { testStudentT } from './calibration.ts';
import type { BisectConfig } from './config.ts';

export interface SandwichEvaluation {
  readonly confirmed: boolean;
  /** One-sided p-value that the culprit is worse than its parent, fresh boots only. */
  readonly p: number;
}

export type ResidualStatus = 'none' | 'suspect' | 'significant';

export interface ResidualEvaluation {
  readonly status: ResidualStatus;
  readonly p: number;
  /** Log-shift in the "worse" direction as a share of GOOD→BAD's. */
  readonly share: number;
}

// A residual below this share of GOOD→BAD is not worth more boots.
const RESIDUAL_TRIGGER_SHARE = 0.1;
// A residual must reach this share to be reported, so that a tiny but
// significant drift does not raise the "more than one culprit" flag.
export const RESIDUAL_MATERIAL_SHARE = 0.15;

export const NO_RESIDUAL: ResidualEvaluation = { status: 'none', p: 1, share: 0 };

// Significance levels of the two looks at a residual: a strict one on the
// boots already there, the rest of α/2 (one side of two) after the extra
// boots, so that each side's false alarm rate stays below (1 − confidence)/2.
export function computeResidualAlphas(config: BisectConfig): { first: number; final: number } {
  const perSide = (1 - config.confidence) / 2;
  const first = perSide * (config.rules < 2 ? 0.1 : RESIDUAL_FIRST_SHARE);
  return { first, final: perSide - first };
}

// Stage 1, on log scale.
export function evaluateSandwich(freshBefore: readonly number[], freshAfter: readonly number[], config: BisectConfig): SandwichEvaluation {
  if (freshBefore.length === 0 || freshAfter.length === 0) return { confirmed: false, p: 1 };
  const alternative = config.direction === 'lower-is-worse' ? 'greater' : 'less';
  const { p } = testMannWhitney(freshBefore, freshAfter, alternative);
  return { confirmed: p <= 1 - config.confidence, p };
}

// Stage 2 for one side: is `worse` materially and significantly worse than
// `reference`? Suspect from `trigger` on (rules 2: only a residual that
// already looks material earns more boots).
export function evaluateResidual(reference: readonly number[], worse: readonly number[], fullShift: number, alpha: number, config: BisectConfig, trigger = RESIDUAL_TRIGGER_SHARE): ResidualEvaluation {
  if (reference.length < 2 || worse.length < 2 || fullShift === 0) return NO_RESIDUAL;
  const alternative = config.direction === 'lower-is-worse' ? 'greater' : 'less';
  const { p } = testMannWhitney(reference, worse, alternative);
  const share = estimateHodgesLehmannShift(reference, worse).estimate / fullShift;
  if (share < trigger) return { status: 'none', p, share };
  return { status: p <= alpha && share >= RESIDUAL_MATERIAL_SHARE ? 'significant' : 'suspect', p, share };
}

// GOOD→BAD log-shift, the yardstick for the culprit's share.
export function computeFullShift(good: readonly number[], bad: readonly number[]): number {
  return good.length > 0 && bad.length > 0 ? estimateHodgesLehmannShift(good, bad).estimate : 0;
}

/** Below this conditional power of ever reaching its bound, a check stops: "not shown". */
export const FUTILITY_POWER = 0.1;
/**
 * Rules 2: extra interleaved pairs of a suspect residual at each of its looks
 * (the last one its budget, as many as today's one batch), and the share of
 * the final α each look spends: little early, most at the end, as
 * O'Brien & Fleming (1979) boundaries do.
 */
export const RESIDUAL_LOOKS: readonly number[] = [3, 12];
const RESIDUAL_ALPHA_SHARES: readonly number[] = [0.25, 0.75];
/** Rules 2: share of a side's α spent at the first look, on the boots already there. */
const RESIDUAL_FIRST_SHARE = 0.4;
export const RESIDUAL_MAX_PAIRS = 12;
/** Variance of a Hodges–Lehmann or Mann–Whitney shift estimate relative to a difference of means: 1/ARE = π/3 (Lehmann 1975). */
const RANK_VARIANCE = Math.PI / 3;

export interface ConditionalPowerInput {
  /** The shift so far, positive in the "worse" direction (log units). */
  readonly estimate: number;
  /** Variance of that estimate, and of the estimate the remaining boots alone would give. */
  readonly currentVariance: number;
  readonly futureVariance: number;
  /** One-sided level of the last look, and a smallest shift that counts (0: any). */
  readonly alpha: number;
  readonly minimum: number;
}

// The chance that the estimate from all the boots (the current ones and those
// still in the budget, weighted by precision) ends above both its one-sided
// bound and `minimum`, if the true shift is what the current boots show:
// conditional power under the current trend (Lan & Wittes 1988), normal theory.
export function computeConditionalPower(input: ConditionalPowerInput): number {
  const { estimate, currentVariance, futureVariance, alpha, minimum } = input;
  const z = normalQuantile(1 - alpha);
  if (!(futureVariance > 0 && Number.isFinite(futureVariance))) {
    return estimate >= Math.max(z * Math.sqrt(currentVariance), minimum) ? 1 : 0;
  }
  const precision = 1 / currentVariance + 1 / futureVariance;
  const finalSe = Math.sqrt(1 / precision);
  const threshold = Math.max(z * finalSe, minimum);
  // final = (estimate/Vc + F/Vf)/precision with F ~ N(estimate, Vf): only F is still random.
  const spread = (1 / futureVariance / precision) * Math.sqrt(futureVariance);
  return 1 - normalCdf((threshold - estimate) / spread);
}

// Variance of a rank-based shift estimate between samples of m and n boots of spread σ.
export function computeShiftVariance(sigma: number, m: number, n: number): number {
  return m > 0 && n > 0 ? RANK_VARIANCE * sigma * sigma * (1 / m + 1 / n) : Number.POSITIVE_INFINITY;
}

// Rules 2: fresh pairs per side at each sandwich look, ×1.5 from verifyBoots
// up to maxVerifyBoots, the budget among them.
export function computeSandwichLooks(config: BisectConfig, cap: number): number[] {
  const looks = new Set<number>([cap, config.maxVerifyBoots]);
  for (let n = config.verifyBoots; n < config.maxVerifyBoots; n = Math.max(n + 1, Math.ceil(n * 1.5))) looks.add(n);
  return [...looks].sort((a, b) => a - b);
}

/** Share of the Mann–Whitney looks' α spent on those within the budget. */
const WITHIN_BUDGET_SHARE = 0.8;

// Rules 2: α of sandwich look `look`, fixed before the fresh boots (the
// budget comes from earlier boots): half of 1 − confidence to the first look
// (the t-test), of the other half most to the looks within the budget.
export function computeSandwichAlpha(config: BisectConfig, looks: readonly number[], cap: number, look: number): number {
  const total = 1 - config.confidence;
  if (looks.length === 1) return total;
  if (look === 0) return total / 2;
  const within = looks.filter((n, k) => k > 0 && n <= cap).length;
  const beyond = looks.length - 1 - within;
  if (within === 0 || beyond === 0) return total / 2 / (looks.length - 1);
  return (looks[look] as number) <= cap ? (total / 2) * WITHIN_BUDGET_SHARE / within : (total / 2) * (1 - WITHIN_BUDGET_SHARE) / beyond;
}

// Rules 2: the sandwich's budget while its fresh boots agree with the
// culprit: the pairs that show the whole GOOD→BAD change with 90% power at
// a later look's α, within [verifyBoots, maxVerifyBoots].
export function computeSandwichCap(config: BisectConfig, sigma: number, fullShift: number): number {
  const effect = Math.abs(fullShift);
  if (!(effect > 0) || !(sigma > 0)) return config.maxVerifyBoots;
  const needed = estimateSamplesPerGroup({ effect, sigma, alpha: ((1 - config.confidence) / 2) * WITHIN_BUDGET_SHARE / 2, power: 0.9 });
  return Math.min(config.maxVerifyBoots, Math.max(config.verifyBoots, needed));
}

/** Fresh boots "agree" with the culprit when they show at least this share of GOOD→BAD. */
export const SANDWICH_AGREEMENT_SHARE = 0.5;

export type SandwichLookStatus = 'confirmed' | 'continue' | 'not-shown';

export interface SandwichLook extends SandwichEvaluation {
  readonly status: SandwichLookStatus;
  readonly alpha: number;
  readonly test: 't' | 'mann-whitney';
  /** The fresh boots' parent→culprit shift as a share of GOOD→BAD. */
  readonly share: number;
}

// Rules 2, one sandwich look on the fresh boots (log scale). Past the budget
// it stops, not shown, only while the fresh boots agree with the culprit:
// boots that disagree can still move the posterior, and do, so they go on
// up to maxVerifyBoots (the "verification boots moved the posterior" path).
export function evaluateSandwichLook(freshBefore: readonly number[], freshAfter: readonly number[], look: number, cap: number, fullShift: number, config: BisectConfig): SandwichLook {
  const looks = computeSandwichLooks(config, cap);
  const alpha = computeSandwichAlpha(config, looks, cap, look);
  const test = look > 0 ? 'mann-whitney' : 't';
  const measured = freshBefore.length > 0 && freshAfter.length > 0;
  const p = !measured
    ? 1
    : test === 't'
      ? testStudentT(freshBefore, freshAfter, config.direction, 0.95).p
      : testMannWhitney(freshBefore, freshAfter, config.direction === 'lower-is-worse' ? 'greater' : 'less').p;
  const share = measured && fullShift !== 0 ? estimateHodgesLehmannShift(freshBefore, freshAfter).estimate / fullShift : 0;
  if (p <= alpha) return { status: 'confirmed', confirmed: true, p, alpha, test, share };
  const pairs = Math.min(freshBefore.length, freshAfter.length);
  const spent = look >= looks.length - 1 || (pairs >= cap && share >= SANDWICH_AGREEMENT_SHARE);
  return { status: spent ? 'not-shown' : 'continue', confirmed: false, p, alpha, test, share };
}

// Rules 2: the significance level of look `look` at a suspect residual's extra pairs.
export function computeResidualLookAlpha(config: BisectConfig, look: number): number {
  return computeResidualAlphas(config).final * (RESIDUAL_ALPHA_SHARES[look] ?? 0);
}

// Rules 2: the chance that a suspect residual becomes significant and
// material within the pairs left in its budget, at its current trend.
export function computeResidualPower(reference: readonly number[], worse: readonly number[], fullShift: number, pairsLeft: number, sigma: number, config: BisectConfig): number {
  if (reference.length === 0 || worse.length === 0 || fullShift === 0) return 0;
  return computeConditionalPower({
    estimate: (estimateHodgesLehmannShift(reference, worse).estimate / fullShift) * Math.abs(fullShift),
    currentVariance: computeShiftVariance(sigma, reference.length, worse.length),
    futureVariance: pairsLeft > 0 ? computeShiftVariance(sigma, pairsLeft, pairsLeft) : Number.POSITIVE_INFINITY,
    alpha: computeResidualLookAlpha(config, RESIDUAL_LOOKS.length - 1),
    minimum: RESIDUAL_MATERIAL_SHARE * Math.abs(fullShift),
  });
}
