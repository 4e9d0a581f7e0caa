// `kbisect compare A B`: is B slower than A, measured the team's way? Boots
// of A and B interleaved (each pair in a seeded random order) through the
// bisection's own stages, judged by the pure comparison engine
// (core/compare/engine.ts) at the bisection's calibration looks, until it
// says different, same or inconclusive. Every boot is applied to the engine
// first and then appended (fsync'd) to the comparison's log, so that Ctrl-C,
// kill -9 or a crash loses at most the boot in flight and the same command
// resumes; a later `kbisect start A B` with the same measurement may take
// the logged boots as its calibration (compareSamplesFor).
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { InterruptedError, UserError } from '../core/errors.ts';
import { applyCompareEvent, computeCompareLooks, createCompare, nextCompareAction } from '../core/compare/engine.ts';
import { buildCompareReport, toCompareJson } from '../core/compare/report.ts';
import type { CompareHeader } from '../core/compare/schema.ts';
import { validateCompareSettings } from '../core/compare/settings.ts';
import type { CompareReport, CompareSettings, CompareSide, CompareState } from '../core/compare/types.ts';
import type { BisectEvent } from '../core/bisect/types.ts';
import { chooseDirection } from '../core/session-settings.ts';
import { hostOfBoots, type EventDetail, type LoggedEvent } from '../core/session.ts';
import { isShuttingDown } from '../adapters/cleanup.ts';
import { acquireLock } from '../adapters/lock.ts';
import { sessionPaths } from '../adapters/session-store.ts';
import { writeFileAtomic } from '../adapters/store.ts';
import type { ExecutorKind } from '../core/host-config.ts';
import { chooseExecutor, createMeasuringStage, summarizeExecutor, type Executor, type SlurmExecutorSummary } from './executor.ts';
import type { BisectProgress, Stage, StageOptions } from './bisect/stage.ts';
import { createImageStage } from './compare/image-stage.ts';
import { createSlurmImageStage } from './compare/slurm-image-stage.ts';
import {
  appendCompareEvent,
  archiveCompare,
  compareDirName,
  comparePathsIn,
  compareRootOf,
  imageCompareRoot,
  readCompareEvents,
  readCompareHeader,
  writeCompareHeader,
  type ComparePaths,
} from './compare/store.ts';
import { resolveCompareTarget, type CompareRequest, type CompareTarget } from './compare/target.ts';

export { compareSamplesFor, measurementKeyOf, seedBisectionFromCompare } from './compare/reuse.ts';
export { toCompareJson };

export interface CompareOptions extends CompareRequest, StageOptions {
  /** Family-wise error of calling A and B different when they are not (default 0.02: the bisection's calibration α each way). */
  alpha?: number;
  /** Boots per side after which the comparison gives up (default: the bisection's calibration cap, 96). */
  maxBoots?: number;
  /** Seed of the order within each pair (default: a random one, recorded). */
  seed?: number;
  /** Move the logged comparison aside and start over. */
  restart?: boolean;
  /** Where the boots (and builds) run (default: host.yaml's executor, else local). */
  executor?: ExecutorKind;
  onProgress?: (p: CompareProgress) => void;
}

export interface CompareProgress extends Omit<BisectProgress, 'step' | 'commit' | 'subject' | 'phase' | 'leader' | 'leaderProbability'> {
  side: CompareSide;
  id: string;
  rev: string;
  boots: { a: number; b: number };
  /** Boots per side at the next look. */
  nextLook: number;
}

export interface CompareRun {
  report: CompareReport;
  /** Events that were already logged when this run began. */
  resumedEvents: number;
  dir: string;
  /** Where --restart moved the previous comparison. */
  archived: string | null;
  /** With --executor slurm: the jobs of this comparison (every run of it). */
  executor?: SlurmExecutorSummary;
}

// The settings options that must agree with the log, for the refusal message.
const SETTING_FLAGS = [
  ['seed', '--seed'],
  ['alpha', '--alpha'],
  ['minEffect', '--min-effect'],
  ['maxBootsPerSide', '--max-boots'],
] as const;

