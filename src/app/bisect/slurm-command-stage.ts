// Generic mode through Slurm: each sample is one job on the measurement
// partition that runs the user's command in a copy of the commit's tree in
// the shared directory and leaves its result there. Job ids go into the jobs
// log before kbisect waits, so a `run` after kill -9 re-attaches to the jobs
// still queued or running instead of submitting them twice. A job that ends
// without a result (scancel, node failure, time limit) is an infra error:
// submitted again, counted apart, never evidence about the commit.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProcessError, assertNever } from '../../core/errors.ts';
import type { SlurmSettings } from '../../core/host-config.ts';
import type { MeasuredSession } from '../../core/session.ts';
import { DEFAULT_COMMAND_TIMEOUT_S } from '../../core/session-settings.ts';
import { parseUserSample, type UserSampleOutcome } from '../../core/user-sample.ts';
import { tailLines } from '../../core/errors.ts';
import { buildSampleJobScript } from '../../core/slurm/job-script.ts';
import { measurementPlacement } from '../../core/slurm/sbatch.ts';
import { countJobs, openJobs, type JobCounts, type JobEndKind, type OpenJob } from '../../core/slurm/jobs-log.ts';
import type { JobStatus } from '../../core/slurm/job-state.ts';
import { isShuttingDown, registerCleanup } from '../../adapters/cleanup.ts';
import { sha256Hex } from '../../adapters/digest.ts';
import {
  appendJobRecord,
  cancelJobs,
  exportTree,
  hasSampleResult,
  jobsLogPath,
  queryJob,
  readJobRecords,
  readSampleFiles,
  submitJob,
  writeJobScript,
} from '../../adapters/slurm.ts';
import { USER_OUTPUT_TAIL_BYTES } from '../../adapters/user-command.ts';
import type { Stage, StageOptions } from './stage.ts';

// How often the result file is looked for, and how often Slurm is asked about the job.
const RESULT_POLL_MS = 100;
const STATE_POLL_MS = 1000;
const STDERR_TAIL_LINES = 20;
const STDERR_TAIL_CHARS = 2000;

export interface SlurmStageContext {
  settings: SlurmSettings;
  // the session's directory: the jobs log lives beside its event log
  sessionDir: string;
}

export interface SlurmExecutorSummary extends JobCounts {
  kind: 'slurm';
  jobsLog: string;
}

// The jobs log's totals (every run of this session).
export async function summarizeSlurmJobs(sessionDir: string): Promise<SlurmExecutorSummary> {
  const path = jobsLogPath(sessionDir);
  return { kind: 'slurm', jobsLog: path, ...countJobs(await readJobRecords(path)) };
}

