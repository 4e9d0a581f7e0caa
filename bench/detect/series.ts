// Synthetic sweep series with a known answer: commits measured in nightly
// runs, each commit a few boots of netperf-in-QEMU noise (the lab host's
// figures from bench/sim/history.ts), with wild measurements, single-commit
// spikes, regressions as steps, and a host whose speed random-walks from one
// run to the next. Each run also boots a fixed reference kernel, which is
// what the reference-adjusted series subtracts.

import { createRng, nextNormal, nextUniform, type Rng } from '../../src/core/rng.ts';
import { median } from '../../src/core/stats/index.ts';

export interface SweepNoise {
  /** Boot-to-boot spread (log scale). */
  readonly sigmaBoot: number;
  /** Run-to-run spread inside one boot, and runs per boot (a boot's value is their median). */
  readonly sigmaRun: number;
  readonly runsPerBoot: number;
  /** Boots per measured commit (the point is their median). */
  readonly bootsPerCommit: number;
  /** Share of commit measurements that are wild as a whole (a bad night for that commit), and by what factor. */
  readonly outlierRate: number;
  readonly outlierFactor: number;
  /** Single-commit spikes (measurement artefacts) per 100 commits, of ± this many σ_commit. */
  readonly spikesPer100: number;
  readonly spikeSigmas: readonly [number, number];
  /** Commits measured per nightly run. */
  readonly commitsPerRun: number;
  /** σ of the host's speed random walk between runs, in σ_commit. */
  readonly driftPerRun: number;
  /** Boots of the reference kernel in every run. */
  readonly referenceBoots: number;
}

export const sweepNoise: SweepNoise = {
  sigmaBoot: 0.017,
  sigmaRun: 0.012,
  runsPerBoot: 5,
  bootsPerCommit: 5,
  outlierRate: 0.03,
  outlierFactor: 0.6,
  spikesPer100: 1,
  spikeSigmas: [3, 6],
  commitsPerRun: 10,
  driftPerRun: 2,
  referenceBoots: 20,
};

/** One measured commit: log boot values and their median (the point). */
export interface MeasuredCommit {
  readonly value: number;
  readonly boots: readonly number[];
}

export interface SweepSeries {
  /** First-bad index of each regression, ascending. */
  readonly steps: readonly number[];
  /** True log level of each commit. */
  readonly levels: readonly number[];
  /** As measured, drift included. */
  readonly raw: readonly MeasuredCommit[];
  /** Less the run's reference offset. */
  readonly adjusted: readonly MeasuredCommit[];
}

export interface SeriesSpec {
  readonly commits: number;
  /** Step size in σ_commit. */
  readonly d: number;
  readonly maxSteps: number;
  readonly drift: boolean;
}

// One boot: the median of its runs, log scale, around `level`.
export function simulateBoot(level: number, noise: SweepNoise, rng: Rng): number {
  const runs = Array.from({ length: noise.runsPerBoot }, () => noise.sigmaRun * nextNormal(rng));
  return level + noise.sigmaBoot * nextNormal(rng) + median(runs);
}

// σ of one commit's point (median of boot medians), by simulation: the unit of d.
export function calibrateCommitSigma(noise: SweepNoise, seed: number, draws = 20_000): number {
  const rng = createRng(seed);
  let ss = 0;
  for (let i = 0; i < draws; i++) {
    const v = median(Array.from({ length: noise.bootsPerCommit }, () => simulateBoot(0, noise, rng)));
    ss += v * v;
  }
  return Math.sqrt(ss / draws);
}

// Regression positions: 0..maxSteps of them, ≥ 15 commits apart, ≥ 10 from the start and ≥ 20 from the end.
function drawSteps(spec: SeriesSpec, rng: Rng): number[] {
  const count = Math.floor(nextUniform(rng) * (spec.maxSteps + 1));
  const steps: number[] = [];
  for (let tries = 0; steps.length < count && tries < 1000; tries++) {
    const at = 10 + Math.floor(nextUniform(rng) * (spec.commits - 30));
    if (steps.every((s) => Math.abs(s - at) >= 15)) steps.push(at);
  }
  return steps.sort((a, b) => a - b);
}

export function createSweepSeries(spec: SeriesSpec, noise: SweepNoise, sigmaCommit: number, seed: number): SweepSeries {
  const rng = createRng(seed);
  const steps = drawSteps(spec, rng);
  const levels = Array.from({ length: spec.commits }, (_, i) => -spec.d * sigmaCommit * steps.filter((s) => s <= i).length);
  const spikes = new Map<number, number>();
  const spikeCount = Math.round((spec.commits * noise.spikesPer100) / 100);
  for (let k = 0; k < spikeCount; k++) {
    const [lo, hi] = noise.spikeSigmas;
    const size = (lo + (hi - lo) * nextUniform(rng)) * sigmaCommit;
    spikes.set(Math.floor(nextUniform(rng) * spec.commits), nextUniform(rng) < 0.5 ? -size : size);
  }
  const raw: MeasuredCommit[] = [];
  const adjusted: MeasuredCommit[] = [];
  let drift = 0;
  let offset = 0;
  for (let i = 0; i < spec.commits; i++) {
    if (i % noise.commitsPerRun === 0) {
      if (i > 0 && spec.drift) drift += noise.driftPerRun * sigmaCommit * nextNormal(rng);
      offset = median(Array.from({ length: noise.referenceBoots }, () => simulateBoot(drift, noise, rng)));
    }
    let artefact = spikes.get(i) ?? 0;
    if (nextUniform(rng) < noise.outlierRate) artefact += Math.log(noise.outlierFactor);
    const boots = Array.from({ length: noise.bootsPerCommit }, () => simulateBoot((levels[i] as number) + drift + artefact, noise, rng));
    raw.push({ value: median(boots), boots });
    const shifted = boots.map((b) => b - offset);
    adjusted.push({ value: median(shifted), boots: shifted });
  }
  return { steps, levels, raw, adjusted };
}
