// The calibrate phase: interleaved boots of GOOD and BAD, looked at a few
// times (calibration.ts decides each look), until the change is confirmed
// (then the endpoints get enough boots to be pinned down) or ruled out. Pure.

import { assertNever } from '../errors.ts';
import { formatPercent } from '../format.ts';
import type { VerdictKind } from '../verdict.ts';
import { computeCalibrationSchedule, computeLateCalibrationAlpha, computePrecisionBoots, evaluateCalibration, evaluateEarlyCalibration, type CalibrationEvaluation, type CalibrationLook } from './calibration.ts';
import { getRecord, readLogBoots } from './model.ts';
import { updateReferenceSpacing } from './references.ts';
import { describeEndpoint } from './state.ts';
import { finish, pushStep } from './steps.ts';
import type { BisectState } from './types.ts';

// Returns true when the phase changed and the machine should run again.
export function advanceCalibration(state: BisectState): boolean {
  const last = state.commits.length - 1;
  if (!checkEndpointsMeasurable(state)) return false;
  const looks = computeCalibrationSchedule(state.config);
  const lateConfig = { ...state.config, calibrationAlpha: computeLateCalibrationAlpha(state.config) };
  for (;;) {
    const good = readLogBoots(state, 0);
    const bad = readLogBoots(state, last);
    const precision = state.calibration.precisionBoots;
    if (precision !== null) {
      if (Math.min(good.length, bad.length) < precision) return false;
      state.phase = 'bisect';
      updateReferenceSpacing(state);
      return true;
    }
    const look = looks[state.calibration.look];
    if (look === undefined) throw new Error('Calibration went past its last look; this is a bug in kbisect.');
    if (Math.min(good.length, bad.length) < look.boots) return false;
    const evaluation = look.test === 't' ? evaluateEarlyCalibration(good, bad, state.config) : evaluateCalibration(good, bad, look.index, lateConfig);
    if (!concludeLook(state, evaluation, look, { good: good.length, bad: bad.length, test: look.test === 't' ? ' (t-test)' : '' })) return false;
  }
}

// An endpoint that cannot be built or booted ends the bisection (false then).
export function checkEndpointsMeasurable(state: BisectState): boolean {
  for (const index of [0, state.commits.length - 1]) {
    const skipped = getRecord(state, index)?.skipped;
    if (skipped) {
      state.warnings.push(`${describeEndpoint(state, index)} could not be measured (${skipped}); nothing can be judged without both endpoints.`);
      finish(state, { outcome: 'inconclusive', first: null, last: null, probability: null });
      return false;
    }
  }
  return true;
}

// Records one look's step and acts on its status; false when the bisection
// ended (no regression, inconclusive), true to go on. `boots`: GOOD and BAD
// boots the look saw, and how the note names its test. Shared by one host
// and several (phase-hosts.ts).
export function concludeLook(state: BisectState, evaluation: CalibrationEvaluation, look: CalibrationLook, boots: { readonly good: number; readonly bad: number; readonly test: string }): boolean {
  const looks = computeCalibrationSchedule(state.config);
  const last = state.commits.length - 1;
  const percent = formatPercent(Math.exp(evaluation.logShift) - 1, { signed: true });
  const ci = `${formatPercent(Math.exp(evaluation.logCi[0]) - 1, { signed: true })} … ${formatPercent(Math.exp(evaluation.logCi[1]) - 1, { signed: true })}`;
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
    boots: boots.good + boots.bad,
    estimate: Math.exp(evaluation.logShift),
    ci: [Math.exp(evaluation.logCi[0]), Math.exp(evaluation.logCi[1])],
    llr: null,
    p: evaluation.p,
    note: `look ${state.calibration.look + 1}/${looks.length}${boots.test}: GOOD→BAD ${percent} (CI ${ci}), one-sided p=${evaluation.p.toPrecision(3)} vs α=${evaluation.alpha.toPrecision(3)}`,
  }, null);
  switch (evaluation.status) {
    case 'confirmed':
      state.calibration.status = 'confirmed';
      state.calibration.precisionBoots = state.config.rules < 2 ? computePrecisionBoots(evaluation, state.config) : computePrecisionBoots(evaluation, state.config, look.boots);
      break;
    case 'no-regression':
      state.warnings.push(`GOOD→BAD changed by ${percent} (CI ${ci}), inside ±${formatPercent(state.config.minEffect)}: no regression of the size asked for (--min-effect).`);
      finish(state, { outcome: 'no-regression', first: null, last: null, probability: null });
      return false;
    case 'improvement':
      state.warnings.push(`BAD is better than GOOD (${percent}, CI ${ci}) for direction "${state.config.direction}": nothing to bisect. To find the improvement, swap the direction.`);
      finish(state, { outcome: 'no-regression', first: null, last: null, probability: null });
      return false;
    case 'inconclusive':
      state.warnings.push(`No change between GOOD and BAD was confirmed after ${boots.good}+${boots.bad} boots (GOOD→BAD ${percent}, CI ${ci}, p=${evaluation.p.toPrecision(3)}).`);
      finish(state, { outcome: 'inconclusive', first: null, last: null, probability: null });
      return false;
    case 'continue':
      state.calibration.look++;
      break;
    default:
      assertNever(evaluation.status, 'calibration status');
  }
  return true;
}
