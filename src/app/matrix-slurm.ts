// `kbisect matrix --executor slurm`: the whole matrix runs as one exclusive
// job on the measurement node (host.yaml's first node, or its constraint),
// because which cells can run there depends on that machine's
// /dev/vhost-net and cgroups, and a cell's boots must all come from one
// machine. The kernels are built (or given) here, copied into the shared
// directory by sha256, and the worker runs `kbisect matrix --kernel IMAGE
// ... --executor local --json` into a directory of the job; its report and
// the cells' profiles come back into this run's out directory. The job id
// is logged first (slurm-jobs.jsonl in the out directory), so the same
// command after kill -9 re-attaches to it; Ctrl-C cancels it; a job that
// ends without a report is an infra error, submitted again.
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { ProcessError, UserError, tailLines } from '../core/errors.ts';
import type { SlurmSettings } from '../core/host-config.ts';
import type { MatrixAxes } from '../core/matrix/axes.ts';
import type { MatrixReport } from '../core/matrix/result.ts';
import type { MeasureKernel } from '../core/measure/types.ts';
import { buildTimedJobScript } from '../core/slurm/job-script.ts';
import type { OpenJob } from '../core/slurm/jobs-log.ts';
import { measurementPlacement } from '../core/slurm/sbatch.ts';
import { copySharedFile, readJobOutput, readSampleFiles, stageWorkerKbisect, writeSharedFile } from '../adapters/slurm.ts';
import { createSlurmJobs } from './bisect/slurm-jobs.ts';

// A backstop behind the worker's own timeouts: per boot of a cell, and for the whole job.
const PER_BOOT_S = 600;
const BASE_S = 1800;
const MAX_REPORT_BYTES = 64 * 1024 * 1024;
// the worker's matrix directory inside its job directory
const WORKER_OUT = 'matrix';

export interface SlurmMatrixInput {
  settings: SlurmSettings;
  // this run's out directory: the jobs log, then the worker's report and cells' profiles
  dir: string;
  kernels: readonly MeasureKernel[];
  // the base profile, self-contained (what the worker's --profile reads)
  profileYaml: string;
  axes: MatrixAxes;
  boots: number;
  cells: number;
  seed: number | null;
  accel?: 'auto' | 'kvm' | 'tcg';
  signal?: AbortSignal;
  onNote?: (text: string) => void;
}

// `--axes` words that mean exactly `axes`.
export function renderAxesWords(axes: MatrixAxes): string[] {
  return (Object.entries(axes) as [string, string[]][]).map(([name, values]) => `${name}=${values.join(',')}`);
}

