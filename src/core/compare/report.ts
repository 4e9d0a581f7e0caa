// A comparison's report from its state and log: the outcome, and for every
// metric of the profile the change A→B with a seeded bootstrap CI (the same
// estimate as a bisection's GOOD → BAD line), plus its JSON. Pure.
import { estimateCalibrationPower } from '../bisect/calibration.ts';
import type { ChangeEstimate } from '../bisect/types.ts';
import { formatPercent } from '../format.ts';
import { formatChangeLine } from '../report/text.ts';
import { createRng, forkRng, type Rng } from '../rng.ts';
import type { LoggedEvent } from '../session.ts';
import type { JudgedTest } from '../session-settings.ts';
import { bootstrapRatioOfMedians, estimatePooledSpread, median } from '../stats/index.ts';
import { normalizeUnit } from '../units.ts';
import { computeCompareLooks } from './engine.ts';
import { compareConfigOf } from './settings.ts';
import type { CompareReport, CompareState, CompareSubject, MetricChange } from './types.ts';

export interface CompareReportInput {
  readonly mode: CompareReport['mode'];
  readonly a: CompareSubject;
  readonly b: CompareSubject;
  readonly profile: CompareReport['profile'];
  /** The judged test; in command mode the command's number. */
  readonly judged: JudgedTest;
  /** Every test of the profile (the judged one included); empty in command mode. */
  readonly tests: readonly JudgedTest[];
  readonly state: CompareState;
  readonly events: readonly LoggedEvent[];
  readonly logDir: string;
  readonly generatedAt: string;
}

// `netperf.TEST.METRIC`, the name LKP-style lines and bisection reports use.
export function metricNameOf(mode: CompareReport['mode'], test: JudgedTest): string {
  return mode === 'command' ? 'command.value' : `netperf.${test.name}.${test.metric}`;
}

// Ratio of medians B/A with a seeded bootstrap CI (Efron & Tibshirani 1993), as summarize() does for GOOD → BAD.
function estimateChange(a: readonly number[], b: readonly number[], rng: Rng, confidence: number): ChangeEstimate | null {
  if (a.length === 0 || b.length === 0) return null;
  const { ratio, ci } = bootstrapRatioOfMedians(a, b, { rng, confidence, resamples: 2000 });
  return { good: median(a), bad: median(b), ratio, ci, goodBoots: a.length, badBoots: b.length };
}

// Per-boot medians of the other tests of the profile, from the boots' details.
function collectTestValues(events: readonly LoggedEvent[], state: CompareState, test: string): { a: number[]; b: number[] } {
  const out = { a: [] as number[], b: [] as number[] };
  for (const logged of events) {
    if (logged.event.kind !== 'boot' || logged.detail?.source !== 'boot') continue;
    const side = logged.event.commit === state.input.a ? 'a' : logged.event.commit === state.input.b ? 'b' : null;
    const runs = logged.detail.tests?.find((t) => t.test === test)?.runs ?? [];
    if (side === null || runs.length === 0 || !runs.every((v) => Number.isFinite(v) && v > 0)) continue;
    out[side].push(median(runs));
  }
  return out;
}

// Where the guests ran, from the last boot that says so.
function hostOf(mode: CompareReport['mode'], events: readonly LoggedEvent[]): CompareReport['host'] {
  if (mode === 'command') return { fingerprint: 'n/a', accel: 'n/a' };
  for (let i = events.length - 1; i >= 0; i--) {
    const d = events[i]?.detail;
    if (d?.source === 'boot') return { fingerprint: d.host, accel: d.accel };
  }
  return { fingerprint: 'not measured yet', accel: 'n/a' };
}