export function createSlurmCommandStage(session: Extract<MeasuredSession, { mode: 'command' }>, opts: StageOptions, ctx: SlurmStageContext): Stage {
  const { settings } = ctx;
  const timeoutS = session.commandTimeoutS ?? DEFAULT_COMMAND_TIMEOUT_S;
  const logPath = jobsLogPath(ctx.sessionDir);
  // one directory per session in the shared directory: trees of its commits, one directory per job
  const root = join(settings.sharedDir, 'kbisect', sha256Hex(ctx.sessionDir).slice(0, 16));
  const jobName = `kbisect-${sha256Hex(ctx.sessionDir).slice(0, 8)}`;
  const now = (): string => new Date().toISOString();
  // jobs of this process that are not ended yet: Ctrl-C cancels them
  const live = new Map<string, OpenJob>();
  const unregister = registerCleanup('kbisect Slurm jobs', async () => {
    const ids = [...live.keys()];
    if (ids.length === 0) return;
    await cancelJobs(ids, { whileStopping: true });
    for (const id of ids) await appendJobRecord(logPath, { kind: 'ended', jobId: id, as: 'cancelled', state: null, reason: 'kbisect was interrupted', at: now() });
    live.clear();
  });

  const end = async (job: OpenJob, as: JobEndKind, status: JobStatus | 'unknown' | null, reason: string | null = null): Promise<void> => {
    live.delete(job.jobId);
    const state = status === null ? null : status === 'unknown' ? 'UNKNOWN' : status.state;
    await appendJobRecord(logPath, { kind: 'ended', jobId: job.jobId, as, state, reason: reason ?? (status !== null && status !== 'unknown' ? status.reason : null), at: now() });
  };

  const submit = async (sha: string, tree: string): Promise<OpenJob> => {
    const jobDir = join(root, 'jobs', `${sha.slice(0, 12)}-${randomUUID().slice(0, 8)}`);
    const script = await writeJobScript(jobDir, buildSampleJobScript({ tree, jobDir, commit: sha, command: session.command, timeoutS }));
    const jobId = await submitJob({
      script,
      jobName,
      stdoutPath: join(jobDir, 'slurm.out'),
      stderrPath: join(jobDir, 'slurm.err'),
      chdir: jobDir,
      // a backstop: the script's own timeout ends the command first
      timeLimitMin: Math.ceil(timeoutS / 60) + 2,
      ...measurementPlacement(settings),
    });
    const job = { jobId, commit: sha, jobDir };
    // logged before any waiting: after kill -9 the next run finds it here
    await appendJobRecord(logPath, { kind: 'submitted', jobId, commit: sha, jobDir, at: now() });
    live.set(jobId, job);
    return job;
  };

  // Waits until the job left a result or ended without one.
  const waitFor = async (job: OpenJob): Promise<{ status: JobStatus | 'unknown' | null; hasResult: boolean }> => {
    let lastQuery = -Infinity;
    try {
      for (;;) {
        await parkWhileStopping();
        if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
        if (await hasSampleResult(job.jobDir)) return { status: null, hasResult: true };
        if (performance.now() - lastQuery >= STATE_POLL_MS) {
          lastQuery = performance.now();
          const status = await queryJob(job.jobId);
          // the result is written before the job ends: look once more after seeing the end
          if (status === 'unknown' || status.phase === 'ended') return { status, hasResult: await hasSampleResult(job.jobDir) };
        }
        await sleep(RESULT_POLL_MS);
      }
    } catch (error) {
      // a poll killed by Ctrl-C is not an error of the job
      await parkWhileStopping();
      throw error;
    }
  };

  return {
    prefetch() {},
    async measure(sha, samples, record, emit) {
      const tree = join(root, 'trees', sha);
      await exportTree(session.repo, sha, tree, opts.signal);
      // re-attach: jobs a killed run submitted and never dealt with
      const queue: OpenJob[] = [];
      for (const job of openJobs(await readJobRecords(logPath))) {
        if (job.commit !== sha || queue.length >= samples) {
          await cancelJobs([job.jobId]);
          await end(job, 'cancelled', null, `not needed: measuring ${sha.slice(0, 12)} now`);
          continue;
        }
        const status = await queryJob(job.jobId);
        const state = status === 'unknown' ? 'UNKNOWN' : status.state;
        await appendJobRecord(logPath, { kind: 'reattached', jobId: job.jobId, state, at: now() });
        opts.onNote?.(`re-attached to Slurm job ${job.jobId} (${state}) of an earlier run instead of submitting it again`);
        live.set(job.jobId, job);
        queue.push(job);
      }
      let done = 0;
      let infraInARow = 0;
      try {
        while (done < samples) {
          // every sample still wanted is queued at once: Slurm runs them one after the other on the exclusive node
          while (queue.length < samples - done) queue.push(await submit(sha, tree));
          const job = queue.shift() as OpenJob;
          emit({ stage: 'command', bootIndex: done, bootsWanted: samples });
          const { status, hasResult } = await waitFor(job);
          const files = hasResult ? await readSampleFiles(job.jobDir, USER_OUTPUT_TAIL_BYTES) : null;
          if (files === null || files.result === null) {
            infraInARow++;
            const what = status === null ? 'no result' : status === 'unknown' ? 'no result, and Slurm no longer knows it' : `${status.state}${status.reason ? ` (${status.reason})` : ''}, no result`;
            await end(job, 'infra', status, what);
            if (infraInARow > settings.infraRetries) {
              throw new ProcessError({
                message: `Slurm job ${job.jobId} for ${sha.slice(0, 12)} ended without a result (${what}), ${infraInARow} time(s) in a row: the cluster is failing, not the commit (nothing was recorded against it)`,
                command: `sbatch ${join(job.jobDir, 'job.sh')}`,
                hint: `see ${job.jobDir}/slurm.err and the slurmd log; kbisect run again resumes (infraRetries in host.yaml allows more retries)`,
              });
            }
            opts.onNote?.(`Slurm job ${job.jobId} ended without a result (${what}): an infra error, not a sample; submitting it again (${infraInARow}/${settings.infraRetries})`);
            continue;
          }
          const r = files.result;
          const outcome = toOutcome(r, files.stdoutTail, files.stdoutDropped, files.stderrTail, timeoutS);
          const stderrTail = tailLines(files.stderrTail, STDERR_TAIL_LINES);
          const detail = {
            source: 'command' as const,
            exitCode: r.exitCode,
            signal: null,
            timedOut: r.timedOut,
            durationMs: r.durationMs,
            stderrTail: stderrTail.length > STDERR_TAIL_CHARS ? stderrTail.slice(-STDERR_TAIL_CHARS) : stderrTail,
            job: { executor: 'slurm' as const, id: job.jobId, node: r.node ?? (status !== null && status !== 'unknown' ? status.node : null), infraRetries: infraInARow },
          };
          infraInARow = 0;
          // ended before recorded: a crash in between loses this sample, never counts it twice
          await end(job, outcome.kind, status);
          switch (outcome.kind) {
            case 'sample':
              await record({ kind: 'boot', commit: sha, runs: [outcome.value] }, detail);
              done++;
              break;
            case 'skip':
              await record({ kind: 'skip', commit: sha, reason: outcome.reason }, detail);
              return;
            case 'failed':
              await record({ kind: 'boot-failed', commit: sha, reason: outcome.reason }, detail);
              return;
            default:
              assertNever(outcome, 'user sample');
          }
        }
      } finally {
        // a skip, a failure or an error leaves queued samples that nobody wants
        if (queue.length > 0 && !isShuttingDown()) {
          await cancelJobs(queue.map((j) => j.jobId));
          for (const j of queue) await end(j, 'cancelled', null, 'not needed any more');
        }
      }
    },
    // after Ctrl-C the cleanup must stay registered: it is what cancels the jobs
    dispose: () => {
      if (!isShuttingDown()) unregister();
    },
  };
}

// After Ctrl-C the signal handler cancels the jobs (the registered cleanup)
// and exits 130; the waiting loop must not race it to the exit with an error
// of its own, so it stops here and lets the handler finish.
async function parkWhileStopping(): Promise<void> {
  if (isShuttingDown()) await new Promise<never>(() => {});
}

// The job's exit status and output read exactly as a local run's would be.
function toOutcome(r: { exitCode: number; timedOut: boolean }, stdoutTail: string, stdoutDropped: number, stderr: string, timeoutS: number): UserSampleOutcome {
  let stdout = stdoutTail;
  if (stdoutDropped > 0) {
    const body = stdoutTail.replace(/\n+$/, '');
    const nl = body.indexOf('\n');
    if (nl < 0 && r.exitCode === 0 && !r.timedOut) return { kind: 'failed', reason: `the last line of the output is longer than ${USER_OUTPUT_TAIL_BYTES / 1024} KiB; expected a positive number on it` };
    stdout = nl < 0 ? '' : body.slice(nl + 1);
  }
  return parseUserSample(r.exitCode, undefined, stdout, { stderr, timedOutAfterMs: r.timedOut ? timeoutS * 1000 : undefined });
}
