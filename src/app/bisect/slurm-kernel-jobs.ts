// Kernel builds and measurements as Slurm jobs that run kbisect itself on the
// worker: `kbisect build --json` on the build partition (exclusive: make -j
// takes every CPU of the node) into the kernel cache in the shared directory,
// `kbisect measure --json` on the measurement node (exclusive, pinned). Each
// job's stdout is its result, renamed into place; slurm-jobs.ts runs them.
import { join } from 'node:path';
import { InternalError, UserError, tailLines } from '../../core/errors.ts';
import type { KernelConfigSpec } from '../../core/kernel-config.ts';
import type { MeasuredSession, SlurmJobDetail } from '../../core/session.ts';
import { buildTimedJobScript } from '../../core/slurm/job-script.ts';
import {
  buildJobEnvironment,
  buildKernelBuildArgv,
  buildMeasureArgv,
  fragmentsToShip,
  parseBuildJobOutput,
  parseMeasureJobOutput,
  type BuildJobOutput,
  type ConfigFiles,
  type MeasureJobOutput,
  type WorkerKbisect,
} from '../../core/slurm/kernel-job.ts';
import { measurementPlacement } from '../../core/slurm/sbatch.ts';
import type { OpenJob } from '../../core/slurm/jobs-log.ts';
import { readJobOutput, readSampleFiles, stageWorkerKbisect, writeSharedFile } from '../../adapters/slurm.ts';
import { readKernelConfigSpec, resolveKernelConfig } from '../build.ts';
import { createSlurmJobs, type JobWait, type SlurmJobs, type SlurmStageContext } from './slurm-jobs.ts';

// Backstops behind the jobs' own timeouts: a kernel build, and a measurement per boot.
const BUILD_TIMEOUT_S = 4 * 3600;
const MEASURE_BASE_S = 600;
const MEASURE_PER_BOOT_S = 300;
// `measure --json` of many boots with full omni records stays far below this
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export interface KernelJobsInput {
  repo: string;
  kernelConfig: KernelConfigSpec;
  toolchain: string | null;
  // the session's profile, self-contained (what `measure --profile` reads on the worker)
  profileYaml: string;
  profileHash: string;
  accel: 'auto' | 'kvm' | 'tcg';
}

export type BuildJobResult = { job: OpenJob; output: BuildJobOutput; infraErrors: number };
export type MeasureJobResult = { job: OpenJob; output: MeasureJobOutput; node: string | null; infraErrors: number; wallMs: number };

export interface SlurmKernelJobs {
  jobs: SlurmJobs;
  kbisect: WorkerKbisect & { detail: string };
  // builds `sha` (re-attaching to `adopt` first), retrying infra errors
  build(sha: string, opts?: { adopt?: OpenJob; rebuild?: boolean; workerRoot?: string }): Promise<BuildJobResult>;
  // boots `kernel` `boots` times in one job on the measurement node
  // (on `host`, one of several measurement hosts, else host.yaml's node)
  measure(commit: string, kernel: { bzImage: string; vmlinux: string | null }, boots: number, opts?: { adopt?: OpenJob; onSubmitted?: (job: OpenJob) => void; host?: string }): Promise<MeasureJobResult>;
}

// The job behind a measurement's boots, for their event detail: the worker's node and facts as its `kbisect measure` saw them.
export function measureJobDetail(m: MeasureJobResult): SlurmJobDetail {
  const fp = m.output.hostFingerprint as Record<string, unknown>;
  const text = (k: string): Record<string, string> => (typeof fp[k] === 'string' ? { [k]: fp[k] as string } : {});
  return { executor: 'slurm', id: m.job.jobId, node: m.node, infraRetries: m.infraErrors, ...text('cpuModel'), ...text('hostKernel'), ...text('qemuVersion') };
}

