// bench:boot's "beside a build" section (#14 item 6): does a speculative
// build, run as `run --jobs 2` runs it, disturb the boots measured at the
// same time? The demo profile is measured in randomized blocks of five
// conditions, one boot each per block so that host drift spreads evenly:
//   quiet       nothing else runs
//   pinned      nothing else runs, the guest's vCPU pinned as in bg+pinned
//   build       a build loop at nice 0 on every CPU (what --jobs 2 did before)
//   background  the loop as speculative builds run now: nice 19, on the CPUs
//               the guest does not get (core/cpu-partition.ts)
//   bg+pinned   the same, and the guest's vCPU pinned to the CPUs left to it
// The build loop is real: kbisect builds of two neighbouring commits of a
// kernel tree, alternately, on a slot of its own (an incremental build each).
import { buildRevision } from '../src/app/build-revision.ts';
import { readKernelConfigSpec } from '../src/app/build-config.ts';
import { measureKernel, type MeasureResult } from '../src/app/measure.ts';
import { readAllowedCpus } from '../src/adapters/host.ts';
import { partitionCpus } from '../src/core/cpu-partition.ts';
import { InterruptedError } from '../src/core/errors.ts';
import { summarizeBoots } from '../src/core/measure/summary.ts';
import type { MeasureKernel } from '../src/core/measure/types.ts';
import type { Profile } from '../src/core/profile/index.ts';
import { createRng, nextInt } from '../src/core/rng.ts';
import { median } from '../src/core/stats/descriptive.ts';

export const besideConditions = ['quiet', 'pinned', 'build', 'background', 'bg+pinned'] as const;
export type BesideCondition = (typeof besideConditions)[number];

export interface BesideRow {
  condition: BesideCondition;
  boots: number;
  median: number;
  unit: string;
  withinBootCv: number;
  bootToBootCv: number;
  // builds that ended during this condition's boots, and their median wall time
  builds: number;
  buildMedianMs: number | null;
}

export interface BesideOptions {
  kernel: MeasureKernel;
  profile: Profile;
  repo: string;
  revs: readonly [string, string];
  bootsPerCondition: number;
  seed: number;
  log: (text: string) => void;
}

// A build loop until `signal` aborts: the two revisions alternately, each an incremental build.
type Config = Awaited<ReturnType<typeof readKernelConfigSpec>>;
// What one condition collected: its boots and the wall times of the builds that ended beside them.
interface Collected {
  boots: MeasureResult['boots'][number][];
  builds: number[];
}

async function buildLoop(o: BesideOptions, config: Config, background: { cpus: readonly number[] | null } | undefined, signal: AbortSignal, times: number[]): Promise<void> {
  for (let i = 0; !signal.aborted; i++) {
    const t0 = performance.now();
    try {
      const r = await buildRevision({ repo: o.repo, rev: o.revs[i % 2] as string, config, slot: 9, rebuild: true, jobs: 1, signal, ...(background ? { background } : {}) });
      if (r.kind !== 'build-failed') times.push(performance.now() - t0);
    } catch (error) {
      if (error instanceof InterruptedError || signal.aborted) return;
      throw error;
    }
  }
}

export async function measureBesideBuild(o: BesideOptions): Promise<{ rows: BesideRow[]; partition: ReturnType<typeof partitionCpus> }> {
  const cpus = (await readAllowedCpus()) ?? [];
  const partition = partitionCpus(cpus, o.profile.guest.vcpus);
  // one warm-up build of each revision so that the loop's builds are incremental from the start
  o.log(`beside a build: warming slot 9 of ${o.repo} (${o.revs.join(', ')})...`);
  const config = await readKernelConfigSpec({ profile: 'demo-guest-tx' });
  for (const rev of o.revs) await buildRevision({ repo: o.repo, rev, config, slot: 9, rebuild: true });
  const rng = createRng(o.seed);
  const results = new Map<BesideCondition, Collected>(besideConditions.map((c) => [c, { boots: [], builds: [] }]));
  for (let block = 0; block < o.bootsPerCondition; block++) {
    const order = [...besideConditions];
    for (let i = order.length - 1; i > 0; i--) {
      const j = nextInt(rng, i + 1);
      [order[i], order[j]] = [order[j] as BesideCondition, order[i] as BesideCondition];
    }
    for (const condition of order) {
      const slot = results.get(condition) as Collected;
      const stop = new AbortController();
      const loop =
        condition === 'quiet' || condition === 'pinned'
          ? Promise.resolve()
          : buildLoop(o, config, condition === 'build' ? undefined : { cpus: partition?.build ?? null }, stop.signal, slot.builds);
      // let the build get going before the boot starts
      if (condition !== 'quiet' && condition !== 'pinned') await new Promise((r) => setTimeout(r, 1500));
      const profile: Profile = (condition === 'bg+pinned' || condition === 'pinned') && partition ? { ...o.profile, guest: { ...o.profile.guest, pinning: partition.guest.slice(0, o.profile.guest.vcpus) } } : o.profile;
      const r = await measureKernel({ kernel: o.kernel, profile, boots: 1, resultsPath: null });
      stop.abort();
      await loop;
      slot.boots.push(...r.boots);
      const b = r.boots[0];
      o.log(`  block ${block + 1} ${condition}: ${b?.kind === 'ok' ? (b.tests[0]?.runs ?? []).map((v) => v.toFixed(0)).join(' ') : (b?.kind ?? 'no boot')}`);
    }
  }
  const rows = besideConditions.map((condition): BesideRow => {
    const { boots, builds } = results.get(condition) as Collected;
    const s = summarizeBoots(boots)[0];
    return {
      condition,
      boots: s?.boots ?? 0,
      median: s?.median ?? Number.NaN,
      unit: s?.unit ?? '',
      withinBootCv: s?.withinBootCv ?? Number.NaN,
      bootToBootCv: s?.bootToBootCv ?? Number.NaN,
      builds: builds.length,
      buildMedianMs: builds.length > 0 ? median(builds) : null,
    };
  });
  return { rows, partition };
}
