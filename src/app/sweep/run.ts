// `kbisect sweep run`: one night of a sweep. Chooses the commits (new ones
// since this host's last, or a backfill range), measures each with N boots
// among boots of the reference kernel, appends every boot to the store as it
// ends, re-detects change points over each whole series, folds them into the
// alert list, then confirms each new alert with fresh interleaved boots and
// bisects the confirmed ones with the bisection engine. Holds the
// repository's run lock throughout; killed at any line, the next run resumes
// from the store (nothing measured is lost, no alert raised twice, an
// interrupted confirmation or bisection goes on).
import { describeStageProgress } from './progress.ts';
import { resolve } from 'node:path';
import { InternalError, UserError } from '../../core/errors.ts';
import type { BisectEvent } from '../../core/bisect/types.ts';
import type { EventDetail } from '../../core/session.ts';
import { DEFAULT_COMMAND_TIMEOUT_S } from '../../core/session-settings.ts';
import { mergeAlerts, type AlertEvent, type DetectedRange } from '../../core/sweep/alerts.ts';
import { foldMerge } from '../../core/sweep/alert-records.ts';
import { median } from '../../core/stats/index.ts';
import { buildSeries, measurementKeyOf, pickEvenly, pickStride, pointNeed, seriesKeyOf, type SweepCommit } from '../../core/sweep/series.ts';
import type { AlertRecord, SweepDefinition, SweepState } from '../../core/sweep/store-schema.ts';
import type { SeriesView, SweepBootRecord, SweepHost } from '../../core/sweep/types.ts';
import type { AccelChoice } from '../../core/measure/types.ts';
import type { ExecutorKind } from '../../core/host-config.ts';
import { gatherFingerprintFacts } from '../../adapters/fingerprint.ts';
import { fetchRemote, firstParentDepth, getCommitInfo, isAncestor, listRangeCommits, listRecentFirstParent, resolveRevision, type CommitInfo } from '../../adapters/git.ts';
import { acquireLock } from '../../adapters/lock.ts';
import { sessionPaths } from '../../adapters/session-store.ts';
import {
  appendBootRecord,
  appendCommit,
  appendRun,
  bisectionDirOf,
  readAlerts,
  readBootRecords,
  readCommits,
  readDefinition,
  readRuns,
  readState,
  writeAlerts,
  writeDefinition,
  writeState,
  type SweepPaths,
} from '../../adapters/sweep-store.ts';
import { chooseExecutor, createMeasuringStage, openSlurmJobs, summarizeExecutor, type SlurmExecutorSummary } from '../executor.ts';
import { checkMeasurementInput } from '../bisect/start.ts';
import { looksLikePath } from '../profiles.ts';
import type { StageOptions } from '../bisect/stage.ts';
import { confirmAlerts, type ConfirmProgress } from './confirm.ts';
import { DEFAULT_SWEEP, locateSweep, resolveSweepMeasurement } from './context.ts';
import { commandHost, hostOfDetail, measuringMachine } from './hosts.ts';

export const DEFAULT_MAX_COMMITS = 20;
export const DEFAULT_SWEEP_BOOTS = 3;
/** A reference boot after every this many measured commits (and before the first, and after the last). */
export const DEFAULT_SWEEP_REFERENCE_EVERY = 2;

export interface SweepRunOptions extends StageOptions {
  repo: string;
  name?: string;
  profile?: string;
  command?: string;
  timeoutS?: number;
  lowerIsBetter?: boolean;
  branch?: string;
  remote?: string;
  range?: string;
  stride?: number;
  maxCommits?: number;
  boots?: number;
  referenceEvery?: number;
  bisectImprovements?: boolean;
  /** Detect and raise alerts, but do not confirm or bisect them. */
  noConfirm?: boolean;
  accel?: AccelChoice;
  toolchain?: string;
  // where the points, reference boots, confirmations and bisections run (default: host.yaml's executor, else local)
  executor?: ExecutorKind;
  onProgress?: (p: SweepProgress) => void;
}

