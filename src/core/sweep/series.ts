// A sweep's series, built from what the store holds: one series per (host,
// profile hash, test, metric), its points in first-parent order, each point
// the median of its boot medians, divided by the host's reference level (the
// reference kernel is booted among the points of every run, so a host that
// drifts moves both; chooseDriftModel decides per host whether that level is
// the one nearest in time, the run's, or the overall one), split into epochs where the host or the
// branch history changed, and the change points the detector finds inside
// each epoch. Pure: the store and git are read by the caller.
import { median } from '../stats/descriptive.ts';
import { testRankVonNeumann } from '../stats/rank-von-neumann.ts';
import { detectChangePointsByEpoch } from './epochs.ts';
import { estimatePointNoise } from './segments.ts';
import type { DetectOptions } from './detect.ts';
import type { SeriesBoot, SeriesChangePoint, SeriesDrift, SeriesEpoch, SeriesPoint, SeriesView, SweepBootRecord, SweepHost, SweepTest } from './types.ts';

/** A commit the sweep measured, with where it sits. */
export interface SweepCommit {
  readonly sha: string;
  readonly subject: string;
  readonly author: string;
  readonly date: string;
  /** Branch history it was measured on (a new id after a rewrite). */
  readonly history: number;
  /** First-parent depth (`git rev-list --count --first-parent SHA`): orders commits of one history. */
  readonly depth: number;
}

/** Failures after which a commit is given up on (the issue: skipped after 3 tries). */
export const MAX_FAILURES = 3;

// What is measured (profile or command hash, test, metric), whatever the host: the reference commit is fixed per measurement.
export function measurementKeyOf(measurementHash: string, test: SweepTest): string {
  return `${measurementHash.slice(0, 12)}/${test.name}/${test.metric}`;
}

// A machine name as it appears in keys and file names.
export function machineSlug(machine: string): string {
  return machine.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) || 'host';
}

// The key alerts name a series by: (machine, profile hash, test, metric); the fingerprint makes epochs within it.
export function seriesKeyOf(machine: string, measurementHash: string, test: SweepTest): string {
  return `${machineSlug(machine)}/${measurementKeyOf(measurementHash, test)}`;
}

export interface BuildSeriesInput {
  readonly commits: readonly SweepCommit[];
  /** Every record of every host. */
  readonly records: readonly SweepBootRecord[];
  readonly test: SweepTest;
  /** Profile hash (kernel mode) or command hash: part of the series key. */
  readonly measurementHash: string;
  /** The reference commit per measurement key (fixed when the first series of it starts); absent: the series' first commit. */
  readonly references: Readonly<Record<string, string>>;
  readonly detect?: Partial<DetectOptions>;
}

// Commits ordered as a series shows them: by history, then first-parent depth.
export function orderCommits(commits: readonly SweepCommit[]): SweepCommit[] {
  return [...commits].sort((a, b) => a.history - b.history || a.depth - b.depth || a.sha.localeCompare(b.sha));
}

interface RefBoot {
  readonly seq: number;
  readonly value: number;
}

// Tukey's running median of 3 over the reference boots in time order (with
// his end-point rule), in log: one wild reference boot (a guest whose TCP
// crawled at 4 Mbit/s among boots of 900, seen here) would otherwise divide
// every point near it by a hundredth of the host's level.
export function smoothReferenceBoots(refs: readonly RefBoot[]): RefBoot[] {
  const sorted = [...refs].sort((a, b) => a.seq - b.seq);
  if (sorted.length < 3) return sorted;
  const x = sorted.map((r) => Math.log(r.value));
  const med3 = (a: number, b: number, c: number): number => Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
  const y = x.map((v, i) => (i === 0 || i === x.length - 1 ? v : med3(x[i - 1] as number, v, x[i + 1] as number)));
  const n = x.length;
  y[0] = med3(x[0] as number, y[1] as number, 3 * (y[1] as number) - 2 * (y[2] as number));
  y[n - 1] = med3(x[n - 1] as number, y[n - 2] as number, 3 * (y[n - 2] as number) - 2 * (y[n - 3] as number));
  return sorted.map((r, i) => ({ seq: r.seq, value: Math.exp(y[i] as number) }));
}

