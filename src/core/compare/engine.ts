// The comparison as a pure state machine over its log of boots: interleaved
// boots of A and B, each pair in a seeded random order, looked at when both
// sides reach the calibration looks (6, 9, 14, … per side). Each look asks the
// bisection's endpoint calibration (calibration.ts: one-sided Mann–Whitney,
// Hodges–Lehmann CI against ±minEffect) both ways, each at α/2: "different"
// when either direction is confirmed, "same" when the change is confidently
// inside ±minEffect, "inconclusive" at the last look. Fold, plan: no I/O.
import { UserError, assertNever } from '../errors.ts';
import { evaluateCalibration, type CalibrationEvaluation } from '../bisect/calibration.ts';
import { computeCalibrationLooks, type Direction } from '../bisect/config.ts';
import { summarizeBoot } from '../bisect/state.ts';
import type { BisectEvent } from '../bisect/types.ts';
import { formatPercent } from '../format.ts';
import { createRng, nextUniform } from '../rng.ts';
import { compareConfigOf } from './settings.ts';
import type { CompareAction, CompareFinal, CompareInput, CompareSettings, CompareSide, CompareState, LookRecord, SideRecord } from './types.ts';

// A side measured this many times in a row without a sample cannot be compared (the bisection retries a failed commit once too).
export const MAX_FAILURE_STREAK = 2;

function emptySide(): SideRecord {
  return { boots: [], failures: 0, failureStreak: 0, lastFailure: null, skipped: null };
}

// Starts a comparison; A and B must be two different things.
export function createCompare(input: CompareInput): CompareState {
  if (input.a === input.b) throw new UserError(`Expected A and B to be two different kernels, got ${input.a.slice(0, 12)} twice.`, 'compare two different revisions or images');
  return { input, a: emptySide(), b: emptySide(), look: 0, looks: [], final: null, events: 0 };
}

// Boots per side at which the comparison looks at the data.
export function computeCompareLooks(settings: CompareSettings): number[] {
  return computeCalibrationLooks(compareConfigOf(settings));
}

function opposite(direction: Direction): Direction {
  return direction === 'lower-is-worse' ? 'higher-is-worse' : 'lower-is-worse';
}

// One look: calibration's test both ways, each at α/2 (Bonferroni), on log boot values.
export function evaluateLook(aLogs: readonly number[], bLogs: readonly number[], look: number, settings: CompareSettings): LookRecord {
  const config = compareConfigOf(settings);
  const worse = evaluateCalibration(aLogs, bLogs, look, config);
  const better = evaluateCalibration(aLogs, bLogs, look, { ...config, direction: opposite(settings.direction) });
  const base = (e: CalibrationEvaluation): Omit<LookRecord, 'status'> => ({
    look,
    bootsA: aLogs.length,
    bootsB: bLogs.length,
    p: Math.min(1, 2 * Math.min(worse.p, better.p)),
    alpha: 2 * e.alpha,
    logShift: e.logShift,
    logCi: e.logCi,
    sigma: e.sigma,
  });
  // the equivalence check is symmetric: both evaluations agree on it
  if (worse.status === 'no-regression') return { ...base(worse), status: 'same' };
  if (worse.status === 'confirmed' || better.status === 'confirmed') return { ...base(worse), status: 'different' };
  return { ...base(worse), status: worse.status === 'inconclusive' ? 'inconclusive' : 'continue' };
}

function cloneState(state: CompareState): CompareState {
  const side = (s: SideRecord): SideRecord => ({ ...s, boots: [...s.boots] });
  return { ...state, a: side(state.a), b: side(state.b), looks: [...state.looks] };
}

function sideOf(state: CompareState, id: string): CompareSide {
  if (id === state.input.a) return 'a';
  if (id === state.input.b) return 'b';
  throw new UserError(`Expected a boot of A (${state.input.a.slice(0, 12)}) or B (${state.input.b.slice(0, 12)}), got one of ${id.slice(0, 12)}.`, 'the comparison log belongs to another pair: start it again with --restart');
}

const LABEL: Record<CompareSide, string> = { a: 'A', b: 'B' };

function describeChange(look: LookRecord): string {
  const pct = (v: number): string => formatPercent(Math.expm1(v), { signed: true });
  return `A→B ${pct(look.logShift)}, CI at the look's level ${pct(look.logCi[0])} … ${pct(look.logCi[1])}`;
}