// Writes the session's config and profile into the shared directory and checks
// that what the worker will read hashes to the session's own config.
async function shipConfig(input: KernelJobsInput, dir: string): Promise<{ files: ConfigFiles; profileFile: string }> {
  const profileFile = await writeSharedFile(dir, input.profileYaml, '.yaml');
  const { viaProfile, fragments } = fragmentsToShip(input.kernelConfig);
  const base = input.kernelConfig.base;
  const files: ConfigFiles = {
    fragmentFiles: await Promise.all(fragments.map((t) => writeSharedFile(dir, t, '.config'))),
    ...(viaProfile ? { profileFile } : {}),
    ...(typeof base === 'string' ? {} : { baseFile: await writeSharedFile(dir, (await resolveKernelConfig(input.kernelConfig)).baseText ?? '', '.config') }),
  };
  const theirs = await resolveKernelConfig(
    await readKernelConfigSpec({
      ...(typeof base === 'string' ? { base } : { configFile: files.baseFile as string }),
      ...(files.profileFile === undefined ? {} : { profile: files.profileFile }),
      fragmentFiles: files.fragmentFiles,
    }),
  );
  const ours = await resolveKernelConfig(input.kernelConfig);
  if (theirs.configHash !== ours.configHash) {
    throw new InternalError(`the config a Slurm build job would read (hash ${theirs.configHash}) is not the session's (${ours.configHash}); this session's config cannot be built through Slurm yet`);
  }
  return { files, profileFile };
}