// The reference level at time `seq`: interpolated (in log) between the nearest reference boots before and after it.
export function referenceLevelAt(refs: readonly RefBoot[], seq: number): number | null {
  if (refs.length === 0) return null;
  let before: RefBoot | null = null;
  let after: RefBoot | null = null;
  for (const r of refs) {
    if (r.seq <= seq && (before === null || r.seq > before.seq)) before = r;
    if (r.seq >= seq && (after === null || r.seq < after.seq)) after = r;
  }
  if (before === null) return (after as RefBoot).value;
  if (after === null || after.seq === before.seq) return before.value;
  const w = (seq - before.seq) / (after.seq - before.seq);
  return Math.exp((1 - w) * Math.log(before.value) + w * Math.log(after.value));
}

/** How a host's reference boots adjust its points (SeriesView.drift says which, and why). */
export type DriftModel = 'none' | 'per-run' | 'interpolated';

export interface ReferenceBoot extends RefBoot {
  readonly run: number;
}

export interface DriftChoice {
  readonly model: DriftModel;
  /** One-sided p of Bartels' rank von Neumann test on the reference boots in time order (1 with fewer than 6). */
  readonly driftP: number;
  /** Median |log residual| of each reference boot predicted by each model from the other boots (NaN: no drift, not computed). */
  readonly spread: { readonly none: number; readonly perRun: number; readonly interpolated: number };
  readonly referenceBoots: number;
}

/** Drift is adjusted for only when the reference boots' time order shows it at this level (Bartels' rank von Neumann test). */
export const DRIFT_ALPHA = 0.05;
/** Interpolating between reference boots is preferred to one level per run only when it predicts them clearly better. */
export const DRIFT_WORTH_IT = 0.9;

const medianAbs = (xs: readonly number[]): number => (xs.length === 0 ? Number.NaN : median(xs.map(Math.abs)));

// Which reference adjustment a host's points get. Dividing every point by
// the reference level near it in time cancels drift, but on a steady host it
// only adds the reference boots' own noise, and adds it alike to
// neighbouring points: the detector (which assumes independent points) then
// sees steps that are reference noise (a steady generic benchmark, ±2% per
// sample, 3 samples a point, a reference boot every 2 points: 3% of nightly
// runs raised a false alert; 0.3% without the adjustment). So the
// adjustment is kept for hosts whose reference boots, in time order, show
// drift: Bartels' rank von Neumann test at DRIFT_ALPHA. Then each boot is
// predicted from the others (leave one out) with one level per run (a host
// faster one night than the next) and with the level interpolated in time
// (drift within a run); the interpolation is used when it is clearly better.
export function chooseDriftModel(refs: readonly ReferenceBoot[]): DriftChoice {
  const sorted = [...refs].filter((r) => r.value > 0).sort((a, b) => a.seq - b.seq);
  const logs = sorted.map((r) => Math.log(r.value));
  const test = testRankVonNeumann(logs);
  const nan = { none: Number.NaN, perRun: Number.NaN, interpolated: Number.NaN };
  if (test.pValue >= DRIFT_ALPHA) return { model: 'none', driftP: test.pValue, spread: nan, referenceBoots: sorted.length };
  const none: number[] = [];
  const perRun: number[] = [];
  const interpolated: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const me = sorted[i] as ReferenceBoot;
    const others = sorted.filter((_, j) => j !== i);
    const y = logs[i] as number;
    const all = median(others.map((r) => Math.log(r.value)));
    none.push(y - all);
    const sameRun = others.filter((r) => r.run === me.run);
    perRun.push(y - (sameRun.length > 0 ? median(sameRun.map((r) => Math.log(r.value))) : all));
    interpolated.push(y - Math.log(referenceLevelAt(smoothReferenceBoots(others), me.seq) as number));
  }
  const spread = { none: medianAbs(none), perRun: medianAbs(perRun), interpolated: medianAbs(interpolated) };
  const model: DriftModel = spread.interpolated < DRIFT_WORTH_IT * spread.perRun ? 'interpolated' : 'per-run';
  return { model, driftP: test.pValue, spread, referenceBoots: sorted.length };
}

