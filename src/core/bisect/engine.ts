// The bisection engine: a pure state machine over the ordered candidate list.
// apply(state, event) folds one observation in; nextActions(state) says what
// to do next. The app, a replayed log and the simulator all drive it the same
// way, and the state is plain JSON so that a run resumes where it stopped.
//
// Phases: calibrate (is BAD really worse than GOOD?), bisect (probabilistic
// bisection, one sequential test per commit), verify (parent vs culprit).

import { UserError } from '../errors.ts';
import { createRng, nextUniform } from '../rng.ts';
import { decideSprt, estimateHodgesLehmannShift, median } from '../stats/index.ts';
import { assertNever } from '../errors.ts';
import type { VerdictKind } from '../verdict.ts';
import { computePrecisionBoots, evaluateCalibration } from './calibration.ts';
import { computeCalibrationLooks, validateBisectConfig, type BisectConfig } from './config.ts';
import { judgeCommit } from './judge.ts';
import { getRecord, readLogBoots, sumBootLlr, type LogModel } from './model.ts';
import { chooseNextCommit, findCredibleInterval, tiltPosterior, type Block } from './posterior.ts';
import { commitAt, computeStatePosterior, countAllBoots, countBoots, countBuilds, findStateLeadingBlock, getDerived } from './queries.ts';
import { summarize } from './summary.ts';
import type { Action, BisectEvent, BisectState, CommitRecord, FinalRecord, Phase, Step, VerifyTarget } from './types.ts';
import { computeFullShift, computeResidualAlphas, evaluateResidual, evaluateSandwich, NO_RESIDUAL, type SandwichEvaluation } from './verification.ts';

// Interleaved pairs spent on a side whose residual looks material.
const RESIDUAL_PAIRS = 12;

export interface BisectInput {
  /** Oldest → newest; commits[0] is GOOD, the last one BAD. */
  readonly commits: readonly string[];
  readonly config?: Partial<BisectConfig>;
}

// Starts a bisection; throws a UserError listing every problem with the input.
export function createBisection(input: BisectInput): BisectState {
  const { config, errors } = validateBisectConfig(input.config ?? {});
  const problems = [...errors];
  if (input.commits.length < 2) problems.push(`Expected at least two commits (GOOD and BAD), got ${input.commits.length}.`);
  if (new Set(input.commits).size !== input.commits.length) problems.push('Expected every commit to appear once in the list, got duplicates.');
  if (input.commits.some((c) => typeof c !== 'string' || c.length === 0)) problems.push('Expected every commit to be a non-empty string.');
  if (problems.length > 0) throw new UserError(problems.join('\n'), 'Check the revision range and the bisect options.');
  const state: BisectState = {
    version: 1,
    commits: [...input.commits],
    config,
    phase: 'calibrate',
    records: {},
    calibration: { look: 0, status: 'running', precisionBoots: null },
    current: null,
    verify: null,
    verification: null,
    exhausted: [],
    steps: [],
    warnings: [],
    final: null,
    events: 0,
  };
  advance(state);
  return state;
}

// Folds events into a fresh bisection: how a run resumes and how a log replays.
export function replay(input: BisectInput, events: readonly BisectEvent[]): BisectState {
  let state = createBisection(input);
  for (const event of events) state = apply(state, event);
  return state;
}

// One observation in, a new state out; the input state is left untouched.
export function apply(state: BisectState, event: BisectEvent): BisectState {
  const next = cloneState(state);
  const index = findCommitIndex(next, event.commit);
  const record = ensureRecord(next, index);
  switch (event.kind) {
    case 'boot':
      record.boots.push(summarizeBoot(event.runs, event.commit));
      record.times.push(next.events);
      record.runs += event.runs.length;
      record.failureStreak = 0;
      break;
    case 'build-failed':
    case 'boot-failed':
      record.failures++;
      record.failureStreak++;
      record.lastFailure = `${event.kind === 'build-failed' ? 'build' : 'boot'} failed: ${event.reason}`;
      // Retried once, then skipped like `git bisect skip`; a commit that has
      // booted before gets one more try, as its failure is likely a flake.
      if (record.failureStreak >= (record.boots.length === 0 ? 2 : 3) && record.skipped === null) {
        record.skipped = `${record.lastFailure} (${record.failureStreak} times in a row)`;
      }
      break;
    case 'skip':
      if (index === 0 || index === next.commits.length - 1) {
        throw new UserError(`Cannot skip ${describeEndpoint(next, index)}: the bisection needs both endpoints.`, 'Choose other GOOD/BAD revisions instead.');
      }
      record.skipped = `skipped by the user: ${event.reason}`;
      break;
    case 'mark':
      if ((index === 0 && event.as === 'bad') || (index === next.commits.length - 1 && event.as === 'good')) {
        throw new UserError(`Cannot mark ${describeEndpoint(next, index)} as ${event.as}.`, 'Start a new bisection with the corrected endpoints.');
      }
      record.mark = event.as;
      break;
    default:
      assertNever(event, 'event');
  }
  next.events++;
  // A mark on the commit under test ends its test inside advance(); any other is recorded here.
  if (event.kind === 'mark' && next.current?.index !== index && index > 0 && index < next.commits.length - 1) {
    const { model, posterior } = getDerived(next);
    pushCommitStep(next, index, event.as === 'bad' ? 'like-bad' : 'like-good', model, posterior, 'marked by hand');
  }
  if (next.phase !== 'done') advance(next);
  return next;
}

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