// The settings of this run: the logged ones when resuming (an option that disagrees is refused), else the options' (and the profile's).
function settleSettings(header: CompareHeader | null, wanted: CompareSettings, given: ReadonlySet<string>): CompareSettings {
  if (header === null) return wanted;
  if (header.settings.direction !== wanted.direction) {
    const says = (d: CompareSettings['direction']): string => (d === 'lower-is-worse' ? 'higher is better' : 'lower is better');
    throw new UserError(
      `this comparison was started judging "${says(header.settings.direction)}"; got "${says(wanted.direction)}" (--lower-is-better or --metric), which would read its logged boots the other way`,
      'run it as it was started, or add --restart to start over (the old log is moved to archive/)',
    );
  }
  for (const [key, flag] of SETTING_FLAGS) {
    if (given.has(key) && header.settings[key] !== wanted[key]) {
      throw new UserError(
        `this comparison was started with ${flag} ${header.settings[key]}; got ${flag} ${wanted[key]}, which would judge its logged boots by other rules`,
        'leave the option out to go on with the logged boots, or add --restart to start over (the old log is moved to archive/)',
      );
    }
  }
  return header.settings;
}

// The stage for A and B where the executor says: images boot as they are, revisions are built first.
function createCompareStage(target: CompareTarget, opts: StageOptions, executor: Executor, jobsDir: string): Promise<Stage> | Stage {
  const { session } = target;
  if (target.mode !== 'image') return createMeasuringStage(session, opts, executor, jobsDir);
  if (session.mode !== 'kernel') throw new UserError('--kernel images are measured with a profile', 'give --profile NAME');
  if (executor.kind === 'slurm') return createSlurmImageStage(session, target.kernels, opts, { settings: executor.settings, sessionDir: jobsDir });
  return createImageStage(session, target.kernels, opts);
}

// Runs the comparison until the engine decides; resumable at any point.
export async function runCompare(opts: CompareOptions): Promise<CompareRun> {
  const given = new Set<string>();
  if (opts.seed !== undefined) given.add('seed');
  if (opts.alpha !== undefined) given.add('alpha');
  if (opts.minEffect !== undefined) given.add('minEffect');
  if (opts.maxBoots !== undefined) given.add('maxBootsPerSide');
  const early = validateCompareSettings({ seed: opts.seed ?? 1, direction: 'lower-is-worse', alpha: opts.alpha, minEffect: opts.minEffect, maxBootsPerSide: opts.maxBoots });
  if (early.errors.length > 0) throw new UserError(`invalid comparison settings:\n  ${early.errors.join('\n  ')}`, 'see kbisect compare --help for each option');
  const target = await resolveCompareTarget(opts);
  const executor = await chooseExecutor(opts.executor);
  const { session } = target;
  const { settings: wanted, errors } = validateCompareSettings({
    seed: opts.seed ?? randomInt(1, 2 ** 31 - 1),
    direction: chooseDirection(session.test.higherIsBetter, false),
    alpha: opts.alpha,
    minEffect: session.config.minEffect,
    maxBootsPerSide: opts.maxBoots,
  });
  if (errors.length > 0) throw new UserError(`invalid comparison settings:\n  ${errors.join('\n  ')}`, 'see kbisect compare --help for each option');
  const root = target.mode === 'image' ? imageCompareRoot() : await compareRootOf(session.repo);
  const paths = comparePathsIn(join(root, compareDirName(target.a.id, target.b.id, target.measurementKey)));
  // revisions are checked out in the repository's worktree slots, which a bisection or a sweep also uses
  const lockPath = target.mode === 'image' ? join(paths.dir, 'lock') : (await sessionPaths(session.repo)).lock;
  const lock = await acquireLock(lockPath, 'kbisect compare');
  try {
    if (lock.tookOverFrom) opts.onNote?.(`took over the lock of a run that is gone (pid ${lock.tookOverFrom.pid}, started ${lock.tookOverFrom.startedAt})`);
    const archived = opts.restart === true ? await archiveCompare(paths) : null;
    if (archived !== null) opts.onNote?.(`the previous comparison was moved to ${archived}`);
    const existing = await readCompareHeader(paths);
    if (existing !== null && (existing.a.id !== target.a.id || existing.b.id !== target.b.id || existing.measurementKey !== target.measurementKey)) {
      throw new UserError(`${paths.header} belongs to another comparison (${existing.a.id.slice(0, 12)} vs ${existing.b.id.slice(0, 12)})`, 'add --restart to start this one over');
    }
    const settings = settleSettings(existing, wanted, given);
    const header: CompareHeader = existing ?? {
      kind: 'compare',
      version: 1,
      createdAt: new Date().toISOString(),
      mode: target.mode,
      a: target.a,
      b: target.b,
      measurementKey: target.measurementKey,
      profile: profileOf(session),
      settings,
    };
    if (existing === null) await writeCompareHeader(paths, header);
    const { events, warning } = await readCompareEvents(paths);
    if (warning !== null) opts.onNote?.(warning);
    const input = { a: target.a.id, b: target.b.id, settings };
    let state = replayLog(input, events, paths);
    const resumed = events.length;
    if (resumed > 0) opts.onNote?.(`resuming: ${resumed} events already logged (${state.a.boots.length}+${state.b.boots.length} boots re-used) in ${paths.dir}`);
    if (state.final === null) state = await measureUntilDecided(target, paths, state, events, opts, executor);
    const report = buildCompareReport({
      mode: target.mode,
      a: header.a,
      b: header.b,
      profile: header.profile,
      judged: session.test,
      tests: target.tests,
      state,
      events,
      logDir: paths.dir,
      generatedAt: new Date().toISOString(),
    });
    await writeFileAtomic(paths.report, `${JSON.stringify(toCompareJson(report), null, 2)}\n`);
    const summary = await summarizeExecutor(executor, paths.dir);
    return { report, resumedEvents: resumed, dir: paths.dir, archived, ...(summary === undefined ? {} : { executor: summary }) };
  } finally {
    await lock.release();
  }
}

