// Kernel mode: each commit the engine asks for is built (app/build.ts, a pool
// of slots that can build the next likely commits ahead) and booted and
// measured (app/measure.ts); every boot is recorded as it ends.
import { InternalError, assertNever } from '../../core/errors.ts';
import type { BootOutcome, MeasureProgress } from '../../core/measure/types.ts';
import { guestCount, type Profile } from '../../core/profile/index.ts';
import { partitionCpus } from '../../core/cpu-partition.ts';
import { readAllowedCpus } from '../../adapters/host.ts';
import type { BuildProgress, BuildResult, BuildSuccess } from '../../core/kernel-build.ts';
import type { EventDetail, MeasuredSession, SlurmJobDetail } from '../../core/session.ts';
import { createBuildPool, type BuildPool } from '../build.ts';
import { measureKernel } from '../measure.ts';
import { parseProfileText } from '../profiles.ts';
import { sessionPaths, sessionPathsIn } from '../../adapters/session-store.ts';
import { createSamplingPlanner, type SamplingPlanner } from './adaptive-sampling.ts';
import type { Stage, StageOptions } from './stage.ts';

function sessionProfile(session: Extract<MeasuredSession, { mode: 'kernel' }>): Profile {
  // the embedded profile is validated again: a session file may come from elsewhere
  return parseProfileText(session.profile.yaml, `session profile ${session.profile.name}`, 'file').profile;
}

// What the stage builds with and where it reads this process's CPUs; replaceable in tests.
export interface KernelStageDeps {
  createPool: typeof createBuildPool;
  allowedCpus: typeof readAllowedCpus;
}

