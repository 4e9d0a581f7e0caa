// Machine-local settings (~/.config/kbisect/host.yaml): how guests run on
// this host. Never part of a shared profile: the same profile must mean the
// same measurement everywhere, while the accelerator depends on the machine.
import { z } from 'zod';
import type { AccelChoice } from './measure/types.ts';
import { bool, checkSchema, expecting, formatProblem, intIn, oneOf } from './schema.ts';

export interface HostConfig {
  // auto: boot probe under KVM once per host and kernel config, TCG if it fails
  accel: AccelChoice;
  // no ready marker within this many seconds = a hung boot
  bootTimeoutS: number;
  // the KVM boot probe's limit
  probeTimeoutS: number;
  // QEMU CPU model under TCG
  tcgCpu: string;
  // TCG only: boot with nolapic_timer (skips ~0.2 s of APIC timer calibration per boot)
  tcgSkipLapicCalibration: boolean;
  // where samples run: this machine, or jobs of a Slurm cluster (settings in `slurm`)
  executor: ExecutorKind;
  slurm?: SlurmSettings;
}

export type ExecutorKind = 'local' | 'slurm';
export const executorKinds = ['local', 'slurm'] as const satisfies readonly ExecutorKind[];

// The `slurm:` block of host.yaml: where kbisect's jobs go and what both sides see.
export interface SlurmSettings {
  buildPartition: string;
  perfPartition: string;
  // measurement jobs are pinned to these nodes: one, or several measured at once, each boot judged
  // against its own node's GOOD and BAD (a multi-host bisection; `compare`, sweeps: the first node)
  nodes?: string[];
  // or: any node with this feature (sbatch --constraint)
  constraint?: string;
  account?: string;
  qos?: string;
  // a directory the submitting machine and every worker see at the same path (NFS)
  sharedDir: string;
  // ccache remote storage the workers share, e.g. redis://127.0.0.1:6379
  ccacheRemoteStorage?: string;
  // where build jobs keep worktrees, O= dirs and their local ccache: <workerDir>/<node>
  // (default <sharedDir>/kbisect/workers; a node-local disk such as /var/tmp/kbisect works too)
  workerDir?: string;
  // a job that ends without a result (scancel, node failure, time limit) is submitted again this often
  infraRetries: number;
}

export const defaultHostConfig: HostConfig = { accel: 'auto', bootTimeoutS: 30, probeTimeoutS: 10, tcgCpu: 'max', tcgSkipLapicCalibration: true, executor: 'local' };

const accelChoices = ['auto', 'kvm', 'tcg'] as const satisfies readonly AccelChoice[];

function seconds(): z.ZodNumber {
  const error = expecting('a number of seconds between 0 and 3600');
  return z.number({ error }).gt(0).lte(3600);
}

function cpuModel(): z.ZodString {
  const error = expecting('a QEMU CPU model such as "max"');
  return z.string({ error }).regex(/^[\w.,=+-]+$/, { error });
}

// Slurm names: partitions, nodes, features, accounts, QoS (no spaces, no shell syntax).
function slurmName(what: string): z.ZodString {
  const error = expecting(what);
  return z.string({ error }).regex(/^[A-Za-z0-9][\w.+-]*$/, { error });
}

const slurmSchema = z
  .strictObject(
    {
      buildPartition: slurmName('a Slurm partition name such as "build"').default('build'),
      perfPartition: slurmName('a Slurm partition name such as "perf"').default('perf'),
      nodes: z.array(slurmName('a Slurm node name'), { error: expecting('a list of node names') }).min(1).optional(),
      constraint: z.string({ error: expecting('a Slurm feature expression such as "perf&numa2"') }).regex(/^[\w.&|!()\[\]*:,-]+$/, { error: expecting('a Slurm feature expression such as "perf&numa2"') }).optional(),
      account: slurmName('a Slurm account name').optional(),
      qos: slurmName('a Slurm QoS name').optional(),
      sharedDir: z.string({ error: expecting('an absolute path seen by the submitter and every worker') }).regex(/^\/[^\n\0]*$/, { error: expecting('an absolute path seen by the submitter and every worker') }),
      ccacheRemoteStorage: z.string({ error: expecting('a ccache remote storage URL such as "redis://host:6379"') }).regex(/^(redis|http|https|file):\/\/\S+$/, { error: expecting('a ccache remote storage URL such as "redis://host:6379"') }).optional(),
      workerDir: z.string({ error: expecting('an absolute path on every worker') }).regex(/^\/[^\n\0]*$/, { error: expecting('an absolute path on every worker') }).optional(),
      infraRetries: intIn(0, 20).default(3),
    },
    { error: expecting('a mapping of Slurm settings (sharedDir, perfPartition, ...)') },
  )
  .refine((s) => s.nodes === undefined || s.constraint === undefined, { error: 'expected either nodes or constraint, got both', path: ['constraint'] })
  .refine((s) => s.nodes === undefined || new Set(s.nodes).size === s.nodes.length, { error: 'expected every node once, got one twice', path: ['nodes'] });

const hostConfigSchema = z.strictObject(
  {
    accel: oneOf(accelChoices).default(defaultHostConfig.accel),
    bootTimeoutS: seconds().default(defaultHostConfig.bootTimeoutS),
    probeTimeoutS: seconds().default(defaultHostConfig.probeTimeoutS),
    tcgCpu: cpuModel().default(defaultHostConfig.tcgCpu),
    tcgSkipLapicCalibration: bool().default(defaultHostConfig.tcgSkipLapicCalibration),
    executor: oneOf(executorKinds).default(defaultHostConfig.executor),
    slurm: slurmSchema.optional(),
  },
  { error: expecting('a mapping of settings') },
);

// Validates the parsed host.yaml (null/empty = all defaults); returns every problem at once.
export function validateHostConfig(raw: unknown, source: string): { config?: HostConfig; errors: string[] } {
  const checked = checkSchema(hostConfigSchema, raw ?? {});
  if (!checked.ok) return { errors: checked.problems.map((p) => formatProblem(source, p)) };
  const { slurm, ...rest } = checked.value;
  if (rest.executor === 'slurm' && slurm === undefined) {
    return { errors: [formatProblem(source, { path: 'slurm', message: 'required with executor: slurm: expected a mapping with at least sharedDir' })] };
  }
  return { config: { ...rest, ...(slurm === undefined ? {} : { slurm: dropUndefined(slurm) }) }, errors: [] };
}

function dropUndefined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
