// The bisection, end to end: `start` records what to bisect, `run` drives the
// pure engine (src/core/bisect) against the real stages — kernel builds
// (app/build.ts), boots and netperf (app/measure.ts) or a user's command —
// appending every event to the session log before the engine sees it, so
// that a crash or Ctrl-C loses nothing and `run` resumes where it stopped.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InternalError, UserError, assertNever } from '../core/errors.ts';
import { apply, createBisection, nextActions, replay, summarize, posteriorTable, validateBisectConfig, defaultBisectConfig } from '../core/bisect/index.ts';
import type { Action, BisectEvent, BisectResult, BisectState, PosteriorRow } from '../core/bisect/types.ts';
import type { BisectConfig, Direction } from '../core/bisect/config.ts';
import type { CommitInfo, ReportInput } from '../core/report/types.ts';
import { parseUserSample } from '../core/user-sample.ts';
import type { AccelChoice, BootOutcome, MeasureProgress } from '../core/measure/types.ts';
import type { Profile } from '../core/profile/index.ts';
import type { BuildProgress, BuildResult, BuildSuccess } from '../core/kernel-build.ts';
import { addWorktree, checkoutWorktree, findGitCommonDir, getCommitInfo, isWorktreeOf, resolveRange, resolveRevision, worktreeHead } from '../adapters/git.ts';
import { repoWorkDir, slotPaths } from '../adapters/build-workspace.ts';
import { runCommand } from '../adapters/exec.ts';
import { acquireLock } from '../adapters/lock.ts';
import { writeFileAtomic } from '../adapters/store.ts';
import { createBuildPool, readKernelConfigSpec, resetBuildWorkspace, type BuildPool } from './build.ts';
import { measureKernel } from './measure.ts';
import { loadProfile, parseProfileText, renderProfileYaml } from './profiles.ts';
import {
  appendEvent,
  readEvents,
  readSession,
  removeSession,
  requireSession,
  sessionPaths,
  writeSession,
  type BisectSession,
  type LoggedEvent,
  type SessionPaths,
} from './bisect-session.ts';

export type { BisectSession, LoggedEvent } from './bisect-session.ts';

// Reference boots are the app's default (the engine's is a stationary host):
// real hosts drift, TCG on a shared one by up to 2× within minutes.
const REFERENCE_EVERY = 2;

// The `kbisect start` option behind each engine setting, for error messages.
const START_FLAG: Record<string, string> = {
  confidence: '--confidence',
  minEffect: '--min-effect',
  maxBootsPerCommit: '--max-boots',
  referenceEvery: '--reference-every',
  seed: '--seed',
};

export interface StartOptions {
  repo: string;
  good: string;
  bad: string;
  profile?: string;
  // the profile test whose metric decides (default: the profile's first test)
  test?: string;
  firstParent?: boolean;
  paths?: readonly string[];
  termOld?: string;
  termNew?: string;
  improvement?: boolean;
  // generic mode: one invocation = one sample, its last line a number
  command?: string;
  // generic mode: whether larger numbers from the command are better (default true)
  higherIsBetter?: boolean;
  confidence?: number;
  maxBoots?: number;
  minEffect?: number;
  referenceEvery?: number;
  seed?: number;
  accel?: AccelChoice;
  toolchain?: string;
}

function commitInfoOf(c: { sha: string; subject: string; author: string; authorDate: string }): CommitInfo {
  return { sha: c.sha, subject: c.subject, author: c.author, date: c.authorDate };
}

// The engine's direction: which way BAD ("new") moves from GOOD ("old").
export function chooseDirection(higherIsBetter: boolean, improvement: boolean): Direction {
  return higherIsBetter !== improvement ? 'lower-is-worse' : 'higher-is-worse';
}