export type SweepProgress =
  | { kind: 'plan'; run: number; mode: 'new' | 'range'; head: string; commits: number; toMeasure: number; history: number; newHistory: boolean }
  | { kind: 'measure'; role: 'point' | 'reference'; sha: string; subject: string; position: number; total: number; stage: string; detail: string }
  | { kind: 'recorded'; role: 'point' | 'reference'; sha: string; outcome: SweepBootRecord['outcome'] }
  | { kind: 'alert'; event: AlertEvent }
  | { kind: 'confirm'; progress: ConfirmProgress };

export interface SweepRunOutcome {
  run: number;
  mode: 'new' | 'range';
  head: string;
  /** Commits chosen this run, oldest first, and what each got. */
  measured: { sha: string; subject: string; boots: number; failures: number }[];
  referenceSha: string | null;
  host: SweepHost | null;
  series: SeriesView[];
  alertEvents: AlertEvent[];
  alerts: AlertRecord[];
  notes: string[];
  // with --executor slurm: the jobs of this sweep and of its alerts' bisections (every run)
  executor?: SlurmExecutorSummary;
}

function positiveInt(name: string, v: number | undefined, max: number): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 1 && v <= max)) throw new UserError(`${name}: expected an integer from 1 to ${max}, got ${String(v)}`);
}

// The definition this run uses: created by the first run, then fixed (a different measurement is another sweep).
// Not written here: only once every input of the run has been checked.
async function planDefinition(paths: SweepPaths, name: string, opts: SweepRunOptions): Promise<{ def: SweepDefinition; changed: boolean }> {
  const existing = await readDefinition(paths);
  if (existing) {
    const differs =
      (opts.profile !== undefined && (existing.mode !== 'kernel' || existing.profile !== opts.profile)) ||
      (opts.command !== undefined && (existing.mode !== 'command' || existing.command !== opts.command));
    if (differs) {
      const now = existing.mode === 'kernel' ? `profile ${existing.profile}` : `\`${existing.command}\``;
      throw new UserError(
        `sweep ${JSON.stringify(name)} measures with ${now}; mixing another measurement into its series would make a step out of the change of method`,
        `run it without --profile/--cmd, or give this measurement its own sweep: --sweep NAME (or kbisect sweep reset)`,
      );
    }
    const updated: SweepDefinition = {
      ...existing,
      ...(opts.branch === undefined ? {} : { branch: opts.branch }),
      ...(opts.boots === undefined ? {} : { bootsPerCommit: opts.boots }),
      ...(opts.referenceEvery === undefined ? {} : { referenceEvery: opts.referenceEvery }),
      ...(opts.timeoutS === undefined ? {} : { commandTimeoutS: opts.timeoutS }),
    };
    return { def: updated, changed: JSON.stringify(updated) !== JSON.stringify(existing) };
  }
  if (opts.profile === undefined && opts.command === undefined) {
    throw new UserError(`sweep ${JSON.stringify(name)} does not know how to measure yet`, 'kbisect sweep run --profile NAME (kernels), or --cmd SCRIPT (a benchmark printing a number)');
  }
  const def: SweepDefinition = {
    kind: 'sweep',
    v: 1,
    name,
    repo: opts.repo,
    branch: opts.branch ?? 'HEAD',
    mode: opts.command !== undefined ? 'command' : 'kernel',
    profile: opts.profile ?? null,
    command: opts.command ?? null,
    commandTimeoutS: opts.timeoutS ?? DEFAULT_COMMAND_TIMEOUT_S,
    test: opts.command !== undefined ? { name: 'command', metric: 'value', unit: 'value', higherIsBetter: opts.lowerIsBetter !== true } : null,
    bootsPerCommit: opts.boots ?? DEFAULT_SWEEP_BOOTS,
    referenceEvery: opts.referenceEvery ?? DEFAULT_SWEEP_REFERENCE_EVERY,
    accel: opts.accel ?? 'auto',
    toolchain: opts.toolchain ?? null,
    createdAt: new Date().toISOString(),
  };
  return { def, changed: true };
}

