// `kbisect run`: drives the pure engine against a measuring stage until it is
// done. Every result goes through recordEvent (engine first, then the log),
// so a crash, kill -9 or Ctrl-C loses at most the sample in flight and `run`
// resumes where it stopped.
import { InternalError, UserError } from '../../core/errors.ts';
import { nextActions, summarize } from '../../core/bisect/index.ts';
import { buildReportInput, toJsonResult } from '../../core/bisect/report-input.ts';
import type { BisectResult, BisectState } from '../../core/bisect/types.ts';
import type { ReportInput } from '../../core/report/types.ts';
import type { BisectSession, MeasuredSession } from '../../core/session.ts';
import { acquireLock } from '../../adapters/lock.ts';
import { readEvents, sessionPaths, sessionPathsIn, writeSession } from '../../adapters/session-store.ts';
import { writeFileAtomic } from '../../adapters/store.ts';
import type { ExecutorKind } from '../../core/host-config.ts';
import { chooseExecutor, createMeasuringStage, measurementHosts, summarizeExecutor, type Executor, type SlurmExecutorSummary } from '../executor.ts';
import { checkMeasurementInput, resolveMeasurement, type Measurement } from './start.ts';
import { openEventLog, recordEvent, replayEvents, serializeRecorder, type EventLog } from './record.ts';
import { runHostsLoop, type MeasureAction } from './hosts-loop.ts';
import type { BisectProgress, StageOptions } from './stage.ts';

export interface RunOptions extends Measurement, StageOptions {
  repo: string;
  onProgress?: (p: BisectProgress) => void;
  // where the session files are (default: the repository's git dir)
  sessionDir?: string;
  // checked before each step: true ends the run there (a sweep stops after confirmation)
  stopWhen?: (state: BisectState) => boolean;
  // called after each recorded event
  onState?: (state: BisectState) => void;
  // where samples run (default: host.yaml's executor, else local)
  executor?: ExecutorKind;
}

export interface RunOutcome {
  session: MeasuredSession;
  result: BisectResult;
  report: ReportInput;
  resumedEvents: number;
  // with --executor slurm: the jobs of this session (submitted, re-attached, infra errors)
  executor?: SlurmExecutorSummary;
}

// The session with the measurement `run` was given: completes a pending one,
// refuses to change how a session with samples measures (mixed samples).
async function settleMeasurement(log: EventLog, m: Measurement, onNote?: (t: string) => void): Promise<MeasuredSession> {
  const { session } = log;
  const hasSamples = log.events.some((e) => e.event.kind === 'boot');
  const wanted = m.command !== undefined ? 'command' : m.profile !== undefined ? 'kernel' : null;
  if (wanted === null) {
    if (session.mode === 'pending') throw new UserError('this bisection does not know how to measure yet', 'kbisect run --cmd SCRIPT (a benchmark printing a number), or kbisect run --profile NAME (kernels)');
    return session;
  }
  const same =
    session.mode === 'command' ? m.command === session.command : session.mode === 'kernel' ? m.profile === session.profile.name || m.profile === session.profile.source : false;
  if (same) {
    if (session.mode === 'command' && m.timeoutS !== undefined && m.timeoutS !== session.commandTimeoutS) {
      const updated = { ...session, commandTimeoutS: m.timeoutS };
      await writeSession(log.paths, updated);
      return updated;
    }
    return session as MeasuredSession;
  }
  if (hasSamples) {
    const now = session.mode === 'command' ? `the command \`${session.command}\`` : session.mode === 'kernel' ? `the profile ${session.profile.name}` : 'nothing';
    throw new UserError(
      `this bisection has samples measured with ${now}; mixing them with samples of ${m.command !== undefined ? `\`${m.command}\`` : `profile ${m.profile}`} would judge commits on two different measurements`,
      'run it without --cmd/--profile to go on as it is, or kbisect reset and start again',
    );
  }
  const resolved = await resolveMeasurement(session, m);
  await writeSession(log.paths, resolved);
  if (session.mode !== 'pending') onNote?.(`measuring with ${resolved.mode === 'command' ? `\`${resolved.command}\`` : `profile ${resolved.profile.name}`} from now on (no samples were taken yet)`);
  return resolved;
}

// The session with the measurement hosts the executor offers, fixed by the
// first run that measures: several Slurm nodes in host.yaml make a
// multi-host bisection (each boot judged against its own host's GOOD and
// BAD), one node or the local machine a single-host one. A session with
// boots keeps its hosts: a node list changed mid-bisection is refused
// rather than mixing machines, and a single-host session begun before more
// nodes were listed goes on on its first node.
async function settleHosts(log: EventLog, executor: Executor, onNote?: (t: string) => void): Promise<MeasuredSession> {
  const session = log.session as MeasuredSession;
  const offered = measurementHosts(executor);
  const had = session.hosts;
  const same = had !== undefined && offered !== undefined && had.length === offered.length && had.every((h, i) => h === offered[i]);
  if (same || (had === undefined && offered === undefined)) return session;
  const hasBoots = log.events.some((e) => e.event.kind === 'boot');
  if (hasBoots) {
    if (had === undefined) {
      onNote?.(`this bisection began on one measurement host; it goes on there (${executor.kind === 'slurm' ? `node ${executor.settings.nodes?.[0] ?? 'chosen by Slurm'}` : 'this machine'}), not on the ${offered?.length ?? 0} nodes host.yaml lists now`);
      return session;
    }
    throw new UserError(
      `this bisection measures on the hosts ${had.join(', ')} (each judged against its own GOOD and BAD), but ${offered === undefined ? `the ${executor.kind} executor offers no node list` : `host.yaml now lists ${offered.join(', ')}`}; its boots cannot move to other machines`,
      `run it with --executor slurm and \`nodes: [${had.join(', ')}]\` in host.yaml's slurm block, or kbisect reset and start again`,
    );
  }
  const { hosts: _dropped, ...rest } = session;
  const updated: MeasuredSession = offered === undefined ? rest : { ...rest, hosts: offered };
  await writeSession(log.paths, updated);
  log.session = updated;
  log.state = replayEvents(updated, log.events, log.paths);
  if (offered !== undefined) onNote?.(`measuring on ${offered.length} hosts at once: ${offered.join(', ')} (each boot judged against its own host's GOOD and BAD)`);
  return updated;
}