// The whole report; "running" until the state is decided.
export function buildCompareReport(input: CompareReportInput): CompareReport {
  const { state } = input;
  const settings = state.input.settings;
  const rng = createRng(settings.seed);
  const judgedName = metricNameOf(input.mode, input.judged);
  const tests = input.mode === 'command' || input.tests.length === 0 ? [input.judged] : input.tests;
  const changes: MetricChange[] = tests.map((test) => {
    const judged = test.name === input.judged.name;
    const values = judged ? { a: state.a.boots, b: state.b.boots } : collectTestValues(input.events, state, test.name);
    const change = estimateChange(values.a, values.b, forkRng(rng), settings.confidence);
    const name = judged ? judgedName : metricNameOf(input.mode, test);
    return {
      name,
      unit: normalizeUnit(test.unit),
      higherIsBetter: test.higherIsBetter,
      judged,
      a: [...values.a],
      b: [...values.b],
      change,
      line: change === null ? null : formatChangeLine(name, change, values.a, values.b),
    };
  });
  // the judged metric first: it is the one the outcome speaks of
  changes.sort((x, y) => Number(y.judged) - Number(x.judged));
  const warnings: string[] = [];
  for (const s of ['a', 'b'] as const) {
    const side = state[s];
    if (side.failures > 0) warnings.push(`${s.toUpperCase()}: ${side.failures} failed attempt(s), not counted as samples (last: ${side.lastFailure ?? 'no reason given'})`);
  }
  const final = state.final;
  let powerEstimate: CompareReport['powerEstimate'] = null;
  if (final !== null && final.outcome === 'inconclusive' && state.a.boots.length > 0 && state.b.boots.length > 0) {
    const sigma = estimatePooledSpread([state.a.boots.map(Math.log), state.b.boots.map(Math.log)]);
    powerEstimate = estimateCalibrationPower(sigma, compareConfigOf(settings));
    warnings.push(
      `To see a change of ${formatPercent(powerEstimate.forEffect)} with ${formatPercent(powerEstimate.power, { digits: 0 })} power at this noise (boot-to-boot ${formatPercent(Math.expm1(Number.isFinite(sigma) ? sigma : 0), { digits: 2 })}), measure about ${powerEstimate.bootsPerEndpoint} boots each of A and B (--max-boots ${powerEstimate.bootsPerEndpoint}).`,
    );
  }
  const firstAt = input.events[0]?.at;
  const lastAt = input.events[input.events.length - 1]?.at;
  return {
    outcome: final?.outcome ?? 'running',
    verdict: final?.verdict ?? null,
    reason: final?.reason ?? `measuring: ${state.a.boots.length}+${state.b.boots.length} boots so far`,
    mode: input.mode,
    a: input.a,
    b: input.b,
    profile: input.profile,
    host: hostOf(input.mode, input.events),
    settings,
    looks: state.looks,
    lookPlan: computeCompareLooks(settings),
    changes,
    boots: { a: state.a.boots.length, b: state.b.boots.length },
    failures: { a: state.a.failures, b: state.b.failures },
    powerEstimate,
    warnings,
    logDir: input.logDir,
    wallMs: firstAt && lastAt ? Date.parse(lastAt) - Date.parse(firstAt) : null,
    generatedAt: input.generatedAt,
  };
}

// The JSON `kbisect compare --json` ends with.
export function toCompareJson(report: CompareReport): Record<string, unknown> {
  return {
    outcome: report.outcome,
    verdict: report.verdict,
    reason: report.reason,
    mode: report.mode,
    a: report.a,
    b: report.b,
    profile: report.profile,
    host: report.host,
    metrics: report.changes.map((c) => ({
      name: c.name,
      unit: c.unit,
      higherIsBetter: c.higherIsBetter,
      judged: c.judged,
      a: { median: c.change?.good ?? null, boots: c.a },
      b: { median: c.change?.bad ?? null, boots: c.b },
      ratio: c.change?.ratio ?? null,
      ci: c.change?.ci ?? null,
      line: c.line,
    })),
    looks: report.looks.map((l) => ({ ...l, ratio: Math.exp(l.logShift), ci: [Math.exp(l.logCi[0]), Math.exp(l.logCi[1])] })),
    lookPlan: report.lookPlan,
    boots: report.boots,
    failures: report.failures,
    settings: report.settings,
    seed: report.settings.seed,
    powerEstimate: report.powerEstimate,
    warnings: report.warnings,
    logDir: report.logDir,
    wallMs: report.wallMs,
  };
}