// --- advancing the state machine -------------------------------------------

// Runs the machine until it needs data it does not have.
function advance(state: BisectState): void {
  for (let guard = 0; guard < 10_000; guard++) {
    const phase = state.phase;
    switch (phase) {
      case 'done':
        return;
      case 'calibrate':
        if (!advanceCalibration(state)) return;
        break;
      case 'bisect':
        if (!advanceBisection(state)) return;
        break;
      case 'verify':
        if (!advanceVerification(state)) return;
        break;
      default:
        assertNever(phase, 'phase');
    }
  }
  throw new Error('The bisection state machine did not settle; this is a bug in kbisect.');
}

// Returns true when the phase changed and the machine should run again.
function advanceCalibration(state: BisectState): boolean {
  const last = state.commits.length - 1;
  for (const index of [0, last]) {
    const skipped = getRecord(state, index)?.skipped;
    if (skipped) {
      state.warnings.push(`${describeEndpoint(state, index)} could not be measured (${skipped}); nothing can be judged without both endpoints.`);
      finish(state, { outcome: 'inconclusive', first: null, last: null, probability: null });
      return false;
    }
  }
  const looks = computeCalibrationLooks(state.config);
  for (;;) {
    const good = readLogBoots(state, 0);
    const bad = readLogBoots(state, last);
    const precision = state.calibration.precisionBoots;
    if (precision !== null) {
      if (Math.min(good.length, bad.length) < precision) return false;
      state.phase = 'bisect';
      return true;
    }
    const target = looks[state.calibration.look] as number;
    if (Math.min(good.length, bad.length) < target) return false;
    const evaluation = evaluateCalibration(good, bad, state.calibration.look, state.config);
    const percent = formatPercent(Math.exp(evaluation.logShift) - 1);
    const ci = `${formatPercent(Math.exp(evaluation.logCi[0]) - 1)} … ${formatPercent(Math.exp(evaluation.logCi[1]) - 1)}`;
    const verdictOf: Record<typeof evaluation.status, VerdictKind> = {
      confirmed: 'like-bad',
      'no-regression': 'like-good',
      improvement: 'like-good',
      continue: 'unknown',
      inconclusive: 'unknown',
    };
    pushStep(state, {
      index: last,
      phase: 'calibrate',
      verdict: verdictOf[evaluation.status],
      boots: good.length + bad.length,
      estimate: Math.exp(evaluation.logShift),
      ci: [Math.exp(evaluation.logCi[0]), Math.exp(evaluation.logCi[1])],
      llr: null,
      p: evaluation.p,
      note: `look ${state.calibration.look + 1}/${looks.length}: GOOD→BAD ${percent} (CI ${ci}), one-sided p=${evaluation.p.toPrecision(3)} vs α=${evaluation.alpha.toPrecision(3)}`,
    }, null);
    switch (evaluation.status) {
      case 'confirmed':
        state.calibration.status = 'confirmed';
        state.calibration.precisionBoots = computePrecisionBoots(evaluation, state.config);
        break;
      case 'no-regression':
        state.warnings.push(`GOOD→BAD changed by ${percent} (CI ${ci}), inside ±${(state.config.minEffect * 100).toFixed(1)}%: no regression of the size asked for (--min-effect).`);
        finish(state, { outcome: 'no-regression', first: null, last: null, probability: null });
        return false;
      case 'improvement':
        state.warnings.push(`BAD is better than GOOD (${percent}, CI ${ci}) for direction "${state.config.direction}": nothing to bisect. To find the improvement, swap the direction.`);
        finish(state, { outcome: 'no-regression', first: null, last: null, probability: null });
        return false;
      case 'inconclusive':
        state.warnings.push(`No change between GOOD and BAD was confirmed after ${good.length}+${bad.length} boots (GOOD→BAD ${percent}, CI ${ci}, p=${evaluation.p.toPrecision(3)}).`);
        finish(state, { outcome: 'inconclusive', first: null, last: null, probability: null });
        return false;
      case 'continue':
        state.calibration.look++;
        break;
      default:
        assertNever(evaluation.status, 'calibration status');
    }
  }
}