// Runs the bisection until the engine is done; resumable at any point.
export async function runBisection(opts: RunOptions): Promise<RunOutcome> {
  checkMeasurementInput(opts);
  const paths = opts.sessionDir === undefined ? await sessionPaths(opts.repo) : sessionPathsIn(opts.sessionDir);
  const lock = await acquireLock(paths.lock, 'kbisect run');
  try {
    if (lock.tookOverFrom) opts.onNote?.(`took over the lock of a run that is gone (pid ${lock.tookOverFrom.pid}, started ${lock.tookOverFrom.startedAt})`);
    const log = await openEventLog(paths);
    for (const w of log.warnings) opts.onNote?.(w);
    const session = await settleMeasurement(log, opts, opts.onNote);
    log.session = session;
    const resumed = log.events.length;
    if (resumed > 0) opts.onNote?.(`resuming: ${resumed} events already logged (${log.events.filter((e) => e.event.kind === 'boot').length} samples re-used)`);
    const started = performance.now();
    const executor = await chooseExecutor(opts.executor);
    const measured = await settleHosts(log, executor, opts.onNote);
    const stage = await createMeasuringStage(measured, opts, executor, paths.dir);
    try {
      const record = serializeRecorder(async (event, detail) => {
        await recordEvent(log, event, detail, opts.onNote);
        opts.onState?.(log.state);
      });
      const measure = async (action: MeasureAction): Promise<void> => {
        const leader = summarize(log.state);
        const progressBase = {
          step: log.state.steps.length + 1,
          commit: action.commit,
          subject: session.commits.find((c) => c.sha === action.commit)?.subject ?? '',
          phase: action.reference === true ? `${action.phase} (reference)` : action.phase,
          ...(action.host === undefined ? {} : { host: action.host }),
          leader: leader.culprit?.commit ?? null,
          leaderProbability: leader.culprit?.probability ?? null,
        };
        await stage.measure(action.commit, action.boots, record, (p) => opts.onProgress?.({ ...progressBase, ...p, elapsedMs: performance.now() - started }), action.host);
      };
      if (log.state.hosts !== undefined) {
        await runHostsLoop({ state: () => log.state, stage, measure, ...(opts.stopWhen ? { stopWhen: opts.stopWhen } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
      } else {
        for (;;) {
          if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
          const actions = nextActions(log.state);
          if (actions.some((a) => a.kind === 'done')) break;
          if (opts.stopWhen?.(log.state) === true) break;
          for (const a of actions) if (a.kind === 'build' && a.speculative) stage.prefetch(a.commit);
          const measures = actions.filter((a): a is MeasureAction => a.kind === 'measure');
          if (measures.length === 0) throw new InternalError(`the engine asked for nothing to do: ${JSON.stringify(actions)}`);
          for (const action of measures) await measure(action);
        }
      }
    } finally {
      stage.dispose?.();
    }
    const result = summarize(log.state);
    // the sampling decision may have been appended during this run (adaptive-sampling.ts): the log says what measured
    const { sampling } = await readEvents(paths, measured);
    const report = buildReportInput(measured, log.state, log.events, new Date().toISOString(), sampling);
    await writeFileAtomic(paths.report, `${JSON.stringify(toJsonResult(session, result, report), null, 2)}\n`);
    const summary = await summarizeExecutor(executor, paths.dir);
    return { session: measured, result, report, resumedEvents: resumed, ...(summary === undefined ? {} : { executor: summary }) };
  } finally {
    await lock.release();
  }
}

export type { BisectSession };
