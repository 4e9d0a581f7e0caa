// The job-running part every Slurm stage shares (generic samples, kernel
// builds, kernel measurements): a job's script goes into its own directory
// in the shared directory, its id into the jobs log as soon as sbatch returns
// it (so a `run` after kill -9 re-attaches instead of submitting it twice),
// its result is a file it renames into place, a job that ends without one is
// an infra error (submitted again, counted apart, never evidence), and Ctrl-C
// cancels every job of this process.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InternalError, ProcessError } from '../../core/errors.ts';
import type { SlurmSettings } from '../../core/host-config.ts';
import { openJobs, type JobEndKind, type JobRole, type OpenJob } from '../../core/slurm/jobs-log.ts';
import type { JobStatus } from '../../core/slurm/job-state.ts';
import type { SbatchSpec } from '../../core/slurm/sbatch.ts';
import { isShuttingDown, registerCleanup } from '../../adapters/cleanup.ts';
import { sha256Hex } from '../../adapters/digest.ts';
import { appendJobRecord, cancelJobs, hasSampleResult, jobsLogPath, queryJob, readJobRecords, submitJob, writeJobScript } from '../../adapters/slurm.ts';

// How often the result file is looked for, and how often Slurm is asked about the job.
const RESULT_POLL_MS = 100;
const STATE_POLL_MS = 1000;

export interface SlurmStageContext {
  settings: SlurmSettings;
  // the session's directory: the jobs log lives beside its event log
  sessionDir: string;
}

export type Placement = Pick<SbatchSpec, 'partition' | 'exclusive' | 'nodelist' | 'constraint' | 'account' | 'qos'>;

export interface JobWait {
  // null: the result appeared before Slurm was asked; 'unknown': Slurm forgot the job
  status: JobStatus | 'unknown' | null;
  hasResult: boolean;
}

export interface SlurmJobs {
  // this session's directory in the shared directory (trees, jobs, config files)
  root: string;
  submit(opts: { commit: string; role: JobRole; script: (jobDir: string) => string; placement: Placement; timeLimitMin: number }): Promise<OpenJob>;
  waitFor(job: OpenJob): Promise<JobWait>;
  end(job: OpenJob, as: JobEndKind, status: JobStatus | 'unknown' | null, reason?: string | null): Promise<void>;
  cancel(jobs: readonly OpenJob[], reason: string): Promise<void>;
  // jobs a killed run submitted and never dealt with
  openFromLog(): Promise<OpenJob[]>;
  reattach(job: OpenJob): Promise<void>;
  // a job without a result: logged as infra; throws after more than infraRetries in a row
  infraError(job: OpenJob, wait: JobWait, inARow: number, what: string): Promise<void>;
  dispose(): void;
}

// A job for measurement host `host` that ran on another node: its numbers
// would be judged against the wrong host's GOOD and BAD, so nothing of it is
// recorded (Slurm honours --nodelist; this guards against a node alias or a
// hand-edited jobs log).
export function checkJobNode(host: string | undefined, node: string | null, job: OpenJob): void {
  if (host === undefined || node === null || node === host) return;
  throw new InternalError(`Slurm job ${job.jobId} was pinned to measurement host ${host} but ran on node ${node}; its result is not recorded (see ${job.jobDir})`);
}

// The words for a job that ended without a result.
export function describeNoResult(status: JobWait['status']): string {
  if (status === null) return 'no result';
  if (status === 'unknown') return 'no result, and Slurm no longer knows it';
  return `${status.state}${status.reason ? ` (${status.reason})` : ''}, no result`;
}

export function createSlurmJobs(ctx: SlurmStageContext, opts: { signal?: AbortSignal; onNote?: (text: string) => void }): SlurmJobs {
  const logPath = jobsLogPath(ctx.sessionDir);
  // one directory per session in the shared directory
  const root = join(ctx.settings.sharedDir, 'kbisect', sha256Hex(ctx.sessionDir).slice(0, 16));
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

  const end: SlurmJobs['end'] = async (job, as, status, reason = null) => {
    live.delete(job.jobId);
    const state = status === null ? null : status === 'unknown' ? 'UNKNOWN' : status.state;
    await appendJobRecord(logPath, { kind: 'ended', jobId: job.jobId, as, state, reason: reason ?? (status !== null && status !== 'unknown' ? status.reason : null), at: now() });
  };

  return {
    root,
    async submit({ commit, role, script, placement, timeLimitMin }) {
      const jobDir = join(root, 'jobs', `${commit.slice(0, 12)}-${role}-${randomUUID().slice(0, 8)}`);
      const path = await writeJobScript(jobDir, script(jobDir));
      const jobId = await submitJob({ script: path, jobName, stdoutPath: join(jobDir, 'slurm.out'), stderrPath: join(jobDir, 'slurm.err'), chdir: jobDir, timeLimitMin, ...placement });
      const node = placement.nodelist;
      const job: OpenJob = { jobId, commit, jobDir, role, ...(node === undefined ? {} : { node }) };
      // logged before any waiting: after kill -9 the next run finds it here
      await appendJobRecord(logPath, { kind: 'submitted', jobId, commit, jobDir, at: now(), ...(role === 'sample' ? {} : { role }), ...(node === undefined ? {} : { node }) });
      live.set(jobId, job);
      return job;
    },
    async waitFor(job) {
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
    },
    end,
    async cancel(jobs, reason) {
      if (jobs.length === 0 || isShuttingDown()) return;
      await cancelJobs(jobs.map((j) => j.jobId));
      for (const j of jobs) await end(j, 'cancelled', null, reason);
    },
    async openFromLog() {
      return openJobs(await readJobRecords(logPath)).filter((j) => !live.has(j.jobId));
    },
    async reattach(job) {
      const status = await queryJob(job.jobId);
      const state = status === 'unknown' ? 'UNKNOWN' : status.state;
      await appendJobRecord(logPath, { kind: 'reattached', jobId: job.jobId, state, at: now() });
      opts.onNote?.(`re-attached to Slurm job ${job.jobId} (${job.role}, ${state}) of an earlier run instead of submitting it again`);
      live.set(job.jobId, job);
    },
    async infraError(job, wait, inARow, what) {
      const why = describeNoResult(wait.status);
      await end(job, 'infra', wait.status, why);
      if (inARow > ctx.settings.infraRetries) {
        throw new ProcessError({
          message: `Slurm job ${job.jobId} (${what}) ended without a result (${why}), ${inARow} time(s) in a row: the cluster is failing, not the commit (nothing was recorded against it)`,
          command: `sbatch ${join(job.jobDir, 'job.sh')}`,
          hint: `see ${job.jobDir}/slurm.err, ${job.jobDir}/stderr and the slurmd log; kbisect run again resumes (infraRetries in host.yaml allows more retries)`,
        });
      }
      opts.onNote?.(`Slurm job ${job.jobId} (${what}) ended without a result (${why}): an infra error, not evidence; submitting it again (${inARow}/${ctx.settings.infraRetries})`);
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