export async function createSlurmKernelJobs(input: KernelJobsInput, ctx: SlurmStageContext, opts: { signal?: AbortSignal; onNote?: (text: string) => void }): Promise<SlurmKernelJobs> {
  const s = ctx.settings;
  const jobs = createSlurmJobs(ctx, opts);
  const shared = join(s.sharedDir, 'kbisect');
  const kbisect = await stageWorkerKbisect(s.sharedDir);
  const { files, profileFile } = await shipConfig(input, join(shared, 'inputs'));
  const buildPlacement = {
    partition: s.buildPartition,
    exclusive: true,
    ...(s.account === undefined ? {} : { account: s.account }),
    ...(s.qos === undefined ? {} : { qos: s.qos }),
  };

  // Runs one job (or waits for an adopted one) until it leaves a parseable result; infra errors are retried.
  async function runUntilResult<T>(what: string, adopt: OpenJob | undefined, submit: () => Promise<OpenJob>, parse: (job: OpenJob, wait: JobWait) => Promise<T | null>): Promise<{ job: OpenJob; value: T; wait: JobWait; infraErrors: number; wallMs: number }> {
    let infraErrors = 0;
    let next = adopt;
    for (;;) {
      const started = performance.now();
      const job = next ?? (await submit());
      next = undefined;
      const wait = await jobs.waitFor(job);
      const value = wait.hasResult ? await parse(job, wait) : null;
      if (value !== null) return { job, value, wait, infraErrors, wallMs: performance.now() - started };
      infraErrors++;
      await jobs.infraError(job, wait, infraErrors, what);
    }
  }

  // A result file whose output is not kbisect's JSON: a user error on the worker is not retried, anything else is infra.
  async function readOutput<T>(job: OpenJob, parse: (text: string) => T | null): Promise<T | null> {
    const text = await readJobOutput(job.jobDir, MAX_OUTPUT_BYTES);
    const parsed = text === null ? null : parse(text);
    if (parsed !== null) return parsed;
    const { result, stderrTail } = await readSampleFiles(job.jobDir, 8192);
    if (result?.exitCode === 2) {
      await jobs.end(job, 'failed', null, 'kbisect on the worker refused its input');
      throw new UserError(`kbisect on Slurm worker ${result.node ?? '?'} (job ${job.jobId}) refused its input:\n${tailLines(stderrTail, 10)}`, `see ${job.jobDir}/stderr`);
    }
    opts.onNote?.(`Slurm job ${job.jobId} left no kbisect result (exit ${result?.exitCode ?? '?'}): ${tailLines(stderrTail, 3).replace(/\n/g, ' | ')}`);
    return null;
  }

  return {
    jobs,
    kbisect,
    async build(sha, o = {}) {
      const environment = buildJobEnvironment({ kernelCacheDir: join(shared, 'kernels'), workerRoot: o.workerRoot ?? s.workerDir ?? join(shared, 'workers'), ...(s.ccacheRemoteStorage === undefined ? {} : { ccacheRemoteStorage: s.ccacheRemoteStorage }) });
      const argv = buildKernelBuildArgv({ kbisect, repo: input.repo, sha, config: input.kernelConfig, files, toolchain: input.toolchain, rebuild: o.rebuild === true });
      const submit = (): Promise<OpenJob> =>
        jobs.submit({
          commit: sha,
          role: 'build',
          script: (jobDir) => buildTimedJobScript({ title: `build of ${sha.replace(/[^0-9a-f]/g, '')}`, cwd: jobDir, jobDir, argv, timeoutS: BUILD_TIMEOUT_S, ...environment }),
          placement: buildPlacement,
          timeLimitMin: BUILD_TIMEOUT_S / 60 + 5,
        });
      const r = await runUntilResult(`build of ${sha.slice(0, 12)}`, o.adopt, submit, (job) => readOutput(job, parseBuildJobOutput));
      const expected = (await resolveKernelConfig(input.kernelConfig)).configHash;
      if (r.value.sha !== sha || r.value.configHash !== expected) {
        await jobs.end(r.job, 'failed', r.wait.status, 'built something else');
        throw new InternalError(`Slurm build job ${r.job.jobId} built ${r.value.sha.slice(0, 12)} with config ${r.value.configHash}, expected ${sha.slice(0, 12)} with ${expected}`);
      }
      await jobs.end(r.job, 'built', r.wait.status);
      return { job: r.job, output: r.value, infraErrors: r.infraErrors };
    },
    async measure(commit, kernel, boots, o = {}) {
      const timeoutS = MEASURE_BASE_S + boots * MEASURE_PER_BOOT_S;
      const argv = buildMeasureArgv({ kbisect, bzImage: kernel.bzImage, vmlinux: kernel.vmlinux, profileFile, boots, accel: input.accel });
      const submit = async (): Promise<OpenJob> => {
        const job = await jobs.submit({
          commit,
          role: 'measure',
          script: (jobDir) => buildTimedJobScript({ title: `${boots} boot(s) of ${commit.replace(/[^0-9a-f]/g, '')}`, cwd: jobDir, jobDir, env: {}, argv, timeoutS }),
          placement: measurementPlacement(s, o.host),
          timeLimitMin: timeoutS / 60 + 2,
        });
        o.onSubmitted?.(job);
        return job;
      };
      const r = await runUntilResult(`${boots} boot(s) of ${commit.slice(0, 12)}`, o.adopt, submit, (job) => readOutput(job, parseMeasureJobOutput));
      if (r.value.profileHash !== input.profileHash) {
        await jobs.end(r.job, 'failed', r.wait.status, 'measured with another profile');
        throw new InternalError(`Slurm measurement job ${r.job.jobId} measured with profile ${r.value.profileHash.slice(0, 12)}, expected the session's ${input.profileHash.slice(0, 12)}`);
      }
      const node = (await readSampleFiles(r.job.jobDir, 0)).result?.node ?? (r.wait.status !== null && r.wait.status !== 'unknown' ? r.wait.status.node : null);
      return { job: r.job, output: r.value, node, infraErrors: r.infraErrors, wallMs: r.wallMs };
    },
  };
}

// A kernel-mode session's jobs (its commit, config, toolchain and profile),
// saying which kbisect the workers run.
export async function openSessionKernelJobs(
  session: Extract<MeasuredSession, { mode: 'kernel' }>,
  ctx: SlurmStageContext,
  opts: { signal?: AbortSignal; onNote?: (text: string) => void },
): Promise<SlurmKernelJobs> {
  const kernelJobs = await createSlurmKernelJobs(
    { repo: session.repo, kernelConfig: session.kernelConfig, toolchain: session.toolchain, profileYaml: session.profile.yaml, profileHash: session.profile.hash, accel: session.accel },
    ctx,
    opts,
  );
  opts.onNote?.(`Slurm workers run ${kernelJobs.kbisect.kind === 'executable' ? 'the single executable' : 'node and the bundle'}: ${kernelJobs.kbisect.detail}`);
  return kernelJobs;
}
