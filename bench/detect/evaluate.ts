// One series through a sweep as the app will run it: after every nightly
// run, detect on everything measured so far and fold the result into the
// alert list (src/core/sweep/alerts.ts); at the end, each accepted alert is
// confirmed by an independent re-test of L against F.

import { createRng, nextUniform, type Rng } from '../../src/core/rng.ts';
import { testMannWhitney } from '../../src/core/stats/index.ts';
import { mergeAlerts, type Alert, type DetectedRange } from '../../src/core/sweep/index.ts';
import { runMethod, type MethodName } from './methods.ts';
import { simulateBoot, type MeasuredCommit, type SweepNoise, type SweepSeries } from './series.ts';

/** Fresh boots per side at each of the two looks of the confirmation re-test, and its one-sided α in all. */
export const CONFIRM_BOOTS = 30;
export const CONFIRM_ALPHA = 0.001;

export interface SeriesOutcome {
  readonly commits: number;
  readonly steps: number;
  readonly recalled: number;
  readonly recalledConfirmed: number;
  readonly falseAlerts: number;
  readonly falseConfirmed: number;
  /** Commits measured at or after the step when its alert was first accepted. */
  readonly delays: readonly number[];
  /** F − L of the alerts that hold a step. */
  readonly widths: readonly number[];
}

const formatSha = (i: number): string => `c${i.toString().padStart(5, '0')}`;

// The re-test: fresh interleaved boots of L and F in one session (so the
// run-to-run drift does not enter), a wild boot now and then, and a one-sided
// Mann–Whitney test that F is slower; a second look with as many boots again
// when the first is not decisive, α/2 at each look (Bonferroni), so α in all.
function confirmAlert(series: SweepSeries, l: number, f: number, noise: SweepNoise, rng: Rng): boolean {
  const boot = (i: number): number => {
    const wild = nextUniform(rng) < noise.outlierRate ? Math.log(noise.outlierFactor) : 0;
    return simulateBoot((series.levels[i] as number) + wild, noise, rng);
  };
  const before: number[] = [];
  const after: number[] = [];
  for (let look = 0; look < 2; look++) {
    for (let k = 0; k < CONFIRM_BOOTS; k++) {
      before.push(boot(l));
      after.push(boot(f));
    }
    if (testMannWhitney(before, after, 'greater').p <= CONFIRM_ALPHA / 2) return true;
  }
  return false;
}

function findRanges(points: readonly MeasuredCommit[], method: MethodName): DetectedRange[] {
  return runMethod(method, points).map((r) => ({
    lastGoodSha: formatSha(r.lastBefore),
    firstBadSha: formatSha(r.firstAfter),
    kind: r.kind,
    direction: 'regression',
    relativeChange: r.relativeChange,
    relativeChangeCi: [r.relativeChange, r.relativeChange],
    pValue: r.pValue,
  }));
}

// Runs one method over one series, nightly, and scores its alerts.
export function evaluateSweep(series: SweepSeries, points: readonly MeasuredCommit[], method: MethodName, noise: SweepNoise, seed: number): SeriesOutcome {
  const n = points.length;
  const shas = points.map((_, i) => formatSha(i));
  let alerts: readonly Alert[] = [];
  const acceptedAt = new Map<string, number>();
  for (let night = 1; ; night++) {
    const k = Math.min(night * noise.commitsPerRun, n);
    const merged = mergeAlerts(alerts, { seriesKey: 'bench', commits: shas.slice(0, k), detected: findRanges(points.slice(0, k), method) });
    alerts = merged.alerts;
    for (const a of alerts) if (a.evidence.kind === 'accepted' && !acceptedAt.has(a.id)) acceptedAt.set(a.id, k);
    if (k === n) break;
  }
  const rng = createRng(seed);
  const position = (sha: string): number => Number(sha.slice(1));
  const covered = new Set<number>();
  const coveredConfirmed = new Set<number>();
  const delays: number[] = [];
  const widths: number[] = [];
  let falseAlerts = 0;
  let falseConfirmed = 0;
  for (const a of alerts) {
    if (a.evidence.kind !== 'accepted') continue;
    const l = position(a.lastGoodSha);
    const f = position(a.firstBadSha);
    const held = series.steps.filter((s) => l < s && s <= f);
    const confirmed = confirmAlert(series, l, f, noise, rng);
    if (held.length === 0) {
      falseAlerts++;
      if (confirmed) falseConfirmed++;
      continue;
    }
    widths.push(f - l);
    for (const s of held) {
      if (!covered.has(s)) delays.push((acceptedAt.get(a.id) as number) - s);
      covered.add(s);
      if (confirmed) coveredConfirmed.add(s);
    }
  }
  return {
    commits: n,
    steps: series.steps.length,
    recalled: covered.size,
    recalledConfirmed: coveredConfirmed.size,
    falseAlerts,
    falseConfirmed,
    delays,
    widths,
  };
}

export interface BenchRow {
  readonly d: number;
  readonly condition: string;
  readonly method: MethodName;
  readonly series: number;
  readonly commits: number;
  readonly steps: number;
  /** Share of steps inside an accepted alert's range. */
  readonly recall: number;
  /** … of an alert that the re-test confirmed. */
  readonly recallConfirmed: number;
  readonly falsePer1000: number;
  readonly falseConfirmedPer1000: number;
  readonly delayMedian: number;
  readonly delayP90: number;
  readonly meanWidth: number;
}

function computeQuantile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

export function aggregate(d: number, condition: string, method: MethodName, outcomes: readonly SeriesOutcome[]): BenchRow {
  const sum = (key: keyof Omit<SeriesOutcome, 'delays' | 'widths'>): number => outcomes.reduce((acc, o) => acc + o[key], 0);
  const delays = outcomes.flatMap((o) => o.delays);
  const widths = outcomes.flatMap((o) => o.widths);
  const steps = sum('steps');
  const commits = sum('commits');
  return {
    d,
    condition,
    method,
    series: outcomes.length,
    commits,
    steps,
    recall: sum('recalled') / steps,
    recallConfirmed: sum('recalledConfirmed') / steps,
    falsePer1000: (1000 * sum('falseAlerts')) / commits,
    falseConfirmedPer1000: (1000 * sum('falseConfirmed')) / commits,
    delayMedian: computeQuantile(delays, 0.5),
    delayP90: computeQuantile(delays, 0.9),
    meanWidth: widths.length === 0 ? Number.NaN : widths.reduce((a, b) => a + b, 0) / widths.length,
  };
}