function profileOf(session: CompareTarget['session']): CompareHeader['profile'] {
  return session.mode === 'kernel' ? { name: session.profile.name, hash: session.profile.hash } : { name: `command: ${session.command}`, hash: '' };
}

// Folds the log; an event the engine refuses names the log.
function replayLog(input: Parameters<typeof createCompare>[0], events: readonly LoggedEvent[], paths: ComparePaths): CompareState {
  let state = createCompare(input);
  for (const [i, logged] of events.entries()) {
    try {
      state = applyCompareEvent(state, logged.event);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      throw new UserError(`${paths.events}:${i + 1}: the comparison cannot accept this event: ${error.message}`, 'add --restart to start the comparison over (the old log is moved to archive/)');
    }
  }
  return state;
}

// The loop: one boot at a time of the side the engine asks for; each result applied, then appended.
async function measureUntilDecided(target: CompareTarget, paths: ComparePaths, initial: CompareState, events: LoggedEvent[], opts: CompareOptions, executor: Executor): Promise<CompareState> {
  let state = initial;
  const host = hostOfBoots(events);
  let where = host;
  // the jobs log (under Slurm) lives in the comparison's own directory
  const stage = await createCompareStage(target, opts, executor, paths.dir);
  const looks = computeCompareLooks(state.input.settings);
  const record = async (event: BisectEvent, detail?: EventDetail): Promise<void> => {
    if (isShuttingDown()) throw new InterruptedError('interrupted: the measurement in flight was discarded, not logged');
    if (detail?.source === 'boot') {
      if (where !== null && (detail.host !== where.host || detail.accel !== where.accel)) {
        throw new UserError(
          `this comparison's boots ran on host ${where.host} (${where.accel}); this boot ran on host ${detail.host} (${detail.accel}): mixing them would compare hosts, not kernels`,
          `run it where it began, with --accel ${where.accel}, or add --restart to start over here`,
        );
      }
      where = { host: detail.host, accel: detail.accel };
    }
    const next = applyCompareEvent(state, event);
    const logged: LoggedEvent = { kind: 'event', at: new Date().toISOString(), event, ...(detail ? { detail } : {}) };
    const torn = await appendCompareEvent(paths, logged);
    if (torn) opts.onNote?.(`moved a last line of the log cut short by a crash (${torn.bytes} bytes) aside to ${torn.savedAs}`);
    state = next;
    events.push(logged);
  };
  const started = performance.now();
  if ((opts.jobs ?? 1) > 1) {
    stage.prefetch(target.a.id);
    stage.prefetch(target.b.id);
  }
  try {
    for (;;) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new InterruptedError('aborted');
      const action = nextCompareAction(state);
      if (action.kind === 'done') return state;
      const subject = target[action.side];
      const nextLook = looks[Math.min(state.look, looks.length - 1)] as number;
      const boots = { a: state.a.boots.length, b: state.b.boots.length };
      await stage.measure(action.id, 1, record, (p) => opts.onProgress?.({ ...p, side: action.side, id: action.id, rev: subject.rev, boots, nextLook, elapsedMs: performance.now() - started }));
    }
  } finally {
    stage.dispose?.();
  }
}
