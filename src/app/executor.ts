// Where measurements run, chosen in one place for `run`, `sweep run`,
// `compare` and `matrix`: this machine (the default, the stages exactly as
// before), or jobs of the Slurm cluster in host.yaml's `slurm:` block. Each
// command keeps its Slurm jobs log in its own directory (the session's, the
// sweep's, the comparison's), so that kill -9 and the same command again
// re-attaches to the jobs still queued or running there.
import { UserError, assertNever } from '../core/errors.ts';
import type { ExecutorKind, SlurmSettings } from '../core/host-config.ts';
import type { MeasuredSession } from '../core/session.ts';
import { countJobs, openJobs, type JobCounts, type OpenJob } from '../core/slurm/jobs-log.ts';
import { loadHostConfig } from '../adapters/host-config.ts';
import { jobsLogPath, readJobRecords } from '../adapters/slurm.ts';
import { createCommandStage } from './bisect/command-stage.ts';
import { createKernelStage } from './bisect/kernel-stage.ts';
import { createSlurmCommandStage } from './bisect/slurm-command-stage.ts';
import { createSlurmKernelStage } from './bisect/slurm-kernel-stage.ts';
import type { Stage, StageOptions } from './bisect/stage.ts';

export type Executor = { kind: 'local' } | { kind: 'slurm'; settings: SlurmSettings };

// What --json reports of the Slurm jobs behind a result (totals of the jobs log: every run).
export interface SlurmExecutorSummary extends JobCounts {
  kind: 'slurm';
  jobsLog: string;
  // more than one log was counted (a sweep's own, and its alerts' bisections'): every one of them
  jobsLogs?: string[];
}

export const SLURM_SETTINGS_MISSING_HINT = 'add e.g. `slurm: {sharedDir: /srv/kbisect, perfPartition: perf, nodes: [perf01]}` to ~/.config/kbisect/host.yaml; kbisect doctor --executor slurm checks it';

// The executor asked for: the option, else host.yaml's `executor`; local needs no host.yaml at all.
export async function chooseExecutor(wanted: ExecutorKind | undefined, configPath?: string): Promise<Executor> {
  if (wanted === 'local') return { kind: 'local' };
  const config = await loadHostConfig(configPath);
  const kind = wanted ?? config.executor;
  if (kind === 'local') return { kind: 'local' };
  if (config.slurm === undefined) {
    throw new UserError('--executor slurm needs the cluster settings: a `slurm:` block in host.yaml (at least sharedDir)', SLURM_SETTINGS_MISSING_HINT);
  }
  return { kind: 'slurm', settings: config.slurm };
}

// The measurement hosts a bisection can use at once: the Slurm nodes of
// host.yaml when there are several (undefined: one host, as always).
export function measurementHosts(executor: Executor): string[] | undefined {
  if (executor.kind !== 'slurm') return undefined;
  const nodes = executor.settings.nodes ?? [];
  return nodes.length >= 2 ? [...nodes] : undefined;
}

// The stage that measures `session`'s commits where the executor says; `jobsDir` holds the Slurm jobs log.
export function createMeasuringStage(session: MeasuredSession, opts: StageOptions, executor: Executor, jobsDir: string): Promise<Stage> | Stage {
  if (executor.kind === 'slurm') {
    const ctx = { settings: executor.settings, sessionDir: jobsDir };
    switch (session.mode) {
      case 'kernel':
        return createSlurmKernelStage(session, opts, ctx);
      case 'command':
        return createSlurmCommandStage(session, opts, ctx);
      default:
        return assertNever(session, 'session mode');
    }
  }
  switch (session.mode) {
    case 'kernel':
      return createKernelStage(session, opts);
    case 'command':
      return createCommandStage(session, opts);
    default:
      return assertNever(session, 'session mode');
  }
}

// The jobs logs' totals (every run); the first directory's log is the one named.
export async function summarizeSlurmJobs(jobsDirs: string | readonly string[]): Promise<SlurmExecutorSummary> {
  const dirs = typeof jobsDirs === 'string' ? [jobsDirs] : jobsDirs;
  const paths = dirs.map(jobsLogPath);
  const records = (await Promise.all(paths.map((p) => readJobRecords(p)))).flat();
  return { kind: 'slurm', jobsLog: paths[0] ?? '', ...(paths.length > 1 ? { jobsLogs: paths } : {}), ...countJobs(records) };
}

// The summary for a result's --json: none under the local executor.
export async function summarizeExecutor(executor: Executor, jobsDirs: string | readonly string[]): Promise<SlurmExecutorSummary | undefined> {
  return executor.kind === 'slurm' ? summarizeSlurmJobs(jobsDirs) : undefined;
}

// The jobs a killed run left open in `jobsDir`'s log (none under the local executor).
export async function openSlurmJobs(executor: Executor, jobsDir: string): Promise<OpenJob[]> {
  return executor.kind === 'slurm' ? openJobs(await readJobRecords(jobsLogPath(jobsDir))) : [];
}