// Records a new bisection of GOOD..BAD in `repo`; fails if one is in progress.
export async function startBisection(opts: StartOptions): Promise<BisectSession> {
  const paths = await sessionPaths(opts.repo);
  const existing = await readSession(paths);
  if (existing) {
    throw new UserError(
      `a bisection of ${existing.goodRev}..${existing.badRev} is already in progress in this repository`,
      'continue it with `kbisect run`, or end it with `kbisect reset`',
    );
  }
  if (opts.command === undefined && opts.profile === undefined) {
    throw new UserError('expected --profile (a built-in name such as tcp-rr, or a YAML file) or --cmd SCRIPT', 'see `kbisect profile list`');
  }
  const range = await resolveRange(opts.repo, opts.good, opts.bad, {
    firstParent: opts.firstParent === true,
    paths: [...(opts.paths ?? [])],
  });
  const good = commitInfoOf(await getCommitInfo(opts.repo, range.good));
  const commits = [good, ...range.commits.map(commitInfoOf)];
  if (commits.length < 2) throw new InternalError('resolveRange returned an empty range');

  let profile: BisectSession['profile'] = null;
  let test: BisectSession['test'];
  let runsPerBoot = 1;
  let minEffect = opts.minEffect;
  let maxBoots = opts.maxBoots;
  let referenceEvery = opts.referenceEvery;
  let kernelConfig: BisectSession['kernelConfig'] = null;
  if (opts.command !== undefined) {
    test = { name: 'command', metric: 'value', unit: 'value', higherIsBetter: opts.higherIsBetter ?? true };
  } else {
    const loaded = await loadProfile(opts.profile ?? '', opts.repo);
    const p = loaded.profile;
    const chosen = opts.test === undefined ? p.tests[0] : p.tests.find((t) => t.name === opts.test || t.metric === opts.test);
    if (!chosen) {
      throw new UserError(
        `--metric ${JSON.stringify(opts.test)}: the profile ${p.name} has no such test or metric`,
        `choose one of: ${p.tests.map((t) => `${t.name} (${t.metric})`).join(', ')}`,
      );
    }
    test = { name: chosen.name, metric: chosen.metric, unit: unitOf(chosen.metric, chosen.type), higherIsBetter: chosen.higherIsBetter };
    runsPerBoot = p.sampling.runsPerBoot;
    minEffect ??= p.minEffect;
    maxBoots ??= p.sampling.maxBoots;
    referenceEvery ??= p.sampling.referenceEvery;
    profile = { source: loaded.source, name: p.name, hash: loaded.hash, yaml: renderProfileYaml(loaded) };
    kernelConfig = await readKernelConfigSpec({ profile: opts.profile ?? '', cwd: opts.repo });
  }
  const improvement = opts.improvement === true;
  const { config, errors } = validateBisectConfig({
    ...defaultBisectConfig,
    direction: chooseDirection(test.higherIsBetter, improvement),
    ...(opts.confidence === undefined ? {} : { confidence: opts.confidence }),
    ...(minEffect === undefined ? {} : { minEffect }),
    ...(maxBoots === undefined ? {} : { maxBootsPerCommit: maxBoots }),
    referenceEvery: referenceEvery ?? REFERENCE_EVERY,
    ...(opts.seed === undefined ? {} : { seed: opts.seed }),
  });
  if (errors.length > 0) {
    const named = errors.map((e) => e.replace(/`(\w+)` option/, (m, key: string) => (key in START_FLAG ? `${START_FLAG[key]} option` : m)));
    throw new UserError(`invalid bisection settings:\n  ${named.join('\n  ')}`, 'see kbisect start --help for each option');
  }
  const session: BisectSession = {
    kind: 'session',
    version: 1,
    repo: resolve(opts.repo),
    createdAt: new Date().toISOString(),
    goodRev: opts.good,
    badRev: opts.bad,
    commits,
    firstParent: opts.firstParent === true,
    paths: [...(opts.paths ?? [])],
    terms: { old: opts.termOld ?? 'good', new: opts.termNew ?? 'bad' },
    improvement,
    mode: opts.command === undefined ? 'kernel' : 'command',
    command: opts.command ?? null,
    profile,
    test,
    runsPerBoot,
    accel: opts.accel ?? 'auto',
    toolchain: opts.toolchain ?? null,
    kernelConfig,
    config,
  };
  await writeSession(paths, session);
  return session;
}

