// `--executor local|slurm`, the same on every command that measures (run,
// sweep run, compare, matrix): one declaration, one help text, one summary line.
import type { Argv } from 'yargs';
import type { SlurmExecutorSummary } from '../app/executor.ts';
import type { ExecutorKind } from '../core/host-config.ts';
import { executorKinds } from '../core/host-config.ts';

export const EXECUTOR_HELP =
  "where the measurements (and kernel builds) run: local = this machine; slurm = one job per sample, build or measurement on the cluster in host.yaml's slurm: block (kbisect doctor --executor slurm checks it; kill -9, then the same command again, re-attaches to its jobs). Default: host.yaml's executor, else local";

// Declares --executor on a command's builder.
export function withExecutorOption<T>(y: Argv<T>): Argv<T> {
  return y.option('executor', { choices: executorKinds, requiresArg: true, describe: EXECUTOR_HELP }) as unknown as Argv<T>;
}

// The option as the app layer takes it (absent: host.yaml decides).
export function executorArg(argv: Record<string, unknown>): { executor?: ExecutorKind } {
  return argv.executor === undefined ? {} : { executor: argv.executor as ExecutorKind };
}

// `Slurm: 12 job(s) submitted, ...` after a result, on stderr.
export function formatExecutorSummary(s: SlurmExecutorSummary): string {
  const logs = s.jobsLogs !== undefined && s.jobsLogs.length > 1 ? `logs ${s.jobsLogs.join(', ')}` : `log ${s.jobsLog}`;
  return `kbisect: Slurm: ${s.submitted} job(s) submitted, ${s.reattached} re-attached after a crash, ${s.samples} result(s) recorded, ${s.builds > 0 ? `${s.builds} kernel build(s), ` : ''}${s.infra} infra error(s) (retried, not evidence), ${s.cancelled} cancelled; ${logs}`;
}
