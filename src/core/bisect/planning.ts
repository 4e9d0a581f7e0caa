// Planning: what the caller should do next in each phase (measure actions,
// interleaved and with reference boots; build hints), and which commit is the
// most informative to test. Pure; the seeded coin flips come from config.seed.

import { assertNever } from '../errors.ts';
import { createRng, nextUniform } from '../rng.ts';
import { computeCalibrationLooks } from './config.ts';
import { getRecord } from './model.ts';
import { chooseNextCommit, tiltPosterior } from './posterior.ts';
import { commitAt, computeStatePosterior, countBoots, countBuilds, getDerived } from './queries.ts';
import { findCommitIndex } from './state.ts';
import { summarize } from './summary.ts';
import type { Action, BisectState, Phase } from './types.ts';

// What the caller should do now. Measure actions are to be run in order (they
// alternate when the engine wants interleaved boots); build actions are hints.
export function nextActions(state: BisectState): Action[] {
  switch (state.phase) {
    case 'done':
      return [{ kind: 'done', result: summarize(state) }];
    case 'calibrate': {
      const looks = computeCalibrationLooks(state.config);
      const target = state.calibration.precisionBoots ?? (looks[Math.min(state.calibration.look, looks.length - 1)] as number);
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
    case 'verify': {
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
    default:
      return assertNever(state.phase, 'phase');
  }
}

// Most informative commit to test next among those that may still be tested.
export function chooseFromPosterior(state: BisectState, posterior: readonly number[]): number | null {
  const buildsLeft = countBuilds(state) < state.config.maxBuilds;
  const exhausted = new Set(state.exhausted);
  return chooseNextCommit(
    posterior,
    (i) => {
      const record = getRecord(state, i);
      if (record === undefined) return buildsLeft;
      if (record.skipped !== null || record.mark !== null || exhausted.has(i)) return false;
      return buildsLeft || record.boots.length > 0 || record.failures > 0;
    },
    state.config.verdictErrorRate,
  );
}

// The commits to build next if the current test ends either way.
function speculate(state: BisectState, index: number): number[] {
  const { model, posterior } = getDerived(state);
  if (model === null) return [];
  const guesses = [chooseFromPosterior(state, tiltPosterior(posterior, index, model.upper)), chooseFromPosterior(state, tiltPosterior(posterior, index, model.lower))];
  return guesses.filter((g): g is number => g !== null && g !== index);
}

// Build hints for commits never attempted, at most two.
function hintBuilds(state: BisectState, indices: readonly number[]): Action[] {
  const fresh = [...new Set(indices)].filter((i) => getRecord(state, i) === undefined).slice(0, 2);
  return fresh.map((i) => ({ kind: 'build', commit: commitAt(state, i), speculative: true }));
}

// Alternating boots of two commits; the order within each pair is a seeded
// coin flip so that drift over time cannot line up with one side.
function planInterleaved(state: BisectState, a: number, b: number, pairs: number, phase: Phase): Action[] {
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

// With config.referenceEvery > 0, a plan of measurements with a boot of GOOD
// or BAD (in turn, the one booted longer ago first) put in wherever that many
// boots of other commits would otherwise follow the last endpoint boot.
function addReferences(state: BisectState, plan: readonly Action[]): Action[] {
  const every = state.config.referenceEvery;
  if (every === 0) return [...plan];
  const last = state.commits.length - 1;
  const lastTime = (index: number) => getRecord(state, index)?.times.at(-1) ?? -1;
  const since = Math.max(lastTime(0), lastTime(last));
  let after = 0;
  for (const [key, record] of Object.entries(state.records)) {
    const index = Number(key);
    if (index !== 0 && index !== last) after += record.times.filter((t) => t > since).length;
  }
  let nextEndpoint = lastTime(0) <= lastTime(last) ? 0 : last;
  const out: Action[] = [];
  for (const action of plan) {
    if (action.kind !== 'measure') {
      out.push(action);
      continue;
    }
    const index = findCommitIndex(state, action.commit);
    for (let b = 0; b < action.boots; b++) {
      if (index !== 0 && index !== last && after >= every) {
        out.push({ kind: 'measure', commit: commitAt(state, nextEndpoint), boots: 1, phase: action.phase, reference: true });
        nextEndpoint = nextEndpoint === 0 ? last : 0;
        after = 0;
      }
      out.push({ ...action, boots: 1 });
      if (index === 0 || index === last) {
        nextEndpoint = index === 0 ? last : 0;
        after = 0;
      } else after++;
    }
  }
  return out;
}