// The level a boot at (seq, run) is divided by under the chosen model.
function makeLevelOf(refs: readonly ReferenceBoot[], model: DriftModel): (seq: number, run: number) => number | null {
  const positive = refs.filter((r) => r.value > 0);
  if (positive.length === 0) return () => null;
  const overall = median(smoothReferenceBoots(positive).map((r) => r.value));
  if (model === 'none') return () => overall;
  if (model === 'per-run') {
    const byRun = new Map<number, number[]>();
    for (const r of positive) byRun.set(r.run, [...(byRun.get(r.run) ?? []), r.value]);
    const level = new Map([...byRun].map(([run, values]) => [run, median(values)] as const));
    return (_seq, run) => level.get(run) ?? overall;
  }
  const smoothed = smoothReferenceBoots(positive);
  return (seq) => referenceLevelAt(smoothed, seq);
}

const DRIFT_WORDS: Readonly<Record<DriftModel, string>> = {
  none: 'none (no drift in the reference boots)',
  'per-run': 'one reference level per run',
  interpolated: 'reference level interpolated in time',
};

// "drift: none (…)" / "drift: … (p 0.0004)", one phrase per host fingerprint, for reports.
export function describeDrift(drift: readonly { readonly model: DriftModel; readonly driftP: number }[]): string {
  if (drift.length === 0) return 'no reference boots';
  return drift.map((d) => `${DRIFT_WORDS[d.model]}${d.model === 'none' ? '' : ` (drift p ${d.driftP < 1e-4 ? '< 0.0001' : d.driftP.toFixed(4)})`}`).join('; ');
}

// Every series the records hold (one per machine), with points, epochs and change points.
export function buildSeries(input: BuildSeriesInput): SeriesView[] {
  const ordered = orderCommits(input.commits);
  const known = new Set(ordered.map((c) => c.sha));
  const byMachine = new Map<string, SweepBootRecord[]>();
  for (const r of input.records) {
    if (!known.has(r.sha)) continue;
    const k = machineSlug(r.host.machine);
    const list = byMachine.get(k) ?? [];
    list.push(r);
    byMachine.set(k, list);
  }
  return [...byMachine.values()].map((records) => buildOne(input, ordered, records)).sort((a, b) => a.key.localeCompare(b.key));
}

function newestHost(records: readonly SweepBootRecord[]): SweepHost {
  return records.reduce((a, b) => (b.seq > a.seq ? b : a)).host;
}