function unitOf(metric: string, type: string): string {
  switch (metric) {
    case 'throughput':
      return type.startsWith('UDP_RR') || type.endsWith('_RR') ? 'trans/s' : 'Mbit/s';
    case 'transaction-rate':
      return 'trans/s';
    default:
      return 'us';
  }
}

function engineInput(session: BisectSession): { commits: string[]; config: BisectConfig } {
  return { commits: session.commits.map((c) => c.sha), config: session.config };
}

// The engine state now: the session's events replayed.
async function loadState(paths: SessionPaths): Promise<{ session: BisectSession; state: BisectState; events: LoggedEvent[]; warnings: string[] }> {
  const session = await requireSession(paths);
  const { events, warning } = await readEvents(paths);
  const state = replay(engineInput(session), events.map((e) => e.event));
  return { session, state, events, warnings: warning ? [warning] : [] };
}

export interface BisectProgress {
  step: number;
  commit: string;
  subject: string;
  phase: string;
  stage: 'build' | 'boot' | 'sample' | 'command';
  build?: BuildProgress;
  bootIndex?: number;
  bootsWanted?: number;
  sample?: { rep: number; reps: number; value: number | null; unit: string };
  leader: string | null;
  leaderProbability: number | null;
  elapsedMs: number;
}

export interface RunOptions {
  repo: string;
  // parallel build slots: > 1 builds the engine's next likely commits while one is measured
  jobs?: number;
  // generic mode, given at run time
  command?: string;
  onProgress?: (p: BisectProgress) => void;
  onNote?: (text: string) => void;
  signal?: AbortSignal;
}

export interface RunOutcome {
  session: BisectSession;
  result: BisectResult;
  report: ReportInput;
  resumedEvents: number;
}

// Runs the bisection until the engine is done; resumable at any point.
export async function runBisection(opts: RunOptions): Promise<RunOutcome> {
  const paths = await sessionPaths(opts.repo);
  const lock = await acquireLock(paths.lock, 'kbisect run');
  try {
    if (lock.tookOverFrom) opts.onNote?.(`took over the lock of a dead run (pid ${lock.tookOverFrom.pid})`);
    const loaded = await loadState(paths);
    let { session, state } = loaded;
    for (const w of loaded.warnings) opts.onNote?.(w);
    if (opts.command !== undefined && session.command !== opts.command) {
      if (session.mode === 'kernel' && loaded.events.length > 0) {
        throw new UserError('--cmd: this bisection measures kernels with a profile and has samples already', 'kbisect reset, then start again with --cmd');
      }
      session = { ...session, mode: 'command', command: opts.command };
      await writeSession(paths, session);
    }
    if (loaded.events.length > 0) opts.onNote?.(`resuming: ${loaded.events.length} events already logged (${countBoots(loaded.events)} boots re-used)`);
    const started = performance.now();
    const ctx = await createRunContext(session, opts);
    const record = async (event: BisectEvent, detail?: Record<string, unknown>): Promise<void> => {
      await appendEvent(paths, { kind: 'event', at: new Date().toISOString(), event, ...(detail ? { detail } : {}) });
      state = apply(state, event);
    };
    for (;;) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
      const actions = nextActions(state);
      const done = actions.find((a): a is Extract<Action, { kind: 'done' }> => a.kind === 'done');
      if (done) break;
      for (const a of actions) if (a.kind === 'build' && a.speculative) ctx.prefetch(a.commit);
      const measures = actions.filter((a): a is Extract<Action, { kind: 'measure' }> => a.kind === 'measure');
      if (measures.length === 0) throw new InternalError(`the engine asked for nothing to do: ${JSON.stringify(actions)}`);
      for (const action of measures) {
        const leader = summarize(state);
        const progressBase = {
          step: state.steps.length + 1,
          commit: action.commit,
          subject: session.commits.find((c) => c.sha === action.commit)?.subject ?? '',
          phase: action.reference === true ? `${action.phase} (reference)` : action.phase,
          leader: leader.culprit?.commit ?? null,
          leaderProbability: leader.culprit?.probability ?? null,
        };
        const emit = (p: Omit<BisectProgress, keyof typeof progressBase | 'elapsedMs'>): void =>
          opts.onProgress?.({ ...progressBase, ...p, elapsedMs: performance.now() - started });
        await ctx.measure(action.commit, action.boots, record, emit);
      }
    }
    const result = summarize(state);
    const events = (await readEvents(paths)).events;
    const report = buildReportInput(session, state, events);
    await writeFileAtomic(paths.report, `${JSON.stringify(toJsonResult(session, result, report), null, 2)}\n`);
    return { session, result, report, resumedEvents: loaded.events.length };
  } finally {
    await lock.release();
  }
}

