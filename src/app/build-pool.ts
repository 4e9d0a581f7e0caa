// The build-slot queue (p-limit): builds run at once on separate slots
// (worktree + O= dir each), so that a bisection can build a speculative
// candidate on one slot while another kernel is measured.
import pLimit from 'p-limit';
import { InterruptedError, UserError } from '../core/errors.ts';
import type { BuildResult } from '../core/kernel-build.ts';
import { resolveRevision } from '../adapters/git.ts';
import { defaultMakeJobs } from '../adapters/kernel-build.ts';
import { buildRevision, type BuildOptions } from './build-revision.ts';

export interface BuildPoolOptions extends Omit<BuildOptions, 'rev' | 'slot'> {
  // builds at once, each on its own slot (worktree + O= dir)
  slots: number;
  // slots used: firstSlot .. firstSlot + slots - 1 (default 0)
  firstSlot?: number;
}

export interface BuildPool {
  readonly slots: number;
  readonly activeCount: number;
  readonly pendingCount: number;
  // queues a build; it runs on the first free slot
  build(rev: string, overrides?: Partial<Omit<BuildOptions, 'repo' | 'rev' | 'slot'>>): Promise<BuildResult>;
  // drops builds that have not started
  clear(): void;
}

// A queue of builds over `slots` build slots; make -j is shared between them
// unless `jobs` says otherwise. `build` is replaceable for tests of the queue.
export function createBuildPool(opts: BuildPoolOptions, build: (o: BuildOptions) => Promise<BuildResult> = buildRevision): BuildPool {
  if (!Number.isInteger(opts.slots) || opts.slots < 1) {
    throw new UserError(`--jobs: expected a positive integer, got ${opts.slots}`);
  }
  const firstSlot = opts.firstSlot ?? 0;
  if (!Number.isInteger(firstSlot) || firstSlot < 0) throw new UserError(`--slot: expected a non-negative integer, got ${firstSlot}`);
  const buildSlots = pLimit(opts.slots);
  const free = Array.from({ length: opts.slots }, (_, i) => firstSlot + i);
  const { slots, firstSlot: _first, ...defaults } = opts;
  return {
    slots,
    get activeCount() {
      return buildSlots.activeCount;
    },
    get pendingCount() {
      return buildSlots.pendingCount;
    },
    build: (rev, overrides = {}) =>
      buildSlots(async () => {
        const slot = free.shift();
        if (slot === undefined) throw new Error('build pool: no free slot although the queue let a build run');
        try {
          return await build({ jobs: defaultMakeJobs(slots), ...defaults, ...overrides, rev, slot });
        } finally {
          free.push(slot);
          free.sort((a, b) => a - b);
        }
      }),
    clear: () => buildSlots.clearQueue(),
  };
}

// Builds several revisions through a pool: every revision is resolved first
// (a typo fails before any build starts), and the first error stops the rest.
export async function buildRevisions(revs: readonly string[], opts: BuildPoolOptions): Promise<BuildResult[]> {
  if (revs.length === 0) throw new UserError('build: expected at least one revision');
  for (const rev of revs) await resolveRevision(opts.repo, rev);
  const controller = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, controller.signal]) : controller.signal;
  const pool = createBuildPool({ ...opts, signal });
  const settled = await Promise.allSettled(
    revs.map((rev) =>
      pool.build(rev).catch((error: unknown) => {
        pool.clear();
        controller.abort();
        throw error;
      }),
    ),
  );
  // the error that stopped the others, not the interruptions it caused
  const failures = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  const first = failures.find((e) => !(e instanceof InterruptedError)) ?? failures[0];
  if (failures.length > 0) throw first;
  return settled.map((r) => (r as PromiseFulfilledResult<BuildResult>).value);
}
