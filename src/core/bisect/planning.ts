// Planning: what the caller should do next in each phase (measure actions,
// interleaved and with reference boots; build hints), and which commit is the
// most informative to test. Pure; the seeded coin flips come from config.seed.

import { assertNever } from '../errors.ts';
import { createRng, nextUniform } from '../rng.ts';
import { computeCalibrationSchedule, type CalibrationLook } from './calibration.ts';
import { getRecord } from './model.ts';
import { chooseNextCommit, findCredibleInterval, tiltPosterior } from './posterior.ts';
import { commitAt, computeStatePosterior, countBoots, countBuilds, getDerived } from './queries.ts';
import { addReferences } from './references.ts';
import { summarize } from './summary.ts';
import type { Action, BisectState, Phase } from './types.ts';

// Boots each endpoint should have before the calibration's next look (or its precision boots).
export function calibrationBootsTarget(state: BisectState): number {
  const looks = computeCalibrationSchedule(state.config);
  return state.calibration.precisionBoots ?? (looks[Math.min(state.calibration.look, looks.length - 1)] as CalibrationLook).boots;
}

// What the caller should do now. Measure actions are to be run in order (they
// alternate when the engine wants interleaved boots); build actions are hints.
export function nextActions(state: BisectState): Action[] {
  switch (state.phase) {
    case 'done':
      return [{ kind: 'done', result: summarize(state) }];
    case 'calibrate': {
      const target = calibrationBootsTarget(state);
      const good = countBoots(state, 0);
      const bad = countBoots(state, state.commits.length - 1);
      const pairs = Math.max(1, target - Math.min(good, bad));
      const firstGuess = chooseFromPosterior(state, computeStatePosterior(state, null));
      return [...planInterleaved(state, 0, state.commits.length - 1, pairs, 'calibrate'), ...hintBuilds(state, firstGuess === null ? [] : [firstGuess])];
    }
    case 'bisect': {
      const current = state.current;
      if (current === null) return [];
      const record = getRecord(state, current.index);
      const roundBoots = (record?.boots.length ?? 0) - current.bootsAtStart;
      const boots = Math.max(1, state.config.minBootsPerCommit - roundBoots);
      const measure: Action = { kind: 'measure', commit: commitAt(state, current.index), boots, phase: 'bisect' };
      return [...addReferences(state, [measure]), ...hintBuilds(state, speculate(state, current.index))];
    }
    case 'verify':
      return planVerification(state);
    default:
      return assertNever(state.phase, 'phase');
  }
}

// The verify phase's boots: the pair under test (or the explains-all
// check's pair) interleaved, with reference boots.
export function planVerification(state: BisectState): Action[] {
  const verify = state.verify;
  if (verify === null) return [];
  const residual = verify.residual;
  if (residual !== null) {
    const fresh = Math.min(countBoots(state, residual.first) - residual.startFirst, countBoots(state, residual.second) - residual.startSecond);
    return addReferences(state, planInterleaved(state, residual.first, residual.second, Math.max(1, residual.target - fresh), 'verify'));
  }
  const fresh = Math.min(countBoots(state, verify.before) - verify.startBefore, countBoots(state, verify.after) - verify.startAfter);
  return addReferences(state, planInterleaved(state, verify.before, verify.after, Math.max(1, verify.target - fresh), 'verify'));
}

// Most informative commit to test next among those that may still be tested.
// Rules 2: when nothing else is left and the posterior has narrowed the first
// bad commit down to a few, a commit among them whose test ran out of boots
// undecided gets one more round (a host whose load changed may decide it),
// once in a bisection.
export function chooseFromPosterior(state: BisectState, posterior: readonly number[]): number | null {
  const buildsLeft = countBuilds(state) < state.config.maxBuilds;
  const exhausted = new Set(state.exhausted);
  const choose = (retry: (i: number) => boolean): number | null =>
    chooseNextCommit(
      posterior,
      (i) => {
        const record = getRecord(state, i);
        if (record === undefined) return buildsLeft;
        if (record.skipped !== null || record.mark !== null) return false;
        if (exhausted.has(i) && !retry(i)) return false;
        return buildsLeft || record.boots.length > 0 || record.failures > 0;
      },
      state.config.verdictErrorRate,
    );
  const first = choose(() => false);
  if (first !== null || state.config.rules < 2) return first;
  const interval = findCredibleInterval(posterior, state.config.confidence);
  if (interval.last - interval.first + 1 > RETRY_WITHIN || new Set(state.exhausted).size < state.exhausted.length) return null;
  // commit i separates hypotheses i and i + 1: those that bound the interval count
  return choose((i) => i >= interval.first - 1 && i <= interval.last);
}

/** Rules 2: the most candidates a credible interval may span for an undecided commit in it to get another round. */
const RETRY_WITHIN = 4;

// The commits to build next if the current test ends either way.
function speculate(state: BisectState, index: number): number[] {
  const { model, posterior } = getDerived(state);
  if (model === null) return [];
  const guesses = [chooseFromPosterior(state, tiltPosterior(posterior, index, model.upper)), chooseFromPosterior(state, tiltPosterior(posterior, index, model.lower))];
  return guesses.filter((g): g is number => g !== null && g !== index);
}

// Build hints for commits never attempted, at most two.
export function hintBuilds(state: BisectState, indices: readonly number[]): Action[] {
  const fresh = [...new Set(indices)].filter((i) => getRecord(state, i) === undefined).slice(0, 2);
  return fresh.map((i) => ({ kind: 'build', commit: commitAt(state, i), speculative: true }));
}

// Alternating boots of two commits; the order within each pair is a seeded
// coin flip so that drift over time cannot line up with one side.
export function planInterleaved(state: BisectState, a: number, b: number, pairs: number, phase: Phase): Action[] {
  const actions: Action[] = [];
  const salt = countBoots(state, a) + countBoots(state, b);
  for (let j = 0; j < pairs; j++) {
    const aFirst = nextUniform(createRng(state.config.seed * 7919 + salt + 2 * j)) < 0.5;
    for (const index of aFirst ? [a, b] : [b, a]) {
      actions.push({ kind: 'measure', commit: commitAt(state, index), boots: 1, phase });
    }
  }
  return actions;
}