function countBoots(events: readonly LoggedEvent[]): number {
  return events.filter((e) => e.event.kind === 'boot').length;
}

type Recorder = (event: BisectEvent, detail?: Record<string, unknown>) => Promise<void>;
type Emit = (p: Omit<BisectProgress, 'step' | 'commit' | 'subject' | 'phase' | 'leader' | 'leaderProbability' | 'elapsedMs'>) => void;

interface RunContext {
  prefetch(sha: string): void;
  measure(sha: string, boots: number, record: Recorder, emit: Emit): Promise<void>;
}

async function createRunContext(session: BisectSession, opts: RunOptions): Promise<RunContext> {
  switch (session.mode) {
    case 'kernel':
      return createKernelContext(session, opts);
    case 'command':
      return createCommandContext(session, opts);
    default:
      return assertNever(session.mode, 'session mode');
  }
}

function sessionProfile(session: BisectSession): Profile {
  if (!session.profile) throw new InternalError('kernel mode without a profile');
  return parseProfileText(session.profile.yaml, `session profile ${session.profile.name}`, 'file').profile;
}

function createKernelContext(session: BisectSession, opts: RunOptions): RunContext {
  const profile = sessionProfile(session);
  if (!session.kernelConfig) throw new InternalError('kernel mode without a kernel config');
  const slots = Math.max(1, opts.jobs ?? 1);
  let currentBuild: ((p: BuildProgress) => void) | null = null;
  const pool: BuildPool = createBuildPool({
    repo: session.repo,
    config: session.kernelConfig,
    slots,
    ...(session.toolchain === null ? {} : { toolchain: session.toolchain }),
    onProgress: (p) => currentBuild?.(p),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const builds = new Map<string, Promise<BuildResult>>();
  const ensureBuilt = (sha: string): Promise<BuildResult> => {
    let b = builds.get(sha);
    if (!b) {
      b = pool.build(sha);
      builds.set(sha, b);
      // a failure is reported when the build is awaited for a measurement
      b.catch(() => {});
    }
    return b;
  };
  const bootsDone = new Map<string, number>();
  const warned = new Set<string>();
  return {
    prefetch(sha) {
      if (slots > 1) void ensureBuilt(sha);
    },
    async measure(sha, boots, record, emit) {
      currentBuild = (p) => {
        if (p.sha === sha) emit({ stage: 'build', build: p });
      };
      emit({ stage: 'build' });
      const built = await ensureBuilt(sha);
      currentBuild = null;
      if (built.kind === 'build-failed') {
        builds.delete(sha);
        await record({ kind: 'build-failed', commit: sha, reason: built.firstError }, { logPath: built.logPath, logTail: built.logTail.slice(-2000) });
        return;
      }
      await measureBuilt(sha, built, boots, record, emit);
    },
  };

  async function measureBuilt(sha: string, built: BuildSuccess, boots: number, record: Recorder, emit: Emit): Promise<void> {
    const first = bootsDone.get(sha) ?? 0;
    let chain = Promise.resolve();
    const onProgress = (e: MeasureProgress): void => {
      switch (e.kind) {
        case 'boot-start':
          emit({ stage: 'boot', bootIndex: e.bootIndex - first, bootsWanted: boots });
          break;
        case 'run':
          emit({ stage: 'sample', bootIndex: e.bootIndex - first, bootsWanted: boots, sample: { rep: e.rep, reps: e.reps, value: e.value, unit: e.unit } });
          break;
        case 'boot-done':
          // appended as each boot ends: a crash mid-measurement loses at most the boot in flight
          chain = chain.then(() => recordBoot(sha, built, e.outcome, record));
          break;
        case 'warning':
          // every measurement repeats its warnings (TCG, ...): say each once per run
          if (!warned.has(e.message)) {
            warned.add(e.message);
            opts.onNote?.(`warning: ${e.message}`);
          }
          break;
        case 'accel':
        case 'ready':
        case 'guest-image':
          break;
        default:
          assertNever(e, 'measure progress');
      }
    };
    try {
      await measureKernel({
        kernel: { bzImage: built.bzImage, vmlinux: built.vmlinux, imageHash: built.imageHash, configHash: built.configHash },
        profile,
        boots,
        accel: session.accel,
        onProgress,
        firstBootIndex: first,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } finally {
      await chain;
      bootsDone.set(sha, first + boots);
    }
  }

  async function recordBoot(sha: string, built: BuildSuccess, outcome: BootOutcome, record: Recorder): Promise<void> {
    if (outcome.kind === 'boot-failed') {
      await record({ kind: 'boot-failed', commit: sha, reason: outcome.reason }, { imageHash: built.imageHash, bootIndex: outcome.bootIndex, phase: outcome.phase, consoleTail: outcome.consoleTail.slice(-2000) });
      return;
    }
    const judged = outcome.tests.find((t) => t.test === session.test.name);
    if (!judged || judged.runs.length === 0) {
      await record({ kind: 'boot-failed', commit: sha, reason: `the boot produced no runs of test ${session.test.name}` }, { imageHash: built.imageHash, bootIndex: outcome.bootIndex });
      return;
    }
    await record(
      { kind: 'boot', commit: sha, runs: judged.runs },
      {
        imageHash: built.imageHash,
        bootIndex: outcome.bootIndex,
        readyMs: Math.round(outcome.readyMs),
        tests: outcome.tests.map((t) => ({ test: t.test, metric: t.metric, unit: t.unit, runs: t.runs, warmup: t.warmup })),
      },
    );
  }
}

async function createCommandContext(session: BisectSession, opts: RunOptions): Promise<RunContext> {
  const command = session.command;
  if (command === null) throw new UserError('this bisection has no command', 'kbisect run --cmd SCRIPT');
  const workDir = await repoWorkDir(session.repo, await findGitCommonDir(session.repo));
  const worktree = slotPaths(workDir, 0).src;
  return {
    prefetch() {},
    async measure(sha, boots, record, emit) {
      if ((await worktreeHead(worktree)) !== null && (await isWorktreeOf(worktree, session.repo))) await checkoutWorktree(worktree, sha, opts.signal);
      else await addWorktree(session.repo, worktree, sha, opts.signal);
      for (let i = 0; i < boots; i++) {
        emit({ stage: 'command', bootIndex: i, bootsWanted: boots });
        const r = await runCommand(
          { file: 'bash', args: ['-c', command], cwd: worktree, env: { ...process.env, KBISECT_COMMIT: sha } as Record<string, string> },
          { reject: false },
        );
        const sample = parseUserSample(r.exitCode, r.signal, r.stdout);
        const detail = { exitCode: r.exitCode ?? null, durationMs: Math.round(r.durationMs), stderrTail: r.stderr.slice(-500) };
        switch (sample.kind) {
          case 'sample':
            await record({ kind: 'boot', commit: sha, runs: [sample.value] }, detail);
            break;
          case 'skip':
            await record({ kind: 'skip', commit: sha, reason: sample.reason }, detail);
            return;
          case 'failed':
            await record({ kind: 'boot-failed', commit: sha, reason: sample.reason }, detail);
            return;
          default:
            assertNever(sample, 'user sample');
        }
      }
    },
  };
}

// The report's ingredients: commits, boots per commit, posterior after each step.
export function buildReportInput(session: BisectSession, finalState: BisectState, events: readonly LoggedEvent[]): ReportInput {
  const input = engineInput(session);
  let state = createBisection(input);
  const posteriorHistory: number[][] = [];
  const bootsByCommit: Record<string, number[]> = {};
  for (const logged of events) {
    const before = state.steps.length;
    state = apply(state, logged.event);
    if (state.steps.length > before) posteriorHistory.push(posteriorTable(state).map((r) => r.probability));
  }
  session.commits.forEach((c, i) => {
    const boots = finalState.records[String(i)]?.boots;
    if (boots && boots.length > 0) bootsByCommit[c.sha] = [...boots];
  });
  const firstAt = events[0]?.at;
  const lastAt = events[events.length - 1]?.at;
  const lastBoot = [...events].reverse().find((e) => e.detail && typeof e.detail.host === 'string');
  return {
    repo: session.repo,
    commits: session.commits,
    profile: session.profile ? { name: session.profile.name, hash: session.profile.hash } : { name: `command: ${session.command ?? ''}`, hash: '' },
    metric: { name: session.mode === 'kernel' ? `netperf.${session.test.name}.${session.test.metric}` : 'command.value', unit: session.test.unit, higherIsBetter: session.test.higherIsBetter },
    host: { fingerprint: typeof lastBoot?.detail?.host === 'string' ? lastBoot.detail.host : 'this host', accel: session.mode === 'kernel' ? session.accel : 'n/a' },
    result: summarize(finalState),
    bootsByCommit,
    posteriorHistory,
    wallMs: firstAt && lastAt ? Date.parse(lastAt) - Date.parse(firstAt) : null,
    generatedAt: new Date().toISOString(),
  };
}

// The JSON every result-printing command ends with.
export function toJsonResult(session: BisectSession, result: BisectResult, report: ReportInput): Record<string, unknown> {
  const subjectOf = (sha: string): string => session.commits.find((c) => c.sha === sha)?.subject ?? '';
  const change = (c: BisectResult['change']) => (c ? { good: c.good, bad: c.bad, ratio: c.ratio, ci: c.ci, goodBoots: c.goodBoots, badBoots: c.badBoots } : null);
  return {
    outcome: result.outcome,
    culprit: result.culprit ? { sha: result.culprit.commit, subject: subjectOf(result.culprit.commit), probability: result.culprit.probability } : null,
    range: result.range ? { ...result.range, subjects: result.range.commits.map(subjectOf) } : null,
    change: change(result.change),
    culpritChange: change(result.culpritChange),
    explainsFullChange: result.explainsFullChange,
    steps: result.steps,
    boots: result.boots,
    builds: result.builds,
    warnings: result.warnings,
    powerEstimate: result.powerEstimate ?? null,
    good: session.commits[0]?.sha,
    bad: session.commits[session.commits.length - 1]?.sha,
    profile: report.profile,
    metric: report.metric,
    terms: session.terms,
    wallMs: report.wallMs,
    seed: result.seed,
  };
}

export interface StatusReport {
  session: BisectSession;
  result: BisectResult;
  report: ReportInput;
  next: Action[];
  warnings: string[];
}

// Where the bisection stands: the engine's summary and what it wants next.
export async function getStatus(repo: string): Promise<StatusReport> {
  const paths = await sessionPaths(repo);
  const { session, state, events, warnings } = await loadState(paths);
  return { session, result: summarize(state), report: buildReportInput(session, state, events), next: nextActions(state), warnings };
}

// The remaining candidates with their posterior (for `visualize`).
export async function getPosterior(repo: string): Promise<{ session: BisectSession; rows: PosteriorRow[] }> {
  const { session, state } = await loadState(await sessionPaths(repo));
  return { session, rows: posteriorTable(state) };
}

// A human's verdict (`kbisect good|bad|skip [REV]`); REV defaults to the commit the engine wants measured next.
export async function markCommit(repo: string, rawRev: string | undefined, as: 'good' | 'bad' | 'skip', reason?: string): Promise<{ sha: string; subject: string }> {
  const paths = await sessionPaths(repo);
  const lock = await acquireLock(paths.lock, `kbisect ${as}`);
  try {
    const { session, state } = await loadState(paths);
    let sha: string;
    if (rawRev === undefined) {
      const next = nextActions(state).find((a) => a.kind === 'measure');
      if (!next || next.kind !== 'measure') throw new UserError(`nothing to mark: the bisection is done`, 'see `kbisect report`');
      sha = next.commit;
    } else {
      sha = await resolveRevision(repo, rawRev);
    }
    const index = session.commits.findIndex((c) => c.sha === sha);
    if (index < 0) {
      throw new UserError(`${rawRev ?? sha} (${sha.slice(0, 12)}) is not in the bisected range ${session.goodRev}..${session.badRev}`, 'see `kbisect visualize` for the candidates');
    }
    const event: BisectEvent = as === 'skip' ? { kind: 'skip', commit: sha, reason: reason ?? 'skipped by hand' } : { kind: 'mark', commit: sha, as };
    await appendEvent(paths, { kind: 'event', at: new Date().toISOString(), event, detail: { by: 'hand' } });
    return { sha, subject: session.commits[index]?.subject ?? '' };
  } finally {
    await lock.release();
  }
}

// The session and its events as JSONL: `kbisect replay` takes it back.
export async function exportLog(repo: string): Promise<string> {
  const paths = await sessionPaths(repo);
  const session = await requireSession(paths);
  const { events } = await readEvents(paths);
  return [session, ...events].map((r) => JSON.stringify(r)).join('\n') + '\n';
}

// Restores a bisection from a `kbisect log` file (replacing the current one).
export async function replayLog(repo: string, file: string): Promise<StatusReport> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read ${file}: ${(error as Error).message}`, 'give the file written by `kbisect log > FILE`');
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const records = lines.map((l, i) => {
    try {
      return JSON.parse(l) as { kind?: string };
    } catch {
      throw new UserError(`${file}:${i + 1}: not a JSON line`, 'give the file written by `kbisect log > FILE`');
    }
  });
  const session = records[0] as BisectSession | undefined;
  if (!session || session.kind !== 'session' || session.version !== 1) {
    throw new UserError(`${file}: expected a kbisect log (first line: the session), got ${JSON.stringify(lines[0]?.slice(0, 60) ?? '')}`);
  }
  const events = records.slice(1) as LoggedEvent[];
  if (events.some((e) => e.kind !== 'event')) throw new UserError(`${file}: every line after the first must be an event`);
  const paths = await sessionPaths(repo);
  const lock = await acquireLock(paths.lock, 'kbisect replay');
  try {
    for (const c of [session.commits[0], session.commits[session.commits.length - 1]]) {
      if (c) await resolveRevision(repo, c.sha);
    }
    // validates every event against the engine before anything is written
    replay(engineInput(session), events.map((e) => e.event));
    await removeSession(paths);
    await writeSession(paths, { ...session, repo: resolve(repo) });
    for (const e of events) await appendEvent(paths, e);
  } finally {
    await lock.release();
  }
  return getStatus(repo);
}

// Ends the bisection: session files and worktrees go; the kernel cache and the measurements stay.
export async function resetBisection(repo: string): Promise<{ hadSession: boolean; worktreesRemoved: number }> {
  const paths = await sessionPaths(repo);
  const lock = await acquireLock(paths.lock, 'kbisect reset');
  try {
    const hadSession = (await readSession(paths)) !== null;
    await removeSession(paths);
    const ws = await resetBuildWorkspace(repo);
    return { hadSession, worktreesRemoved: ws.removedSlots };
  } finally {
    await lock.release();
  }
}