function parseRange(raw: string): { from: string; to: string } {
  const m = /^([^.\s]+)\.\.([^.\s]+)$/.exec(raw);
  if (!m) throw new UserError(`--range: expected A..B (two revisions), got ${JSON.stringify(raw)}`, 'e.g. --range v6.0..v6.1 --stride 10');
  return { from: m[1] as string, to: m[2] as string };
}


interface Selection {
  mode: 'new' | 'range';
  head: string;
  commits: CommitInfo[];
  notes: string[];
}

// The commits this run measures, oldest first.
async function selectCommits(opts: SweepRunOptions, def: SweepDefinition, known: readonly SweepCommit[], records: readonly SweepBootRecord[], machine: string, history: number): Promise<Selection> {
  const notes: string[] = [];
  const maxCommits = opts.maxCommits ?? DEFAULT_MAX_COMMITS;
  if (opts.range !== undefined) {
    const { from, to } = parseRange(opts.range);
    const good = await resolveRevision(opts.repo, from);
    const head = await resolveRevision(opts.repo, to);
    if (!(await isAncestor(opts.repo, good, head))) throw new UserError(`--range ${opts.range}: ${from} is not an ancestor of ${to}`, 'give the older revision first');
    const all = [await getCommitInfo(opts.repo, good), ...(await listRangeCommits(opts.repo, good, head, { firstParent: true }))];
    const commits = opts.stride !== undefined ? pickStride(all, opts.stride) : pickEvenly(all, opts.maxCommits ?? all.length);
    return { mode: 'range', head, commits, notes };
  }
  const head = await resolveRevision(opts.repo, def.branch);
  // this host's newest measured commit of the current history
  const mine = new Set(records.filter((r) => r.role === 'point' && r.host.machine === machine).map((r) => r.sha));
  const last = known.filter((c) => c.history === history && mine.has(c.sha)).sort((a, b) => b.depth - a.depth)[0];
  let candidates: CommitInfo[];
  if (last !== undefined) {
    if (last.sha === head) {
      notes.push(`nothing new on ${def.branch} since ${head.slice(0, 12)}`);
      candidates = [];
    } else {
      candidates = await listRangeCommits(opts.repo, last.sha, head, { firstParent: true });
      if (candidates.length === 0) notes.push(`${head.slice(0, 12)} has no first-parent commits after ${last.sha.slice(0, 12)}`);
    }
  } else {
    candidates = await listRecentFirstParent(opts.repo, head, maxCommits);
    notes.push(`first run of this series: the newest ${candidates.length} first-parent commits of ${def.branch}`);
  }
  return { mode: 'new', head, commits: pickEvenly(candidates, maxCommits), notes };
}

