// `compare --kernel A --kernel B --executor slurm`: the two images are copied
// once into the shared directory (named by their sha256) and every boot the
// comparison asks for is one exclusive measurement job on the measurement
// node running `kbisect measure --kernel IMAGE --json` (slurm-kernel-jobs.ts),
// its boots recorded as the local image stage records them, stamped with the
// worker's host fingerprint. A run after kill -9 re-attaches to the job still open.
import { join } from 'node:path';
import { InternalError } from '../../core/errors.ts';
import type { BootOutcome, MeasureKernel } from '../../core/measure/types.ts';
import type { MeasuredSession } from '../../core/session.ts';
import type { OpenJob } from '../../core/slurm/jobs-log.ts';
import { sha256File } from '../../adapters/digest.ts';
import { copySharedFile } from '../../adapters/slurm.ts';
import { measureJobDetail, openSessionKernelJobs } from '../bisect/slurm-kernel-jobs.ts';
import type { SlurmStageContext } from '../bisect/slurm-jobs.ts';
import type { Stage, StageOptions } from '../bisect/stage.ts';
import { bootEventOf } from './image-stage.ts';

// The image (and its vmlinux) as the workers see them: <sharedDir>/kbisect/images/<sha256 of the image>/.
async function shareImage(kernel: MeasureKernel, sharedDir: string): Promise<{ bzImage: string; vmlinux: string | null }> {
  const dir = join(sharedDir, 'kbisect', 'images', kernel.imageHash.slice(0, 32));
  const bzImage = await copySharedFile(kernel.bzImage, dir, 'bzImage');
  if (kernel.vmlinux === undefined) return { bzImage, vmlinux: null };
  // a PVH-capable image is its own vmlinux
  if (kernel.vmlinux === kernel.bzImage) return { bzImage, vmlinux: bzImage };
  const vmlinux = await copySharedFile(kernel.vmlinux, dir, `vmlinux-${(await sha256File(kernel.vmlinux)).slice(0, 16)}`);
  return { bzImage, vmlinux };
}

export async function createSlurmImageStage(session: Extract<MeasuredSession, { mode: 'kernel' }>, kernels: ReadonlyMap<string, MeasureKernel>, opts: StageOptions, ctx: SlurmStageContext): Promise<Stage> {
  const kernelJobs = await openSessionKernelJobs(session, ctx, opts);
  const { jobs } = kernelJobs;
  const shared = new Map<string, { bzImage: string; vmlinux: string | null }>();
  for (const [id, kernel] of kernels) shared.set(id, await shareImage(kernel, ctx.settings.sharedDir));
  // the measurement job a killed run left, by image
  const orphans = new Map<string, OpenJob>();
  let adopted: Promise<void> | null = null;
  const adoptOpenJobs = (): Promise<void> =>
    (adopted ??= (async () => {
      for (const job of await jobs.openFromLog()) {
        if (job.role === 'measure' && kernels.has(job.commit) && !orphans.has(job.commit)) {
          await jobs.reattach(job);
          orphans.set(job.commit, job);
        } else {
          await jobs.cancel([job], 'not needed: not a measurement of these images');
        }
      }
    })());
  const bootsDone = new Map<string, number>();

  return {
    prefetch() {},
    async measure(id, boots, record, emit) {
      const kernel = shared.get(id);
      if (kernel === undefined) throw new InternalError(`no kernel image for ${id}`);
      await adoptOpenJobs();
      // the comparison asks for the same side again after a crash; a job of the other side is not wanted now
      for (const [other, job] of orphans) {
        if (other === id) continue;
        orphans.delete(other);
        await jobs.cancel([job], `not needed: measuring ${id.slice(0, 12)} now`);
      }
      let done = 0;
      while (done < boots) {
        const first = bootsDone.get(id) ?? 0;
        const adopt = orphans.get(id);
        orphans.delete(id);
        emit({ stage: 'boot', bootIndex: done, bootsWanted: boots });
        const m = await kernelJobs.measure(id, kernel, boots - done, adopt === undefined ? {} : { adopt });
        if (m.output.kernel.imageHash !== id) {
          await jobs.end(m.job, 'failed', null, 'measured another image');
          throw new InternalError(`Slurm measurement job ${m.job.jobId} booted image ${m.output.kernel.imageHash.slice(0, 12)}, expected ${id.slice(0, 12)} (the copy in the shared directory differs from the image given)`);
        }
        const where = { host: m.output.hostFingerprint.id, accel: m.output.accel, job: measureJobDetail(m) };
        // ended before recorded: a crash in between loses these boots, never counts them twice
        await jobs.end(m.job, 'sample', null, m.node === null ? null : `on ${m.node}`);
        if (m.output.boots.length === 0) return;
        for (const boot of m.output.boots) {
          const outcome = { ...boot, bootIndex: first + boot.bootIndex } as BootOutcome;
          await record(...bootEventOf(id, outcome, session.test.name, where, id));
        }
        bootsDone.set(id, first + m.output.boots.length);
        done += m.output.boots.length;
      }
    },
    dispose: () => jobs.dispose(),
  };
}
