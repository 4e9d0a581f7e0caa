// run --jobs 2: the kernel stage's speculative builds (prefetch) run in the
// background of the measurements (nice 19, on the CPUs the guest does not
// get), the build of the commit about to be measured does not.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openEventLog } from '../../src/app/bisect/record.ts';
import { createKernelStage } from '../../src/app/bisect/kernel-stage.ts';
import { resetBisection, startBisection } from '../../src/app/bisect.ts';
import type { BuildOptions } from '../../src/app/build-revision.ts';
import type { BuildPool } from '../../src/app/build.ts';
import type { BuildResult } from '../../src/core/kernel-build.ts';
import { sessionPaths } from '../../src/adapters/session-store.ts';
import { isolateKbisectDirs, makeBenchRepo, type BenchRepo } from '../helpers/bench-repo.ts';

let r: BenchRepo;
let restore: () => void;

beforeEach(async () => {
  r = makeBenchRepo({ commits: 4, culprit: 2, prefix: 'kbisect-stage-bg-' });
  restore = isolateKbisectDirs(r.dir);
  await startBisection({ repo: r.repo, good: r.shas[0] as string, bad: r.shas[3] as string, profile: 'demo-guest-tx' });
});

afterEach(async () => {
  await resetBisection(r.repo).catch(() => undefined);
  restore();
  r.remove();
});

async function stageWith(jobs: number, cpus: number[] | null) {
  const log = await openEventLog(await sessionPaths(r.repo));
  if (log.session.mode !== 'kernel') throw new Error('expected a kernel session');
  const calls: { rev: string; overrides: Partial<BuildOptions> }[] = [];
  const failed = (rev: string): BuildResult => ({ kind: 'build-failed', firstError: `${rev}: error`, logTail: 'error', logPath: '/dev/null', cached: false }) as unknown as BuildResult;
  const createPool = (): BuildPool => ({
    slots: jobs,
    activeCount: 0,
    pendingCount: 0,
    build: (rev, overrides = {}) => {
      calls.push({ rev, overrides });
      return Promise.resolve(failed(rev));
    },
    clear: () => {},
  });
  const stage = createKernelStage(log.session, { jobs }, { createPool, allowedCpus: () => Promise.resolve(cpus) });
  return { stage, calls };
}

const settle = () => new Promise((res) => setTimeout(res, 20));

describe('speculative builds in the background', () => {
  it('a prefetched commit builds niced on the CPUs left to the build; the commit being measured builds in the foreground', async () => {
    const { stage, calls } = await stageWith(2, [0, 1]);
    stage.prefetch(r.shas[1] as string);
    await settle();
    await stage.measure(r.shas[2] as string, 1, async () => {}, () => {});
    expect(calls).toEqual([
      { rev: r.shas[1], overrides: { background: { cpus: [0] } } },
      { rev: r.shas[2], overrides: {} },
    ]);
  });
  it('on one CPU a background build is only niced; with one build slot nothing is prefetched', async () => {
    const one = await stageWith(2, [3]);
    one.stage.prefetch(r.shas[1] as string);
    await settle();
    expect(one.calls).toEqual([{ rev: r.shas[1], overrides: { background: { cpus: null } } }]);
    const single = await stageWith(1, [0, 1]);
    single.stage.prefetch(r.shas[1] as string);
    await settle();
    expect(single.calls).toEqual([]);
  });
});
