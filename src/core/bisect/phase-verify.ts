// The verify phase: the parent/culprit sandwich on fresh boots, then whether
// the culprit explains all of GOOD→BAD (verification.ts holds the tests and,
// for rules 2, their budgets). Ends the bisection with a culprit or a range,
// or sends it back to bisecting when the boots it took moved the posterior
// (rules 2 check this after the explains-all check too). Pure.

import { formatPercent } from '../format.ts';
import { estimateHodgesLehmannShift } from '../stats/index.ts';
import { getRecord, readLogBoots } from './model.ts';
import type { Block } from './posterior.ts';
import { commitAt, countBoots, findStateLeadingBlock, getDerived } from './queries.ts';
import { rangeOf } from './state.ts';
import { finish, pushStep } from './steps.ts';
import type { BisectState, VerifyTarget } from './types.ts';
import {
  computeFullShift,
  computeResidualAlphas,
  computeResidualLookAlpha,
  computeResidualPower,
  computeSandwichCap,
  computeSandwichLooks,
  evaluateResidual,
  evaluateSandwich,
  evaluateSandwichLook,
  FUTILITY_POWER,
  NO_RESIDUAL,
  RESIDUAL_LOOKS,
  RESIDUAL_MATERIAL_SHARE,
  RESIDUAL_MAX_PAIRS,
  type SandwichEvaluation,
} from './verification.ts';

// Interleaved pairs spent on a side whose residual looks material.
const RESIDUAL_PAIRS = 12;

// Sets up the parent/culprit sandwich for the leading block.
export function startVerification(state: BisectState, block: Block): void {
  const before = block.first - 1;
  const after = block.last;
  const sigma = getDerived(state).model?.sigma ?? 0;
  const fullShift = computeFullShift(readLogBoots(state, 0), readLogBoots(state, state.commits.length - 1));
  state.verify = {
    before,
    after,
    target: state.config.verifyBoots,
    startBefore: countBoots(state, before),
    startAfter: countBoots(state, after),
    ...(state.config.rules < 2 ? {} : { cap: computeSandwichCap(state.config, sigma, fullShift) }),
    sandwich: null,
    residual: null,
    residualFound: { before: null, after: null },
  };
  state.phase = 'verify';
}

// Returns true when it sends the machine back to bisecting.
export function advanceVerification(state: BisectState): boolean {
  const verify = state.verify;
  if (verify === null) throw new Error('The verify phase has no target; this is a bug in kbisect.');
  const { model, posterior } = getDerived(state);
  if (model === null) throw new Error('The verify phase started without endpoint boots; this is a bug in kbisect.');
  if (verify.sandwich === null) return advanceSandwich(state, verify, posterior);
  return advanceResidualCheck(state, verify, verify.sandwich, posterior);
}

// Stage 1: fresh parent/culprit pairs until the change shows or the cap is hit.
function advanceSandwich(state: BisectState, verify: VerifyTarget, posterior: readonly number[]): boolean {
  const before = readLogBoots(state, verify.before);
  const after = readLogBoots(state, verify.after);
  // A side that can no longer be booted ends the stage with what it has.
  const canMeasure = ![verify.before, verify.after].some((i) => getRecord(state, i)?.skipped);
  const freshPairs = Math.min(before.length - verify.startBefore, after.length - verify.startAfter);
  if (canMeasure && freshPairs < verify.target) return false;

  if (sendBackIfMoved(state, verify, posterior)) return true;
  let sandwich: SandwichEvaluation;
  let stopped = '';
  if (verify.cap === undefined) {
    sandwich = evaluateSandwich(before.slice(verify.startBefore), after.slice(verify.startAfter), state.config);
    if (!sandwich.confirmed && canMeasure && verify.target < state.config.maxVerifyBoots) {
      verify.target = Math.min(state.config.maxVerifyBoots, Math.ceil(verify.target * 1.5));
      return false;
    }
  } else {
    const looks = computeSandwichLooks(state.config, verify.cap);
    const index = Math.max(0, looks.findIndex((n) => n >= verify.target));
    const fullShift = computeFullShift(readLogBoots(state, 0), readLogBoots(state, state.commits.length - 1));
    const look = evaluateSandwichLook(before.slice(verify.startBefore), after.slice(verify.startAfter), index, verify.cap, fullShift, state.config);
    if (look.status === 'continue' && canMeasure) {
      verify.target = looks[index + 1] ?? state.config.maxVerifyBoots;
      return false;
    }
    sandwich = { confirmed: look.confirmed, p: look.p };
    const test = `${look.test === 't' ? 't-test' : 'Mann–Whitney'}, look ${index + 1}/${looks.length} at α=${look.alpha.toPrecision(3)}`;
    stopped = look.confirmed ? ` (${test})` : ` (${test}); not shown within ${Math.min(before.length - verify.startBefore, after.length - verify.startAfter)} fresh pairs (budget ${verify.cap})`;
  }
  const shift = estimateHodgesLehmannShift(before, after);
  pushStep(state, {
    index: verify.after,
    phase: 'verify',
    verdict: sandwich.confirmed ? 'like-bad' : 'unknown',
    boots: before.length + after.length,
    estimate: Math.exp(shift.estimate),
    ci: [Math.exp(shift.ci[0]), Math.exp(shift.ci[1])],
    llr: null,
    p: sandwich.p,
    note: `fresh interleaved boots: parent→culprit ${formatPercent(Math.exp(shift.estimate) - 1, { signed: true })}, one-sided p=${sandwich.p.toPrecision(3)}${stopped}`,
  }, posterior);
  // Rules 2 warn once the culprit is final: the explains-all check may still send the bisection on.
  if (!sandwich.confirmed && verify.cap === undefined) state.warnings.push(describeUnconfirmed(sandwich));
  verify.sandwich = sandwich;
  return true;
}