function buildOne(input: BuildSeriesInput, ordered: readonly SweepCommit[], records: readonly SweepBootRecord[]): SeriesView {
  const host = newestHost(records);
  const key = seriesKeyOf(host.machine, input.measurementHash, input.test);
  const measured = new Set(records.filter((r) => r.role === 'point').map((r) => r.sha));
  const commits = ordered.filter((c) => measured.has(c.sha));
  const referenceSha = input.references[measurementKeyOf(input.measurementHash, input.test)] ?? commits[0]?.sha ?? '';
  const refBoots: SeriesBoot[] = [];
  // reference boots per fingerprint: a boot is only ever adjusted by its own host state's reference
  const refsByHost = new Map<string, ReferenceBoot[]>();
  for (const r of records) {
    if (r.sha !== referenceSha || r.outcome.kind !== 'boot') continue;
    refBoots.push({ value: r.outcome.value, seq: r.seq, run: r.run, at: r.at });
    if (r.outcome.value > 0) refsByHost.set(r.host.id, [...(refsByHost.get(r.host.id) ?? []), { seq: r.seq, value: r.outcome.value, run: r.run }]);
  }
  refBoots.sort((a, b) => a.seq - b.seq);
  const drift: SeriesDrift[] = [];
  const levelOfByHost = new Map<string, { levelOf: (seq: number, run: number) => number | null; overall: number }>();
  for (const [id, refs] of refsByHost) {
    const choice = chooseDriftModel(refs);
    drift.push({ hostId: id, ...choice });
    levelOfByHost.set(id, { levelOf: makeLevelOf(refs, choice.model), overall: median(smoothReferenceBoots(refs).map((b) => b.value)) });
  }

  const hostOfPoint: SweepHost[] = [];
  // log of each point's adjusted boots: their spread is the point's noise from boots alone
  const logBootsOf = new Map<string, number[]>();
  const points: SeriesPoint[] = commits.map((c, index) => {
    const mine = records.filter((r) => r.sha === c.sha && r.role === 'point').sort((a, b) => a.seq - b.seq);
    hostOfPoint.push((mine[mine.length - 1] as SweepBootRecord).host);
    const boots: SeriesBoot[] = [];
    const failures: string[] = [];
    const adjustedBoots: number[] = [];
    const levels: number[] = [];
    for (const r of mine) {
      if (r.outcome.kind !== 'boot') {
        failures.push(`${r.outcome.kind}: ${r.outcome.reason}`);
        continue;
      }
      boots.push({ value: r.outcome.value, seq: r.seq, run: r.run, at: r.at });
      if (!(r.outcome.value > 0)) continue;
      const adjust = levelOfByHost.get(r.host.id);
      const level = adjust?.levelOf(r.seq, r.run) ?? null;
      if (adjust !== undefined && level !== null) {
        adjustedBoots.push((r.outcome.value * adjust.overall) / level);
        levels.push(level);
      } else adjustedBoots.push(r.outcome.value);
    }
    logBootsOf.set(c.sha, adjustedBoots.map((v) => Math.log(v)));
    const positive = boots.filter((b) => b.value > 0);
    const raw = positive.length > 0 ? median(positive.map((b) => b.value)) : null;
    return {
      sha: c.sha,
      subject: c.subject,
      author: c.author,
      date: c.date,
      index,
      epoch: 0,
      boots,
      raw,
      adjusted: adjustedBoots.length > 0 ? median(adjustedBoots) : null,
      referenceLevel: levels.length > 0 ? median(levels) : null,
      failures,
      skipped: raw === null && failures.length >= MAX_FAILURES,
      excluded: false,
      isReference: c.sha === referenceSha,
    };
  });

  // epochs: a new one where the branch history or the host's fingerprint changes
  const epochs: SeriesEpoch[] = [];
  for (const [i, c] of commits.entries()) {
    const prev = i > 0 ? commits[i - 1] : undefined;
    const h = hostOfPoint[i] as SweepHost;
    const prevHost = i > 0 ? hostOfPoint[i - 1] : undefined;
    const reason: SeriesEpoch['reason'] | null = prev === undefined ? 'first' : prev.history !== c.history ? 'history' : prevHost?.id !== h.id ? 'host' : null;
    if (reason === null) continue;
    const last = epochs[epochs.length - 1];
    if (last) epochs[epochs.length - 1] = { ...last, end: i };
    const note =
      reason === 'history'
        ? `branch rewritten before ${c.sha.slice(0, 12)}`
        : reason === 'host'
          ? `host changed: ${describeHostChange(prevHost as SweepHost, h)}`
          : '';
    epochs.push({ start: i, end: commits.length, reason, host: h, note });
  }
  const epochOf = (i: number): number => Math.max(0, epochs.findIndex((e) => i >= e.start && i < e.end));

  // detection on the log of the adjusted values of the points that have one, never across an epoch boundary
  const usable = points.filter((p) => p.adjusted !== null && p.adjusted > 0);
  const detections = detectChangePointsByEpoch(
    usable,
    (p) => Math.log(p.adjusted as number),
    (a, b) => epochOf(a.index) !== epochOf(b.index),
    { higherIsBetter: input.test.higherIsBetter, ...input.detect },
    (mine) => estimatePointNoise(mine.map((p) => logBootsOf.get(p.sha) ?? [])),
  );
  const toIndex = (i: number): number => (usable[i] as SeriesPoint).index;
  const changePoints: SeriesChangePoint[] = [];
  const excluded = new Set<number>();
  let noiseSigma = Number.NaN;
  for (const d of detections) {
    for (const e of d.excluded) excluded.add(toIndex(e));
    if (Number.isFinite(d.noiseSigma)) noiseSigma = Number.isFinite(noiseSigma) ? Math.max(noiseSigma, d.noiseSigma) : d.noiseSigma;
    for (const c of d.changePoints) {
      changePoints.push({
        kind: c.kind,
        direction: c.direction,
        index: toIndex(c.index),
        lastBeforeIndex: toIndex(c.lastBeforeIndex),
        firstAfterIndex: toIndex(c.firstAfterIndex),
        relativeChange: c.relativeChange,
        relativeChangeCi: c.relativeChangeCi,
        pValue: c.pValue,
      });
    }
  }
  const finalPoints = points.map((p) => ({ ...p, epoch: epochOf(p.index), excluded: excluded.has(p.index) }));
  return { key, host, test: input.test, referenceSha, referenceBoots: refBoots, drift, points: finalPoints, epochs, changePoints, noiseSigma };
}