export function createKernelStage(
  session: Extract<MeasuredSession, { mode: 'kernel' }>,
  opts: StageOptions,
  deps: KernelStageDeps = { createPool: createBuildPool, allowedCpus: readAllowedCpus },
): Stage {
  const profile = sessionProfile(session);
  const slots = Math.max(1, opts.jobs ?? 1);
  let currentBuild: ((p: BuildProgress) => void) | null = null;
  const pool: BuildPool = deps.createPool({
    repo: session.repo,
    config: session.kernelConfig,
    slots,
    ...(session.toolchain === null ? {} : { toolchain: session.toolchain }),
    onProgress: (p) => currentBuild?.(p),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const builds = new Map<string, Promise<BuildResult>>();
  // a speculative build runs beside measurements: niced, on the CPUs the guest does not use
  let buildCpus: Promise<number[] | null> | null = null;
  const backgroundCpus = (): Promise<number[] | null> =>
    (buildCpus ??= deps.allowedCpus().then((cpus) => (cpus === null ? null : (partitionCpus(cpus, profile.guest.vcpus * guestCount(profile.topology))?.build ?? null))));
  const ensureBuilt = (sha: string, background = false): Promise<BuildResult> => {
    let b = builds.get(sha);
    if (!b) {
      b = background ? backgroundCpus().then((cpus) => pool.build(sha, { background: { cpus } })) : pool.build(sha);
      builds.set(sha, b);
      // a failure is reported when the build is awaited for a measurement
      b.catch(() => {});
    }
    return b;
  };
  const bootsDone = new Map<string, number>();
  const warned = new Set<string>();
  // sampling.adaptive reads and appends the session log; a fixed profile never touches it
  let planner: SamplingPlanner | null = null;
  const samplingFor = async (sha: string): Promise<Profile> => {
    if (profile.sampling.adaptive !== true) return profile;
    planner ??= createSamplingPlanner(session, profile, opts.sessionDir === undefined ? await sessionPaths(session.repo) : sessionPathsIn(opts.sessionDir), opts.onNote);
    return { ...profile, sampling: await planner.samplingFor(sha) };
  };
  return {
    prefetch(sha) {
      if (slots > 1) void ensureBuilt(sha, true);
    },
    async measure(sha, boots, record, emit) {
      currentBuild = (p) => {
        if (p.sha === sha) emit({ stage: 'build', build: p });
      };
      emit({ stage: 'build' });
      const built = await ensureBuilt(sha);
      currentBuild = null;
      if (built.kind === 'build-failed') {
        builds.delete(sha);
        await record({ kind: 'build-failed', commit: sha, reason: built.firstError }, { source: 'build', logPath: built.logPath, logTail: built.logTail.slice(-2000) });
        return;
      }
      await measureBuilt(sha, built, boots, record, emit);
    },
  };

  async function measureBuilt(sha: string, built: BuildSuccess, boots: number, record: Parameters<Stage['measure']>[2], emit: Parameters<Stage['measure']>[3]): Promise<void> {
    const first = bootsDone.get(sha) ?? 0;
    let chain = Promise.resolve();
    let where: { host: string; accel: 'kvm' | 'tcg' } | null = null;
    const onProgress = (e: MeasureProgress): void => {
      switch (e.kind) {
        case 'boot-start':
          emit({ stage: 'boot', bootIndex: e.bootIndex - first, bootsWanted: boots });
          break;
        case 'run':
          emit({ stage: 'sample', bootIndex: e.bootIndex - first, bootsWanted: boots, sample: { rep: e.rep, reps: e.reps, value: e.value, unit: e.unit } });
          break;
        case 'boot-done': {
          if (where === null) throw new InternalError('a boot ended before the accelerator was chosen');
          const host = where;
          // appended as each boot ends: a crash mid-measurement loses at most the boot in flight
          chain = chain.then(() => recordKernelBoot(session, sha, built.imageHash, e.outcome, host, record));
          break;
        }
        case 'warning':
          // every measurement repeats its warnings (TCG, ...): say each once per run
          if (!warned.has(e.message)) {
            warned.add(e.message);
            opts.onNote?.(`warning: ${e.message}`);
          }
          break;
        case 'accel':
          where = { host: e.hostId, accel: e.accel };
          break;
        case 'ready':
        case 'guest-image':
          break;
        default:
          assertNever(e, 'measure progress');
      }
    };
    try {
      await measureKernel({
        kernel: { bzImage: built.bzImage, vmlinux: built.vmlinux, imageHash: built.imageHash, configHash: built.configHash },
        profile: await samplingFor(sha),
        boots,
        accel: session.accel,
        onProgress,
        firstBootIndex: first,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } finally {
      await chain;
      bootsDone.set(sha, first + boots);
    }
  }
}

// One boot into the session log, the same for a local boot and one a Slurm measurement job made.
export async function recordKernelBoot(
  session: Extract<MeasuredSession, { mode: 'kernel' }>,
  sha: string,
  imageHash: string,
  outcome: BootOutcome,
  where: { host: string; accel: 'kvm' | 'tcg'; job?: SlurmJobDetail },
  record: Parameters<Stage['measure']>[2],
  // several measurement hosts: the one the boot ran on (named in the event)
  host?: string,
): Promise<void> {
  const base = { source: 'boot' as const, imageHash, bootIndex: outcome.bootIndex, ...where };
  if (outcome.kind === 'boot-failed') {
    await record({ kind: 'boot-failed', commit: sha, reason: outcome.reason }, { ...base, phase: outcome.phase, consoleTail: outcome.consoleTail.slice(-2000) });
    return;
  }
  const judged = outcome.tests.find((t) => t.test === session.test.name);
  if (!judged || judged.runs.length === 0) {
    await record({ kind: 'boot-failed', commit: sha, reason: `the boot produced no runs of test ${session.test.name}` }, base);
    return;
  }
  const detail: EventDetail = {
    ...base,
    readyMs: Math.round(outcome.readyMs),
    tests: outcome.tests.map((t) => ({ test: t.test, metric: t.metric, unit: t.unit, runs: t.runs, warmup: t.warmup })),
  };
  await record({ kind: 'boot', commit: sha, runs: judged.runs, ...(host === undefined ? {} : { host }) }, detail);
}