function describeUnconfirmed(sandwich: SandwichEvaluation): string {
  return `Fresh interleaved boots of the culprit and its parent did not confirm the change on their own (one-sided p=${sandwich.p.toPrecision(3)}); the culprit rests on the bisection's evidence.`;
}

// When the boots taken while verifying moved the posterior off the pair under
// test (or below the confidence asked for), the bisection goes on; true then.
function sendBackIfMoved(state: BisectState, verify: VerifyTarget, posterior: readonly number[]): boolean {
  const block = findStateLeadingBlock(state, posterior);
  if (block.first - 1 === verify.before && block.last === verify.after && block.probability >= state.config.confidence) return false;
  pushStep(state, {
    index: verify.after,
    phase: 'verify',
    verdict: 'unknown',
    boots: countBoots(state, verify.before) + countBoots(state, verify.after),
    estimate: null,
    ci: null,
    llr: null,
    p: null,
    note: 'verification boots moved the posterior; bisecting on',
  }, posterior);
  state.verify = null;
  state.phase = 'bisect';
  return true;
}

// Rules 2: the warning when a side of the explains-all check stopped, not shown.
function describeResidualNotShown(verify: VerifyTarget, shares: { readonly before: number; readonly after: number }): string {
  const where = [
    verify.residualFound.before === 'not-shown' ? `the parent is already about ${Math.round(shares.before * 100)}% of the way from GOOD to BAD` : null,
    verify.residualFound.after === 'not-shown' ? `BAD is worse than the culprit by about ${Math.round(shares.after * 100)}% of GOOD→BAD` : null,
  ].filter((x) => x !== null);
  return `Whether the culprit explains all of GOOD→BAD was not shown: ${where.join('; ')}, not significant within the check's budget. There may be a second, smaller culprit; bisect that part of the range on its own (GOOD..parent, or culprit..BAD) to find out.`;
}

// Rules 2: a side of the explains-all check that stopped without a finding
// either way is recorded as such, with what more boots could have done.
function pushResidualNotShown(state: BisectState, verify: VerifyTarget, side: 'before' | 'after', share: number, extraPairs: number, power: number, pairsLeft: number): void {
  const what = side === 'before' ? 'GOOD vs the parent' : 'the culprit vs BAD';
  const why = pairsLeft > 0 ? `conditional power ${formatPercent(power)} of showing it within ${pairsLeft} more pairs` : 'budget spent';
  pushStep(state, {
    index: verify.after,
    phase: 'verify',
    verdict: 'unknown',
    boots: 0,
    estimate: null,
    ci: null,
    llr: null,
    p: null,
    note: `explains-all check, ${what}: a residual of ${Math.round(share * 100)}% of GOOD→BAD after ${extraPairs} extra pairs, not shown (${why})`,
  }, getDerived(state).posterior);
}