// Runs one sweep night; see the file comment.
export async function runSweep(rawOpts: SweepRunOptions): Promise<SweepRunOutcome> {
  const name = rawOpts.name ?? DEFAULT_SWEEP;
  // a profile file is kept by its absolute path: a scheduled run starts elsewhere
  const opts: SweepRunOptions = rawOpts.profile !== undefined && looksLikePath(rawOpts.profile) ? { ...rawOpts, profile: resolve(rawOpts.profile) } : rawOpts;
  checkMeasurementInput({
    ...(opts.profile === undefined ? {} : { profile: opts.profile }),
    ...(opts.command === undefined ? {} : { command: opts.command }),
    ...(opts.timeoutS === undefined ? {} : { timeoutS: opts.timeoutS }),
    ...(opts.toolchain === undefined ? {} : { toolchain: opts.toolchain }),
  });
  positiveInt('--boots', opts.boots, 100);
  positiveInt('--max-commits', opts.maxCommits, 10_000);
  positiveInt('--stride', opts.stride, 1_000_000);
  positiveInt('--reference-every', opts.referenceEvery, 1000);
  if (opts.stride !== undefined && opts.range === undefined) throw new UserError('--stride: expected together with --range A..B (a backfill)', 'new commits are spread evenly with --max-commits');
  const paths = await locateSweep(opts.repo, name);
  const executor = await chooseExecutor(opts.executor);
  const machine = measuringMachine(executor);
  const lock = await acquireLock((await sessionPaths(opts.repo)).lock, 'kbisect sweep run');
  const notes: string[] = [];
  const note = (t: string): void => {
    notes.push(t);
    opts.onNote?.(t);
  };
  try {
    if (lock.tookOverFrom) note(`took over the lock of a run that is gone (pid ${lock.tookOverFrom.pid})`);
    const { def, changed } = await planDefinition(paths, name, opts);
    const measurement = await resolveSweepMeasurement(def);
    if (opts.remote !== undefined) {
      note(`git fetch ${opts.remote}`);
      await fetchRemote(opts.repo, opts.remote, opts.signal);
    }
    const warnings: string[] = [];
    const runs = await readRuns(paths, warnings);
    const known = await readCommits(paths, warnings);
    let records = await readBootRecords(paths, warnings);
    for (const w of warnings) note(w);
    const facts = await gatherFingerprintFacts();
    let state: SweepState = await readState(paths);

    // history: a head that does not descend from the last one seen starts a new epoch
    const lastHead = state.heads[state.heads.length - 1];
    let history = lastHead?.history ?? 0;
    const probeHead = opts.range !== undefined ? await resolveRevision(opts.repo, parseRange(opts.range).to) : await resolveRevision(opts.repo, def.branch);
    let newHistory = false;
    if (lastHead !== undefined && lastHead.sha !== probeHead && !(await isAncestor(opts.repo, lastHead.sha, probeHead)) && !(await isAncestor(opts.repo, probeHead, lastHead.sha))) {
      history = lastHead.history + 1;
      newHistory = true;
      note(`${def.branch} was rewritten: ${lastHead.sha.slice(0, 12)} is not an ancestor of ${probeHead.slice(0, 12)}; a new epoch of every series starts here`);
    }
    const selection = await selectCommits(opts, def, known, records, machine, history);
    for (const n of selection.notes) note(n);
    const run = runs.reduce((m, r) => Math.max(m, r.run), 0) + 1;
    // every input was good: from here on the run writes
    if (changed) await writeDefinition(paths, def);
    await appendRun(paths, { kind: 'start', run, at: new Date().toISOString(), mode: selection.mode, head: selection.head, pid: process.pid });
    if (lastHead?.sha !== selection.head) {
      state = { ...state, heads: [...state.heads, { sha: selection.head, history, run, at: new Date().toISOString() }] };
      await writeState(paths, state);
    }
    // commits are written down before they are measured: an interrupted run's commits are finished by the next
    const knownShas = new Set(known.map((c) => c.sha));
    for (const c of selection.commits) {
      if (knownShas.has(c.sha)) continue;
      const commit: SweepCommit = { sha: c.sha, subject: c.subject, author: c.author, date: c.authorDate, history, depth: await firstParentDepth(opts.repo, c.sha) };
      await appendCommit(paths, commit);
      known.push(commit);
      knownShas.add(c.sha);
    }
    const measurementKey = measurementKeyOf(measurement.hash, measurement.test);
    let referenceSha = state.references[measurementKey] ?? null;
    if (referenceSha === null) {
      referenceSha = selection.commits[0]?.sha ?? null;
      if (referenceSha !== null) {
        state = { ...state, references: { ...state.references, [measurementKey]: referenceSha } };
        await writeState(paths, state);
        note(`reference kernel of this series: ${referenceSha.slice(0, 12)} (booted among the commits of every run, against drift)`);
      }
    }

    const stageOptions: StageOptions = { ...(opts.jobs === undefined ? {} : { jobs: opts.jobs }), ...(opts.onNote === undefined ? {} : { onNote: opts.onNote }), ...(opts.signal === undefined ? {} : { signal: opts.signal }) };
    // the jobs log of the points and reference boots lives in the sweep's directory
    const stage = await createMeasuringStage(measurement.session, stageOptions, executor, paths.dir);
    // under Slurm the first job's result names the worker
    let host: SweepHost | null = def.mode === 'command' && executor.kind === 'local' ? commandHost(facts, machine) : null;
    // commits still owed boots on this machine: this run's, and any an interrupted run left unfinished
    const selected = new Set(selection.commits.map((c) => c.sha));
    // the fingerprint this machine measured under last: what "already measured" is judged by until a boot says otherwise
    const lastMine = records.filter((r) => r.host.machine === machine).reduce<SweepBootRecord | null>((a, b) => (a === null || b.seq > a.seq ? b : a), null);
    const owed = known.filter((c) => {
      const mine = records.filter((r) => r.sha === c.sha && r.role === 'point' && r.host.machine === machine);
      if (!selected.has(c.sha) && mine.length === 0) return false;
      const hostId = mine[mine.length - 1]?.host.id ?? lastMine?.host.id ?? host?.id ?? null;
      return hostId === null || !pointNeed(records, c.sha, hostId, def.bootsPerCommit).done;
    });
    const ordered = [...owed].sort((a, b) => a.history - b.history || a.depth - b.depth);
    opts.onProgress?.({ kind: 'plan', run, mode: selection.mode, head: selection.head, commits: selection.commits.length, toMeasure: ordered.length, history, newHistory });

    let seq = 0;
    // failures that come before the first boot has named the host (a kernel that does not build) wait for it
    let unfiled: Omit<SweepBootRecord, 'host'>[] = [];
    const file = async (record: SweepBootRecord): Promise<void> => {
      await appendBootRecord(paths, record);
      records = [...records, record];
      opts.onProgress?.({ kind: 'recorded', role: record.role, sha: record.sha, outcome: record.outcome });
    };
    const makeRecorder = (role: 'point' | 'reference', sha: string): ((event: BisectEvent, detail?: EventDetail) => Promise<void>) => {
      return async (event, detail) => {
        if (event.kind === 'mark') throw new InternalError('a stage recorded a mark');
        host = hostOfDetail(detail, { facts, machine }) ?? host;
        const outcome: SweepBootRecord['outcome'] =
          event.kind === 'boot' ? { kind: 'boot', runs: event.runs, value: median(event.runs) } : { kind: event.kind, reason: event.reason };
        const bare = { v: 1 as const, role, sha, run, seq: run * 1_000_000 + seq++, at: new Date().toISOString(), outcome };
        if (host === null) {
          unfiled.push(bare);
          opts.onProgress?.({ kind: 'recorded', role, sha, outcome });
          return;
        }
        const known = host;
        for (const u of unfiled) await file({ ...u, host: known });
        unfiled = [];
        await file({ ...bare, host: known });
      };
    };
    const subjectOf = (sha: string): string => known.find((c) => c.sha === sha)?.subject ?? '';
    const measureOnce = async (role: 'point' | 'reference', sha: string, boots: number, position: number, total: number): Promise<void> => {
      await stage.measure(sha, boots, makeRecorder(role, sha), (p) =>
        opts.onProgress?.({
          kind: 'measure',
          role,
          sha,
          subject: subjectOf(sha),
          position,
          total,
          stage: p.stage,
          detail: describeStageProgress(p, boots),
        }),
      );
    };
    const referenceBoot = async (position: number, total: number): Promise<void> => {
      if (referenceSha !== null) await measureOnce('reference', referenceSha, 1, position, total);
    };
    const measured: SweepRunOutcome['measured'] = [];
    // under Slurm, a commit a killed run left jobs for goes first: its jobs are re-attached, not cancelled for a reference boot
    const orphaned = new Set((await openSlurmJobs(executor, paths.dir)).map((j) => j.commit));
    const resumedAt = ordered.findIndex((c) => orphaned.has(c.sha));
    if (resumedAt > 0) ordered.unshift(...ordered.splice(resumedAt, 1));
    try {
      if (ordered.length > 0 && resumedAt < 0) await referenceBoot(0, ordered.length);
      let sinceReference = 0;
      for (const [i, c] of ordered.entries()) {
        if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
        const needNow = (): ReturnType<typeof pointNeed> => {
          // under Slurm no job has named the worker yet at the start of a run: a point a killed run
          // left half measured counts its boots under the fingerprint this machine measured last
          const hostId = host?.id ?? lastMine?.host.id ?? null;
          if (hostId !== null) return pointNeed(records, c.sha, hostId, def.bootsPerCommit);
          const failures = unfiled.filter((u) => u.sha === c.sha && u.role === 'point').length;
          return { boots: def.bootsPerCommit, failures, done: failures >= 3 };
        };
        let need = needNow();
        for (let tries = 0; !need.done && tries < 3; tries++) {
          const before = records.length + unfiled.length;
          await measureOnce('point', c.sha, need.boots, i + 1, ordered.length);
          need = needNow();
          if (records.length + unfiled.length === before) break;
        }
        const mine = records.filter((r) => r.sha === c.sha && r.role === 'point' && r.run === run);
        if (mine.length > 0) measured.push({ sha: c.sha, subject: c.subject, boots: mine.filter((r) => r.outcome.kind === 'boot').length, failures: mine.filter((r) => r.outcome.kind !== 'boot').length });
        sinceReference++;
        if (sinceReference >= def.referenceEvery || i === ordered.length - 1) {
          await referenceBoot(i + 1, ordered.length);
          sinceReference = 0;
        }
      }
    } finally {
      stage.dispose?.();
    }
    if (host === null && unfiled.length > 0) {
      // nothing booted this run: the failures are filed under this machine's facts
      const fallback = { ...commandHost(facts, machine), accel: 'none' as const };
      for (const u of unfiled) await file({ ...u, host: fallback });
      unfiled = [];
    }
    await appendRun(paths, { kind: 'end', run, at: new Date().toISOString(), measured: measured.length, hostId: host?.id ?? null });

    // detection over every whole series, folded into the alert list
    const series = buildSeries({ commits: known, records, test: measurement.test, measurementHash: measurement.hash, references: state.references, detect: { minEffect: measurement.session.config.minEffect } });
    let alerts = await readAlerts(paths);
    const alertEvents: AlertEvent[] = [];
    for (const s of series) {
      const detected: DetectedRange[] = s.changePoints.map((c) => ({
        lastGoodSha: s.points[c.lastBeforeIndex]?.sha as string,
        firstBadSha: s.points[c.firstAfterIndex]?.sha as string,
        kind: c.kind,
        direction: c.direction,
        relativeChange: c.relativeChange,
        relativeChangeCi: c.relativeChangeCi,
        pValue: c.pValue,
      }));
      const merged = mergeAlerts(alerts, { seriesKey: s.key, commits: s.points.map((p) => p.sha), detected, directions: ['regression', 'improvement'] });
      alerts = foldMerge(alerts, merged.alerts, merged.events);
      alertEvents.push(...merged.events);
    }
    await writeAlerts(paths, alerts);
    for (const e of alertEvents) opts.onProgress?.({ kind: 'alert', event: e });

    if (opts.noConfirm !== true && host !== null) {
      const current = seriesKeyOf(host.machine, measurement.hash, measurement.test);
      alerts = await confirmAlerts({
        paths,
        def,
        measurement,
        seriesKey: current,
        bisectImprovements: opts.bisectImprovements === true,
        stageOptions,
        executor: executor.kind,
        onProgress: (p) => opts.onProgress?.({ kind: 'confirm', progress: p }),
      });
    }
    const summary = await summarizeExecutor(executor, [paths.dir, ...alerts.flatMap((a) => (a.bisectionDir === null ? [] : [bisectionDirOf(paths, a.bisectionDir)]))]);
    return { run, mode: selection.mode, head: selection.head, measured, referenceSha, host, series, alertEvents, alerts, notes, ...(summary === undefined ? {} : { executor: summary }) };
  } finally {
    await lock.release();
  }
}
