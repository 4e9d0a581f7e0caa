// Synthetic commit histories with a known answer, and a netperf-in-QEMU noise
// model calibrated on this project's lab host (TCP_STREAM: within-boot CV
// 1.2%, boot-to-boot CV 1.7%), with wild boots and broken builds.

import { createRng, nextNormal, nextUniform, type Rng } from '../../src/core/rng.ts';

export interface NoiseModel {
  /** Boot-to-boot spread (relative, log scale). */
  readonly sigmaBoot: number;
  /** Run-to-run spread inside one boot. */
  readonly sigmaRun: number;
  readonly runsPerBoot: number;
  /** Share of boots that are wildly off, and by what factor. */
  readonly outlierRate: number;
  readonly outlierFactor: number;
  /** Share of commits that never build. */
  readonly buildFailureRate: number;
  /** Share of boots that fail for no lasting reason. */
  readonly bootFailureRate: number;
  /** σ of the host's speed random walk per boot (log scale; 0: a stationary host). */
  readonly driftStep: number;
  /** Other jobs come and go on the host: absent for a host that is never loaded. */
  readonly load?: LoadModel;
}

// Seen on this project's shared host: a virtio-net regression of −7% on a
// quiet host measured −12% to −18% while other jobs ran, within one bisection.
export interface LoadModel {
  /** Boots per quiet or loaded spell, drawn uniformly from [min, max]; spells alternate, quiet first. */
  readonly spellBoots: readonly [number, number];
  /** Relative drop of every commit's speed under load (the host's level). */
  readonly levelDrop: number;
  /** The culprit's relative drop under load, drawn per loaded spell from [min, max]; quiet, the history's drop. */
  readonly loadedDrop: readonly [number, number];
}

export const netperfNoise: NoiseModel = {
  sigmaBoot: 0.017,
  sigmaRun: 0.012,
  runsPerBoot: 5,
  outlierRate: 0.02,
  outlierFactor: 0.7,
  buildFailureRate: 0.03,
  bootFailureRate: 0.01,
  driftStep: 0,
};

export interface Culprit {
  readonly index: number;
  /** Relative drop this commit causes (0.034 = −3.4%). */
  readonly drop: number;
}

export interface History {
  readonly commits: readonly string[];
  readonly culprits: readonly Culprit[];
  /** The commit a correct answer names: the culprit with the largest drop. */
  readonly answer: number | null;
  readonly brokenBuilds: ReadonlySet<number>;
  readonly noise: NoiseModel;
  /** Log of the true throughput level of each commit. */
  readonly logLevel: (index: number) => number;
}

export interface HistorySpec {
  readonly commits: number;
  /** Effect size d = δ / σ_boot, split over the culprits by `shares`. */
  readonly d: number;
  readonly shares: readonly number[];
  readonly noise: NoiseModel;
}

const BASE_THROUGHPUT_MBPS = 9400;

// One history: culprit positions are uniform over the candidates.
export function createHistory(spec: HistorySpec, seed: number): History {
  const rng = createRng(seed);
  const n = spec.commits;
  const commits = Array.from({ length: n }, (_, i) => `c${i.toString().padStart(5, '0')}`);
  const culprits: Culprit[] = [];
  const taken = new Set<number>();
  for (const share of spec.d > 0 ? spec.shares : []) {
    let index = 1 + Math.floor(nextUniform(rng) * (n - 1));
    while (taken.has(index)) index = 1 + Math.floor(nextUniform(rng) * (n - 1));
    taken.add(index);
    culprits.push({ index, drop: spec.d * spec.noise.sigmaBoot * share });
  }
  const brokenBuilds = new Set<number>();
  for (let i = 1; i < n - 1; i++) if (nextUniform(rng) < spec.noise.buildFailureRate) brokenBuilds.add(i);
  const largest = [...culprits].sort((a, b) => b.drop - a.drop)[0];
  return {
    commits,
    culprits,
    answer: largest?.index ?? null,
    brokenBuilds,
    noise: spec.noise,
    logLevel: (index) => culprits.reduce((acc, c) => (index >= c.index ? acc + Math.log(1 - c.drop) : acc), 0),
  };
}

export type BootOutcome = { readonly kind: 'boot'; readonly runs: number[] } | { readonly kind: 'build-failed' } | { readonly kind: 'boot-failed' };

/** The machine one method's run boots on: its noise stream and, if the noise model says so, its drift. */
export interface SimHost {
  boot(index: number): BootOutcome;
}

/** One of several measurement hosts: how it differs from the history's reference host. */
export interface SimHostOptions {
  /** Log offset of every commit's speed on this host (a faster or slower machine). */
  readonly levelOffset: number;
  /** The culprits' drops on this host are this many times the history's (1: the same; host × commit interaction otherwise). */
  readonly gapScale: number;
}

// The host's speed takes a random-walk step after every boot (TCG on a shared
// host: slow swings of up to 2× over minutes were seen here); under a load
// model, quiet and loaded spells alternate and a loaded one widens the gap.
// `options`: one host among several, with its own speed (and gap).
export function createSimHost(history: History, rng: Rng, options?: SimHostOptions): SimHost {
  let drift = 0;
  const load = history.noise.load;
  let loaded = false;
  let spellLeft = load === undefined ? Number.POSITIVE_INFINITY : drawSpell(load, rng);
  let loadedDrop = 0;
  return {
    boot(index) {
      let offset = drift;
      if (options !== undefined) {
        offset += options.levelOffset;
        for (const c of history.culprits) if (index >= c.index) offset += (options.gapScale - 1) * Math.log(1 - c.drop);
      }
      if (load !== undefined && loaded) {
        offset += Math.log(1 - load.levelDrop);
        // Commits carrying a culprit lose loadedDrop instead of the quiet drop.
        for (const c of history.culprits) if (index >= c.index) offset += Math.log(1 - loadedDrop) - Math.log(1 - c.drop);
      }
      const outcome = simulateBoot(history, index, rng, offset);
      if (history.noise.driftStep > 0) drift += history.noise.driftStep * nextNormal(rng);
      if (load !== undefined && --spellLeft <= 0) {
        loaded = !loaded;
        spellLeft = drawSpell(load, rng);
        if (loaded) loadedDrop = load.loadedDrop[0] + (load.loadedDrop[1] - load.loadedDrop[0]) * nextUniform(rng);
      }
      return outcome;
    },
  };
}

function drawSpell(load: LoadModel, rng: Rng): number {
  const [min, max] = load.spellBoots;
  return min + Math.floor(nextUniform(rng) * (max - min + 1));
}

// One boot of one commit: k correlated runs sharing the boot's offset.
function simulateBoot(history: History, index: number, rng: Rng, drift: number): BootOutcome {
  if (history.brokenBuilds.has(index)) return { kind: 'build-failed' };
  const noise = history.noise;
  if (nextUniform(rng) < noise.bootFailureRate) return { kind: 'boot-failed' };
  let bootLog = history.logLevel(index) + drift + noise.sigmaBoot * nextNormal(rng);
  if (nextUniform(rng) < noise.outlierRate) bootLog += Math.log(noise.outlierFactor);
  const runs = Array.from({ length: noise.runsPerBoot }, () => BASE_THROUGHPUT_MBPS * Math.exp(bootLog + noise.sigmaRun * nextNormal(rng)));
  return { kind: 'boot', runs };
}