// Runs the matrix on the measurement node; the report as the worker wrote
// it, its paths moved into `dir` (where its files are copied).
export async function runMatrixOnSlurm(input: SlurmMatrixInput): Promise<MatrixReport> {
  const s = input.settings;
  const jobs = createSlurmJobs({ settings: s, sessionDir: input.dir }, { ...(input.signal ? { signal: input.signal } : {}), ...(input.onNote ? { onNote: input.onNote } : {}) });
  try {
    const kbisect = await stageWorkerKbisect(s.sharedDir);
    const images: string[] = [];
    for (const k of input.kernels) images.push(await copySharedFile(k.bzImage, join(s.sharedDir, 'kbisect', 'images', k.imageHash.slice(0, 32)), 'bzImage'));
    const profileFile = await writeSharedFile(join(s.sharedDir, 'kbisect', 'inputs'), input.profileYaml, '.yaml');
    const sides = input.kernels.length;
    const timeoutS = BASE_S + input.cells * input.boots * sides * PER_BOOT_S;
    const argv = (jobDir: string): string[] => [
      ...kbisect.argv,
      'matrix',
      ...images.flatMap((i) => ['--kernel', i]),
      '--profile',
      profileFile,
      '--axes',
      ...renderAxesWords(input.axes),
      '--boots',
      String(input.boots),
      ...(input.seed === null ? [] : ['--seed', String(input.seed)]),
      ...(input.accel === undefined ? [] : ['--accel', input.accel]),
      '--executor',
      'local',
      '--no-store',
      '--out',
      join(jobDir, WORKER_OUT),
      '--json',
    ];
    const commit = input.kernels[0]?.imageHash ?? 'matrix';
    const submit = async (): Promise<OpenJob> => {
      const job = await jobs.submit({
        commit,
        role: 'measure',
        script: (jobDir) => buildTimedJobScript({ title: `kbisect matrix of ${input.cells} cell(s)`, cwd: jobDir, jobDir, env: {}, argv: argv(jobDir), timeoutS }),
        placement: measurementPlacement(s),
        timeLimitMin: timeoutS / 60 + 5,
      });
      input.onNote?.(`the matrix runs as Slurm job ${job.jobId} on ${s.nodes?.[0] ?? `a ${s.perfPartition} node${s.constraint === undefined ? '' : ` with ${s.constraint}`}`} (its progress: ${join(job.jobDir, 'stderr')})`);
      return job;
    };
    // a killed run's job of the same matrix is waited for, not submitted again
    let next: OpenJob | undefined;
    for (const job of await jobs.openFromLog()) {
      if (next === undefined && job.commit === commit) {
        await jobs.reattach(job);
        next = job;
      } else await jobs.cancel([job], 'not needed: another matrix');
    }
    for (let infra = 1; ; infra++) {
      const job = next ?? (await submit());
      next = undefined;
      const wait = await jobs.waitFor(job);
      const report = wait.hasResult ? await readReport(job, input.dir) : null;
      if (report !== null) {
        await jobs.end(job, 'sample', wait.status);
        await cp(join(job.jobDir, WORKER_OUT), input.dir, { recursive: true, force: true, filter: (src) => !src.endsWith('.tmp') });
        return report;
      }
      const { result, stderrTail } = await readSampleFiles(job.jobDir, 8192);
      if (result?.exitCode === 2) {
        await jobs.end(job, 'failed', wait.status, 'kbisect on the worker refused its input');
        throw new UserError(`kbisect matrix on Slurm worker ${result.node ?? '?'} (job ${job.jobId}) refused its input:\n${tailLines(stderrTail, 10)}`, `see ${job.jobDir}/stderr`);
      }
      if (wait.hasResult) input.onNote?.(`Slurm job ${job.jobId} left no matrix report (exit ${result?.exitCode ?? '?'}): ${tailLines(stderrTail, 3).replace(/\n/g, ' | ')}`);
      await jobs.infraError(job, wait, infra, 'the matrix');
    }
  } finally {
    jobs.dispose();
  }
}

// The worker's report with its directory moved to `dir`, or null when the
// job left none. Checked for the shape this side reads: the file comes from
// another machine.
async function readReport(job: OpenJob, dir: string): Promise<MatrixReport | null> {
  const text = await readJobOutput(job.jobDir, MAX_REPORT_BYTES);
  if (text === null) return null;
  const workerDir = join(job.jobDir, WORKER_OUT);
  let raw: unknown;
  try {
    // every path the worker wrote (its dir, the cells' profile files, their bisect commands) moves to ours
    raw = JSON.parse(text.split(JSON.stringify(workerDir).slice(1, -1)).join(JSON.stringify(dir).slice(1, -1)));
  } catch {
    return null;
  }
  if (!isMatrixReport(raw)) throw new ProcessError({ message: `Slurm job ${job.jobId} printed JSON that is not a matrix report`, command: `kbisect matrix (job ${job.jobId})`, hint: `see ${job.jobDir}/stdout` });
  return raw;
}

function isMatrixReport(v: unknown): v is MatrixReport {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  const counts = r.counts as Record<string, unknown> | undefined;
  return (
    r.schema === 1 &&
    (r.mode === 'single' || r.mode === 'compare') &&
    Array.isArray(r.cells) &&
    r.cells.every((c) => typeof c === 'object' && c !== null && ['works', 'fails', 'unavailable'].includes(String((c as Record<string, unknown>).status))) &&
    typeof counts === 'object' &&
    counts !== null &&
    ['works', 'fails', 'unavailable'].every((k) => typeof counts[k] === 'number')
  );
}