// What a decided look means for the outcome, and why, in one sentence.
function finalOf(look: LookRecord, looks: readonly number[], settings: CompareSettings): CompareFinal | null {
  const where = `look ${look.look + 1}/${looks.length}: ${look.bootsA} of A, ${look.bootsB} of B`;
  switch (look.status) {
    case 'different': {
      const lower = look.logShift < 0;
      const verdict = lower === (settings.direction === 'lower-is-worse') ? 'worse' : 'better';
      return { outcome: 'different', verdict, reason: `B is ${verdict} than A: two-sided p=${look.p.toPrecision(3)} ≤ α=${look.alpha.toPrecision(3)} (${where})` };
    }
    case 'same':
      return { outcome: 'same', verdict: null, reason: `A and B are the same within ±${formatPercent(settings.minEffect)}: ${describeChange(look)} (${where})` };
    case 'inconclusive':
      return {
        outcome: 'inconclusive',
        verdict: null,
        reason: `neither a difference nor sameness within ±${formatPercent(settings.minEffect)} was shown after ${look.bootsA} of A and ${look.bootsB} of B: ${describeChange(look)}, two-sided p=${look.p.toPrecision(3)}`,
      };
    case 'continue':
      return null;
    default:
      return assertNever(look.status, 'look status');
  }
}

// Looks at the data at every look both sides have reached, until one decides.
function advance(state: CompareState): void {
  const looks = computeCompareLooks(state.input.settings);
  for (const s of ['a', 'b'] as const) {
    const side = state[s];
    if (side.skipped !== null) {
      state.final = { outcome: 'inconclusive', verdict: null, reason: `${LABEL[s]} cannot be measured: ${side.skipped}` };
      return;
    }
    if (side.failureStreak >= MAX_FAILURE_STREAK) {
      state.final = { outcome: 'inconclusive', verdict: null, reason: `${LABEL[s]} failed ${side.failureStreak} times in a row (${side.lastFailure ?? 'no reason given'})` };
      return;
    }
  }
  while (state.final === null && state.look < looks.length) {
    const target = looks[state.look] as number;
    if (Math.min(state.a.boots.length, state.b.boots.length) < target) return;
    const look = evaluateLook(state.a.boots.map(Math.log), state.b.boots.map(Math.log), state.look, state.input.settings);
    state.looks.push(look);
    state.final = finalOf(look, looks, state.input.settings);
    state.look++;
  }
}

// One logged event in, a new state out (the input is untouched); a decided comparison takes no more.
export function applyCompareEvent(state: CompareState, event: BisectEvent): CompareState {
  const next = cloneState(state);
  const s = sideOf(next, event.commit);
  const side = next[s];
  switch (event.kind) {
    case 'boot':
      side.boots.push(summarizeBoot(event.runs, event.commit));
      side.failureStreak = 0;
      break;
    case 'build-failed':
    case 'boot-failed':
      side.failures++;
      side.failureStreak++;
      side.lastFailure = `${event.kind === 'build-failed' ? 'build' : 'boot'} failed: ${event.reason}`;
      break;
    case 'skip':
      side.skipped = event.reason;
      break;
    case 'mark':
      throw new UserError(`Expected measured boots in a comparison, got a hand-made verdict (${event.as}) on ${event.commit.slice(0, 12)}.`, 'a comparison only takes boots: start it again with --restart');
    default:
      assertNever(event, 'event');
  }
  next.events++;
  if (next.final === null) advance(next);
  return next;
}

// Folds a whole log: how a comparison resumes.
export function replayCompare(input: CompareInput, events: readonly BisectEvent[]): CompareState {
  let state = createCompare(input);
  for (const event of events) state = applyCompareEvent(state, event);
  return state;
}

// Whether A goes first in pair `pair`: a seeded coin, so that drift over time cannot line up with one side.
export function isAFirst(seed: number, pair: number): boolean {
  return nextUniform(createRng(seed * 7919 + 2 * pair)) < 0.5;
}

// What to do next: boot the side behind, or (sides even) the side the pair's coin says; done once decided.
export function nextCompareAction(state: CompareState): CompareAction {
  if (state.final !== null) return { kind: 'done', final: state.final };
  const na = state.a.boots.length;
  const nb = state.b.boots.length;
  const side: CompareSide = na < nb ? 'a' : nb < na ? 'b' : isAFirst(state.input.settings.seed, na) ? 'a' : 'b';
  return { kind: 'measure', side, id: state.input[side] };
}
