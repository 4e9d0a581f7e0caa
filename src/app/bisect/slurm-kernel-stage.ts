// Kernel mode through Slurm: every build the engine asks for is a build job
// (speculative ones with --jobs too: one job each, so that each is cancelled
// or re-attached on its own as the engine moves on), every measurement one
// exclusive job on the measurement node; its boots go into the session log
// as a local measurement's do, stamped with the worker's host fingerprint and
// accelerator. A run after kill -9 re-attaches to the jobs still open.
import type { MeasuredSession } from '../../core/session.ts';
import type { OpenJob } from '../../core/slurm/jobs-log.ts';
import { measureJobDetail, openSessionKernelJobs, type BuildJobResult } from './slurm-kernel-jobs.ts';
import { checkJobNode, type SlurmStageContext } from './slurm-jobs.ts';
import { recordKernelBoot } from './kernel-stage.ts';
import type { Stage, StageOptions } from './stage.ts';

export async function createSlurmKernelStage(session: Extract<MeasuredSession, { mode: 'kernel' }>, opts: StageOptions, ctx: SlurmStageContext): Promise<Stage> {
  const kernelJobs = await openSessionKernelJobs(session, ctx, opts);
  const { jobs } = kernelJobs;
  const slots = Math.max(1, opts.jobs ?? 1);
  const builds = new Map<string, Promise<BuildJobResult>>();
  // measurement jobs a killed run left, by commit and node (used when that commit is measured next there)
  const orphanMeasures = new Map<string, OpenJob>();
  const orphanKey = (commit: string, node: string | undefined): string => `${commit}@${node ?? ''}`;
  let adopted: Promise<void> | null = null;
  const bootsDone = new Map<string, number>();

  const ensureBuilt = (sha: string, adopt?: OpenJob): Promise<BuildJobResult> => {
    let b = builds.get(sha);
    if (!b) {
      b = kernelJobs.build(sha, adopt === undefined ? {} : { adopt });
      builds.set(sha, b);
      // a failure is reported when the build is awaited for a measurement
      b.catch(() => {});
    }
    return b;
  };

  // Once per run: the jobs of a killed run become this run's (builds of any commit keep going).
  const adoptOpenJobs = (): Promise<void> =>
    (adopted ??= (async () => {
      for (const job of await jobs.openFromLog()) {
        if (job.role === 'build' && !builds.has(job.commit)) {
          await jobs.reattach(job);
          void ensureBuilt(job.commit, job);
        } else if (job.role === 'measure' && !orphanMeasures.has(orphanKey(job.commit, job.node))) {
          await jobs.reattach(job);
          orphanMeasures.set(orphanKey(job.commit, job.node), job);
        } else {
          await jobs.cancel([job], 'not needed: a duplicate, or not a kernel job');
        }
      }
    })());

  return {
    prefetch(sha) {
      // an adoption failure is reported by the next measure, which awaits the same promise
      if (slots > 1) void adoptOpenJobs().then(() => ensureBuilt(sha), () => {});
    },
    async measure(sha, boots, record, emit, host) {
      await adoptOpenJobs();
      // measurement jobs of other commits the engine no longer asks for (with several hosts: on this host)
      for (const [key, job] of orphanMeasures) {
        if (host !== undefined && job.node !== host) continue;
        if (key === orphanKey(sha, host)) continue;
        orphanMeasures.delete(key);
        await jobs.cancel([job], `not needed: measuring ${sha.slice(0, 12)} now`);
      }
      emit({ stage: 'build' });
      const built = (await ensureBuilt(sha)).output;
      if (built.kind === 'build-failed') {
        builds.delete(sha);
        await record({ kind: 'build-failed', commit: sha, reason: built.firstError }, { source: 'build', logPath: built.logPath, logTail: built.logTail.slice(-2000) });
        return;
      }
      let done = 0;
      while (done < boots) {
        const first = bootsDone.get(sha) ?? 0;
        const adopt = orphanMeasures.get(orphanKey(sha, host));
        orphanMeasures.delete(orphanKey(sha, host));
        emit({ stage: 'boot', bootIndex: done, bootsWanted: boots });
        const m = await kernelJobs.measure(sha, { bzImage: built.bzImage, vmlinux: built.vmlinux }, boots - done, { ...(adopt === undefined ? {} : { adopt }), ...(host === undefined ? {} : { host }) });
        checkJobNode(host, m.node, m.job);
        const where = { host: m.output.hostFingerprint.id, accel: m.output.accel, job: measureJobDetail(m) };
        // ended before recorded: a crash in between loses these boots, never counts them twice
        await jobs.end(m.job, 'sample', null, m.node === null ? null : `on ${m.node}`);
        if (m.output.boots.length === 0) return;
        for (const boot of m.output.boots) {
          await recordKernelBoot(session, sha, built.imageHash, { ...boot, bootIndex: first + boot.bootIndex } as Parameters<typeof recordKernelBoot>[3], where, record, host);
        }
        bootsDone.set(sha, first + m.output.boots.length);
        done += m.output.boots.length;
      }
    },
    dispose() {
      // prefetched builds nobody waited for: their kernels would land in the cache anyway, but the run is over
      jobs.dispose();
    },
  };
}
