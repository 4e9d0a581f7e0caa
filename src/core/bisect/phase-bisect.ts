// The bisect phase: one sequential test (SPRT) at a time on the most
// informative commit, until the posterior names a block with the confidence
// asked for (then verify) or the budget is spent. Pure.

import { decideSprt } from '../stats/index.ts';
import type { VerdictKind } from '../verdict.ts';
import { getRecord, readLogBoots, sumBootLlr, type LogModel } from './model.ts';
import { findCredibleInterval } from './posterior.ts';
import { chooseFromPosterior } from './planning.ts';
import { commitAt, countAllBoots, countBuilds, findStateLeadingBlock, getDerived } from './queries.ts';
import { ensureRecord } from './state.ts';
import { finish, pushCommitStep } from './steps.ts';
import type { BisectState } from './types.ts';
import { startVerification } from './phase-verify.ts';

// One sequential test at a time; when none is running, either the posterior
// is confident enough to verify, or the most informative commit is chosen.
export function advanceBisection(state: BisectState): boolean {
  const { model, posterior } = getDerived(state);
  if (model === null) throw new Error('The bisect phase started without endpoint boots; this is a bug in kbisect.');
  if (state.current !== null && !advanceCurrentTest(state, model, posterior)) return false;

  const block = findStateLeadingBlock(state, posterior);
  if (block.probability >= state.config.confidence) {
    startVerification(state, block);
    return true;
  }
  const next = countAllBoots(state) >= state.config.maxBoots ? null : chooseFromPosterior(state, posterior);
  if (next === null) {
    stopForBudget(state, posterior);
    return false;
  }
  const record = ensureRecord(state, next);
  record.rounds++;
  state.current = { index: next, bootsAtStart: record.boots.length };
  return false;
}

// Returns true when the current commit's round ended (with a step recorded).
function advanceCurrentTest(state: BisectState, model: LogModel, posterior: readonly number[]): boolean {
  const current = state.current;
  if (current === null) return true;
  const record = getRecord(state, current.index);
  if (record === undefined) return false;
  if (record.mark !== null) {
    pushCommitStep(state, current.index, record.mark === 'bad' ? 'like-bad' : 'like-good', model, posterior, 'marked by hand');
  } else if (record.skipped !== null && record.boots.length === current.bootsAtStart) {
    pushCommitStep(state, current.index, 'skipped', model, posterior, record.skipped);
  } else {
    const roundLogs = readLogBoots(state, current.index).slice(current.bootsAtStart);
    const atCap = roundLogs.length >= state.config.maxBootsPerCommit || record.skipped !== null;
    if (roundLogs.length < state.config.minBootsPerCommit && !atCap) return false;
    const decision = decideSprt(sumBootLlr(roundLogs, model), model);
    if (decision === 'continue' && !atCap) return false;
    const verdict: VerdictKind = decision === 'accept-h1' ? 'like-bad' : decision === 'accept-h0' ? 'like-good' : 'unknown';
    if (verdict === 'unknown') state.exhausted.push(current.index);
    const note = `round ${record.rounds}: ${roundLogs.length} boots, round LLR ${sumBootLlr(roundLogs, model).toFixed(2)}`;
    pushCommitStep(state, current.index, verdict, model, posterior, record.skipped ? `${note}; ${record.skipped}` : note);
  }
  state.current = null;
  return true;
}

// Nothing left worth measuring: report the shortest credible interval.
export function stopForBudget(state: BisectState, posterior: readonly number[]): void {
  const interval = findCredibleInterval(posterior, state.config.confidence);
  const builds = countBuilds(state);
  const why =
    countAllBoots(state) >= state.config.maxBoots
      ? `the boot budget (${state.config.maxBoots}) is spent`
      : builds >= state.config.maxBuilds
        ? `the build budget (${state.config.maxBuilds}) is spent`
        : 'no commit left can be tested informatively';
  state.warnings.push(
    `Stopped because ${why}: with probability ${interval.probability.toFixed(3)} the first bad commit is in ${commitAt(state, interval.first)}..${commitAt(state, interval.last)} (${interval.last - interval.first + 1} commits), but no commit reached ${state.config.confidence}.`,
  );
  finish(state, { outcome: 'inconclusive', first: interval.first, last: interval.last, probability: interval.probability });
}