// Stage 2: is GOOD→BAD fully explained by the culprit? Each side is looked
// at once on the boots already there; a suspicious one gets RESIDUAL_PAIRS
// interleaved boots of the endpoint and the culprit's neighbour, then a final
// test (rules 2: RESIDUAL_LOOKS, with a futility stop).
function advanceResidualCheck(state: BisectState, verify: VerifyTarget, sandwich: SandwichEvaluation, posterior: readonly number[]): boolean {
  const last = state.commits.length - 1;
  const alphas = computeResidualAlphas(state.config);
  const fullShift = computeFullShift(readLogBoots(state, 0), readLogBoots(state, last));
  // The parent vs GOOD, or BAD vs the culprit, as (reference, worse) commits.
  const sidePair = (side: 'before' | 'after'): readonly [number, number] => (side === 'before' ? [0, verify.before] : [verify.after, last]);
  const evaluateSide = (side: 'before' | 'after', alpha: number) => {
    const [reference, worse] = sidePair(side);
    if (reference === worse) return NO_RESIDUAL;
    const trigger = state.config.rules < 2 ? undefined : RESIDUAL_MATERIAL_SHARE;
    return evaluateResidual(readLogBoots(state, reference), readLogBoots(state, worse), fullShift, alpha, state.config, trigger);
  };

  const rules2 = state.config.rules >= 2;
  const sigma = getDerived(state).model?.sigma ?? 0;
  // Rules 2: the chance a side still turns significant and material within its budget.
  const powerLeft = (side: 'before' | 'after', pairsLeft: number): number => {
    const [reference, worse] = sidePair(side);
    return computeResidualPower(readLogBoots(state, reference), readLogBoots(state, worse), fullShift, pairsLeft, sigma, state.config);
  };
  const residual = verify.residual;
  if (residual !== null) {
    const fresh = Math.min(countBoots(state, residual.first) - residual.startFirst, countBoots(state, residual.second) - residual.startSecond);
    const canMeasure = ![residual.first, residual.second].some((i) => getRecord(state, i)?.skipped);
    if (canMeasure && fresh < residual.target) return false;
    if (!rules2) {
      verify.residualFound = { ...verify.residualFound, [residual.side]: evaluateSide(residual.side, alphas.final).status === 'significant' };
    } else {
      const index = Math.max(0, RESIDUAL_LOOKS.findIndex((n) => n >= residual.target));
      const look = evaluateSide(residual.side, computeResidualLookAlpha(state.config, index));
      const left = canMeasure ? RESIDUAL_MAX_PAIRS - fresh : 0;
      const power = look.status === 'significant' ? 1 : powerLeft(residual.side, left);
      const next = RESIDUAL_LOOKS[index + 1];
      if (look.status === 'suspect' && next !== undefined && left > 0 && power >= FUTILITY_POWER) {
        verify.residual = { ...residual, target: next };
        return false;
      }
      verify.residualFound = { ...verify.residualFound, [residual.side]: look.status === 'suspect' ? 'not-shown' : look.status === 'significant' };
      if (look.status === 'suspect') pushResidualNotShown(state, verify, residual.side, look.share, fresh, power, left);
    }
    verify.residual = null;
  }
  for (const side of ['before', 'after'] as const) {
    if (verify.residualFound[side] !== null) continue;
    const look = evaluateSide(side, alphas.first);
    if (look.status !== 'suspect') {
      verify.residualFound = { ...verify.residualFound, [side]: look.status === 'significant' };
      continue;
    }
    const [first, second] = sidePair(side);
    if (rules2) {
      const power = powerLeft(side, RESIDUAL_MAX_PAIRS);
      if (power < FUTILITY_POWER) {
        verify.residualFound = { ...verify.residualFound, [side]: 'not-shown' };
        pushResidualNotShown(state, verify, side, look.share, 0, power, RESIDUAL_MAX_PAIRS);
        continue;
      }
    }
    verify.residual = { side, first, second, startFirst: countBoots(state, first), startSecond: countBoots(state, second), target: rules2 ? (RESIDUAL_LOOKS[0] as number) : RESIDUAL_PAIRS };
    return false;
  }

  // Rules 2: the explains-all check's boots may have moved the posterior too.
  if (rules2 && sendBackIfMoved(state, verify, posterior)) return true;
  if (rules2 && !sandwich.confirmed) state.warnings.push(describeUnconfirmed(sandwich));
  const shares = { before: evaluateSide('before', 1).share, after: evaluateSide('after', 1).share };
  const before = readLogBoots(state, verify.before);
  const after = readLogBoots(state, verify.after);
  const explainedFraction = fullShift === 0 ? 0 : estimateHodgesLehmannShift(before, after).estimate / fullShift;
  const found = [verify.residualFound.before, verify.residualFound.after];
  // A residual not shown either way leaves the question open (null), never "explains all".
  const explainsFullChange = found.includes(true) ? false : found.includes('not-shown') ? null : true;
  state.verification = { before: verify.before, after: verify.after, confirmed: sandwich.confirmed, p: sandwich.p, explainsFullChange, explainedFraction };
  if (explainsFullChange === null) state.warnings.push(describeResidualNotShown(verify, shares));
  if (explainsFullChange === false) {
    const where = [
      verify.residualFound.before === true ? `the parent is already ${Math.round(shares.before * 100)}% of the way from GOOD to BAD` : null,
      verify.residualFound.after === true ? `BAD is worse than the culprit by ${Math.round(shares.after * 100)}% of GOOD→BAD` : null,
    ].filter((x) => x !== null);
    state.warnings.push(`The culprit explains only ${Math.round(explainedFraction * 100)}% of GOOD→BAD: ${where.join('; ')}. There may be more than one culprit.`);
  }
  const block = findStateLeadingBlock(state, posterior);
  const single = block.first === block.last;
  if (!single) {
    const skipped = rangeOf(block).filter((i) => i !== block.last).map((i) => `${commitAt(state, i)} (${getRecord(state, i)?.skipped ?? 'skipped'})`);
    state.warnings.push(`The first bad commit is one of ${block.last - block.first + 1} commits, ${commitAt(state, block.first)}..${commitAt(state, block.last)}: ${skipped.join(', ')} could not be tested.`);
  }
  finish(state, { outcome: single ? 'culprit' : 'range', first: block.first, last: block.last, probability: block.probability });
  return false;
}
