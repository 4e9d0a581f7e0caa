// sbatch as data: the argument list of one submission, and the job id it
// prints with --parsable. Pure; src/adapters/slurm.ts runs it.
import type { SlurmSettings } from '../host-config.ts';

export interface SbatchSpec {
  // the job script (a file in the shared directory; its arguments are quoted inside it)
  script: string;
  partition: string;
  jobName: string;
  // where the job's own stdout/stderr go (in the shared directory: the worker must be able to create them)
  stdoutPath: string;
  stderrPath: string;
  // the job's working directory
  chdir: string;
  // measurement jobs have the node to themselves (no other job's load on the numbers)
  exclusive: boolean;
  nodelist?: string;
  constraint?: string;
  account?: string;
  qos?: string;
  // Slurm's own limit, a backstop behind the script's timeout; whole minutes
  timeLimitMin?: number;
}

// The sbatch arguments for one job; every value is its own argument (no shell in between).
export function buildSbatchArgs(spec: SbatchSpec): string[] {
  const args = ['--parsable', `--partition=${spec.partition}`, `--job-name=${spec.jobName}`, `--output=${spec.stdoutPath}`, `--error=${spec.stderrPath}`, `--chdir=${spec.chdir}`];
  if (spec.exclusive) args.push('--exclusive');
  if (spec.nodelist !== undefined) args.push(`--nodelist=${spec.nodelist}`);
  if (spec.constraint !== undefined) args.push(`--constraint=${spec.constraint}`);
  if (spec.account !== undefined) args.push(`--account=${spec.account}`);
  if (spec.qos !== undefined) args.push(`--qos=${spec.qos}`);
  if (spec.timeLimitMin !== undefined) args.push(`--time=${Math.max(1, Math.ceil(spec.timeLimitMin))}`);
  // a path beginning with "-" would read as an option
  args.push(spec.script.startsWith('-') ? `./${spec.script}` : spec.script);
  return args;
}

// The placement of a measurement job from the host settings: one node, or a feature.
export function measurementPlacement(s: SlurmSettings, host?: string): Pick<SbatchSpec, 'partition' | 'exclusive' | 'nodelist' | 'constraint' | 'account' | 'qos'> {
  const node = host ?? s.nodes?.[0];
  return {
    partition: s.perfPartition,
    exclusive: true,
    ...(node === undefined ? {} : { nodelist: node }),
    ...(s.constraint === undefined ? {} : { constraint: s.constraint }),
    ...(s.account === undefined ? {} : { account: s.account }),
    ...(s.qos === undefined ? {} : { qos: s.qos }),
  };
}

// `sbatch --parsable` prints "ID" or "ID;CLUSTER"; anything else is not a submission.
export function parseSbatchParsable(stdout: string): { jobId: string; cluster: string | null } | null {
  const line = stdout.trim().split('\n').pop()?.trim() ?? '';
  const m = /^(\d+)(?:;(\S+))?$/.exec(line);
  if (!m || m[1] === undefined) return null;
  return { jobId: m[1], cluster: m[2] ?? null };
}
