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

import { estimateHodgesLehmannShift, testMannWhitney } from '../stats/index.ts';
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
const RESIDUAL_MATERIAL_SHARE = 0.15;

export const NO_RESIDUAL: ResidualEvaluation = { status: 'none', p: 1, share: 0 };

// Significance levels of the two looks at a residual: a strict one on the
// boots already there, the rest of α/2 (one side of two) after the extra
// boots, so that each side's false alarm rate stays below (1 − confidence)/2.
export function computeResidualAlphas(config: BisectConfig): { first: number; final: number } {
  const perSide = (1 - config.confidence) / 2;
  return { first: perSide / 10, final: perSide - perSide / 10 };
}

// Stage 1, on log scale.
export function evaluateSandwich(freshBefore: readonly number[], freshAfter: readonly number[], config: BisectConfig): SandwichEvaluation {
  if (freshBefore.length === 0 || freshAfter.length === 0) return { confirmed: false, p: 1 };
  const alternative = config.direction === 'lower-is-worse' ? 'greater' : 'less';
  const { p } = testMannWhitney(freshBefore, freshAfter, alternative);
  return { confirmed: p <= 1 - config.confidence, p };
}

// Stage 2 for one side: is `worse` materially and significantly worse than `reference`?
export function evaluateResidual(reference: readonly number[], worse: readonly number[], fullShift: number, alpha: number, config: BisectConfig): ResidualEvaluation {
  if (reference.length < 2 || worse.length < 2 || fullShift === 0) return NO_RESIDUAL;
  const alternative = config.direction === 'lower-is-worse' ? 'greater' : 'less';
  const { p } = testMannWhitney(reference, worse, alternative);
  const share = estimateHodgesLehmannShift(reference, worse).estimate / fullShift;
  if (share < RESIDUAL_TRIGGER_SHARE) return { status: 'none', p, share };
  return { status: p <= alpha && share >= RESIDUAL_MATERIAL_SHARE ? 'significant' : 'suspect', p, share };
}

// GOOD→BAD log-shift, the yardstick for the culprit's share.
export function computeFullShift(good: readonly number[], bad: readonly number[]): number {
  return good.length > 0 && bad.length > 0 ? estimateHodgesLehmannShift(good, bad).estimate : 0;
}
