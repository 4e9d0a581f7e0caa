// `compare --kernel IMAGE --kernel IMAGE`: a stage that boots kernels given
// by path (nothing to build) with measureKernel, and records each boot as the
// kernel stage does, named by the image's sha256.
import { InternalError, assertNever } from '../../core/errors.ts';
import type { BootOutcome, MeasureKernel, MeasureProgress } from '../../core/measure/types.ts';
import type { EventDetail, MeasuredSession, SlurmJobDetail } from '../../core/session.ts';
import { measureKernel } from '../measure.ts';
import { parseProfileText } from '../profiles.ts';
import type { Recorder, Stage, StageOptions } from '../bisect/stage.ts';

// The event a boot stands for: its runs of the judged test, or a failure saying why.
export function bootEventOf(id: string, outcome: BootOutcome, testName: string, where: { host: string; accel: 'kvm' | 'tcg'; job?: SlurmJobDetail }, imageHash: string): Parameters<Recorder> {
  const base = { source: 'boot' as const, imageHash, bootIndex: outcome.bootIndex, ...where };
  if (outcome.kind === 'boot-failed') return [{ kind: 'boot-failed', commit: id, reason: outcome.reason }, { ...base, phase: outcome.phase, consoleTail: outcome.consoleTail.slice(-2000) }];
  const judged = outcome.tests.find((t) => t.test === testName);
  if (!judged || judged.runs.length === 0) return [{ kind: 'boot-failed', commit: id, reason: `the boot produced no runs of test ${testName}` }, base];
  const detail: EventDetail = {
    ...base,
    readyMs: Math.round(outcome.readyMs),
    tests: outcome.tests.map((t) => ({ test: t.test, metric: t.metric, unit: t.unit, runs: t.runs, warmup: t.warmup })),
  };
  return [{ kind: 'boot', commit: id, runs: judged.runs }, detail];
}

// A measuring stage over kernel images: nothing to build, boots recorded as they end.
export function createImageStage(session: Extract<MeasuredSession, { mode: 'kernel' }>, kernels: ReadonlyMap<string, MeasureKernel>, opts: StageOptions): Stage {
  // the embedded profile is validated again, as the kernel stage does
  const profile = parseProfileText(session.profile.yaml, `session profile ${session.profile.name}`, 'file').profile;
  const bootsDone = new Map<string, number>();
  const warned = new Set<string>();
  return {
    prefetch() {},
    async measure(id, boots, record, emit) {
      const kernel = kernels.get(id);
      if (kernel === undefined) throw new InternalError(`no kernel image for ${id}`);
      const first = bootsDone.get(id) ?? 0;
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
            const args = bootEventOf(id, e.outcome, session.test.name, where, kernel.imageHash);
            // appended as each boot ends: a crash mid-measurement loses at most the boot in flight
            chain = chain.then(() => record(...args));
            break;
          }
          case 'warning':
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
        await measureKernel({ kernel, profile, boots, accel: session.accel, onProgress, firstBootIndex: first, ...(opts.signal ? { signal: opts.signal } : {}) });
      } finally {
        await chain;
        bootsDone.set(id, first + boots);
      }
    },
  };
}