// One sequential test at a time; when none is running, either the posterior
// is confident enough to verify, or the most informative commit is chosen.
function advanceBisection(state: BisectState): boolean {
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

// Sets up the parent/culprit sandwich for the leading block.
function startVerification(state: BisectState, block: Block): void {
  const before = block.first - 1;
  const after = block.last;
  state.verify = {
    before,
    after,
    target: state.config.verifyBoots,
    startBefore: countBoots(state, before),
    startAfter: countBoots(state, after),
    sandwich: null,
    residual: null,
    residualFound: { before: null, after: null },
  };
  state.phase = 'verify';
}

// Returns true when it sends the machine back to bisecting.
function advanceVerification(state: BisectState): boolean {
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

  const block = findStateLeadingBlock(state, posterior);
  if (block.first - 1 !== verify.before || block.last !== verify.after || block.probability < state.config.confidence) {
    pushStep(state, {
      index: verify.after,
      phase: 'verify',
      verdict: 'unknown',
      boots: before.length + after.length,
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
  const sandwich = evaluateSandwich(before.slice(verify.startBefore), after.slice(verify.startAfter), state.config);
  if (!sandwich.confirmed && canMeasure && verify.target < state.config.maxVerifyBoots) {
    verify.target = Math.min(state.config.maxVerifyBoots, Math.ceil(verify.target * 1.5));
    return false;
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
    note: `fresh interleaved boots: parent→culprit ${formatPercent(Math.exp(shift.estimate) - 1)}, one-sided p=${sandwich.p.toPrecision(3)}`,
  }, posterior);
  if (!sandwich.confirmed) {
    state.warnings.push(`Fresh interleaved boots of the culprit and its parent did not confirm the change on their own (one-sided p=${sandwich.p.toPrecision(3)}); the culprit rests on the bisection's evidence.`);
  }
  verify.sandwich = sandwich;
  return true;
}

// Stage 2: is GOOD→BAD fully explained by the culprit? Each side is looked
// at once on the boots already there; a suspicious one gets RESIDUAL_PAIRS
// interleaved boots of the endpoint and the culprit's neighbour, then a final test.
function advanceResidualCheck(state: BisectState, verify: VerifyTarget, sandwich: SandwichEvaluation, posterior: readonly number[]): boolean {
  const last = state.commits.length - 1;
  const alphas = computeResidualAlphas(state.config);
  const fullShift = computeFullShift(readLogBoots(state, 0), readLogBoots(state, last));
  // The parent vs GOOD, or BAD vs the culprit, as (reference, worse) commits.
  const sidePair = (side: 'before' | 'after'): readonly [number, number] => (side === 'before' ? [0, verify.before] : [verify.after, last]);
  const evaluateSide = (side: 'before' | 'after', alpha: number) => {
    const [reference, worse] = sidePair(side);
    if (reference === worse) return NO_RESIDUAL;
    return evaluateResidual(readLogBoots(state, reference), readLogBoots(state, worse), fullShift, alpha, state.config);
  };

  const residual = verify.residual;
  if (residual !== null) {
    const fresh = Math.min(countBoots(state, residual.first) - residual.startFirst, countBoots(state, residual.second) - residual.startSecond);
    const canMeasure = ![residual.first, residual.second].some((i) => getRecord(state, i)?.skipped);
    if (canMeasure && fresh < residual.target) return false;
    verify.residualFound = { ...verify.residualFound, [residual.side]: evaluateSide(residual.side, alphas.final).status === 'significant' };
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
    verify.residual = { side, first, second, startFirst: countBoots(state, first), startSecond: countBoots(state, second), target: RESIDUAL_PAIRS };
    return false;
  }

  const shares = { before: evaluateSide('before', 1).share, after: evaluateSide('after', 1).share };
  const before = readLogBoots(state, verify.before);
  const after = readLogBoots(state, verify.after);
  const explainedFraction = fullShift === 0 ? 0 : estimateHodgesLehmannShift(before, after).estimate / fullShift;
  const explainsFullChange = verify.residualFound.before !== true && verify.residualFound.after !== true;
  state.verification = { before: verify.before, after: verify.after, confirmed: sandwich.confirmed, p: sandwich.p, explainsFullChange, explainedFraction };
  if (!explainsFullChange) {
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

// Nothing left worth measuring: report the shortest credible interval.
function stopForBudget(state: BisectState, posterior: readonly number[]): void {
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

function finish(state: BisectState, final: FinalRecord): void {
  state.final = final;
  state.phase = 'done';
  state.current = null;
  state.verify = null;
}

// --- posterior and choice ---------------------------------------------------

// Most informative commit to test next among those that may still be tested.
function chooseFromPosterior(state: BisectState, posterior: readonly number[]): number | null {
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

// --- small helpers ----------------------------------------------------------

// Records a step with the posterior leader it leaves behind (none before bisecting).
function pushStep(state: BisectState, step: Omit<Step, 'commit' | 'leader' | 'leaderProbability'>, posterior: readonly number[] | null): void {
  let leader: string | null = null;
  let leaderProbability: number | null = null;
  if (posterior !== null) {
    const block = findStateLeadingBlock(state, posterior);
    leader = commitAt(state, block.last);
    leaderProbability = block.probability;
  }
  state.steps.push({ ...step, commit: commitAt(state, step.index), leader, leaderProbability });
}

// Records the end of a commit's test (or a mark, or a skip) with its evidence.
function pushCommitStep(state: BisectState, index: number, kind: VerdictKind, model: LogModel | null, posterior: readonly number[], note: string): void {
  const verdict = judgeCommit(state, index, model);
  const evidence = verdict === null || verdict.kind === 'skipped' ? null : verdict;
  const position = evidence === null ? null : evidence.position;
  const where = position === null ? '' : `; at ${Math.round(position * 100)}% of the way from GOOD to BAD`;
  pushStep(
    state,
    {
      index,
      phase: 'bisect',
      verdict: kind,
      boots: evidence?.boots ?? 0,
      estimate: evidence?.estimate ?? null,
      ci: evidence?.ci ?? null,
      llr: kind === 'skipped' || model === null ? null : (evidence?.llr ?? null),
      p: null,
      note: `${note}${where}`,
    },
    state.calibration.status === 'confirmed' ? posterior : null,
  );
}

function summarizeBoot(runs: readonly number[], commit: string): number {
  if (runs.length === 0) throw new UserError(`Expected at least one netperf run in the boot of ${commit}, got none.`, 'Report a boot without results as a boot-failed event.');
  for (const v of runs) {
    if (!(Number.isFinite(v) && v > 0)) {
      throw new UserError(`Expected netperf results to be positive numbers, got \`${v}\` in a boot of ${commit}.`, 'Report a boot without valid results as a boot-failed event.');
    }
  }
  return median(runs);
}

function findCommitIndex(state: BisectState, commit: string): number {
  const index = state.commits.indexOf(commit);
  if (index < 0) throw new UserError(`Expected an event for one of the ${state.commits.length} commits being bisected, got \`${commit}\`.`, 'Is the event log from another bisection?');
  return index;
}

function ensureRecord(state: BisectState, index: number): CommitRecord {
  const key = String(index);
  let record = state.records[key];
  if (record === undefined) {
    record = { boots: [], times: [], runs: 0, failureStreak: 0, failures: 0, lastFailure: null, skipped: null, mark: null, rounds: 0 };
    state.records[key] = record;
  }
  return record;
}

function cloneState(state: BisectState): BisectState {
  const records: Record<string, CommitRecord> = {};
  for (const [key, r] of Object.entries(state.records)) records[key] = { ...r, boots: [...r.boots], times: [...r.times] };
  return {
    ...state,
    records,
    calibration: { ...state.calibration },
    verify: state.verify === null ? null : { ...state.verify },
    exhausted: [...state.exhausted],
    steps: [...state.steps],
    warnings: [...state.warnings],
  };
}

function describeEndpoint(state: BisectState, index: number): string {
  return `${index === 0 ? 'GOOD' : 'BAD'} (${commitAt(state, index)})`;
}

function rangeOf(block: Block): number[] {
  return Array.from({ length: block.last - block.first + 1 }, (_, i) => block.first + i);
}

function formatPercent(fraction: number): string {
  return `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(1)}%`;
}