function describeHostChange(a: SweepHost, b: SweepHost): string {
  const parts: string[] = [];
  if (a.cpuModel !== b.cpuModel) parts.push(`CPU ${a.cpuModel} → ${b.cpuModel}`);
  if (a.hostKernel !== b.hostKernel) parts.push(`host kernel ${a.hostKernel} → ${b.hostKernel}`);
  if (a.qemuVersion !== b.qemuVersion) parts.push(`${a.qemuVersion} → ${b.qemuVersion}`);
  if (a.accel !== b.accel) parts.push(`accel ${a.accel} → ${b.accel}`);
  return parts.length > 0 ? parts.join(', ') : `fingerprint ${a.id} → ${b.id}`;
}

/** What `sweep run` still owes a commit on a host. */
export interface PointNeed {
  readonly boots: number;
  readonly failures: number;
  readonly done: boolean;
}

// Boots a commit still needs as a point of the series (0 once it has `wanted`, or after MAX_FAILURES failures).
export function pointNeed(records: readonly SweepBootRecord[], sha: string, hostId: string, wanted: number): PointNeed {
  let boots = 0;
  let failures = 0;
  for (const r of records) {
    if (r.sha !== sha || r.host.id !== hostId || r.role !== 'point') continue;
    if (r.outcome.kind === 'boot') boots++;
    else failures++;
  }
  const done = boots >= wanted || failures >= MAX_FAILURES;
  return { boots: done ? 0 : wanted - boots, failures, done };
}

// `count` commits spread evenly over `shas` (oldest first), the newest always among them.
export function pickEvenly<T>(items: readonly T[], count: number): T[] {
  if (count <= 0 || items.length === 0) return [];
  if (items.length <= count) return [...items];
  const picked: T[] = [];
  const n = items.length;
  for (let k = count; k >= 1; k--) {
    // k-th from the end: the newest at k = count
    const i = Math.round(n - 1 - ((count - k) * (n - 1)) / Math.max(1, count - 1));
    picked.unshift(items[Math.max(0, Math.min(n - 1, i))] as T);
  }
  return [...new Set(picked)];
}

// Every K-th commit of a backfill range (oldest first), the last one always included.
export function pickStride<T>(items: readonly T[], stride: number): T[] {
  if (items.length === 0) return [];
  const picked = items.filter((_, i) => i % stride === 0);
  const last = items[items.length - 1] as T;
  if (picked[picked.length - 1] !== last) picked.push(last);
  return picked;
}
