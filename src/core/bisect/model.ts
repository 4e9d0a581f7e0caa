// The two-point model every bisect-phase boot is judged against: on log scale,
// a boot of a commit behaving like GOOD is N(μ_GOOD, σ), like BAD N(μ_BAD, σ).
// σ is the robust within-commit spread pooled over every commit measured so
// far. μ start as the endpoint medians; once bisecting, commits the posterior
// already places firmly on one side lend their boots to that side's level
// (one EM-style step, Dempster, Laird & Rubin 1977), because a dozen endpoint
// boots pin μ down to only ±0.4σ, and calibration that stops at the first
// significant look overstates the change.

import { clipLlr, computeContaminatedLlr, computeSprtThresholds, estimatePooledSpread, median } from '../stats/index.ts';
import { fitDrift, type DriftFit } from './drift.ts';
import { computePosterior } from './posterior.ts';
import type { BisectState, CommitRecord } from './types.ts';

export interface LogModel {
  readonly muGood: number;
  readonly muBad: number;
  readonly sigma: number;
  /** Largest |LLR| one boot may contribute (half of Wald's boundary). */
  readonly bootLlrBound: number;
  readonly upper: number;
  readonly lower: number;
}

/** Prior share of wild boots (netperf in QEMU: ~2%, e.g. a noisy neighbour). */
const WILD_BOOT_SHARE = 0.02;
/** Wild boots are spread over about ±50% of the level: density 1 per log unit. */
const WILD_BOOT_DENSITY = 1;

/** LLR that stands for a human's verdict: certain, but finite so it stays JSON. */
export const MARK_LLR = 1000;

// Spread below which boots are treated as identical (guards a division by 0).
export const MIN_SIGMA = 1e-6;

// Looks up a commit's record, which exists only once an event named it.
export function getRecord(state: BisectState, index: number): CommitRecord | undefined {
  return state.records[String(index)];
}

// Boot summaries of a commit on log scale, less the host's drift at the time
// of each boot when reference boots track it (drift.ts).
export function readLogBoots(state: BisectState, index: number): number[] {
  const record = getRecord(state, index);
  if (record === undefined) return [];
  if (state.config.referenceEvery === 0) return record.boots.map(Math.log);
  let memo = adjustedCache.get(state);
  if (memo === undefined || memo.events !== state.events) {
    memo = { events: state.events, drift: fitDrift(state), byIndex: new Map() };
    adjustedCache.set(state, memo);
  }
  let logs = memo.byIndex.get(index);
  if (logs === undefined) {
    const drift = memo.drift;
    logs = record.boots.map((v, j) => Math.log(v) - drift.offsetAt(record.times[j] as number));
    memo.byIndex.set(index, logs);
  }
  return [...logs];
}

// The drift fit and the adjusted boots per commit, once per state and event count.
const adjustedCache = new WeakMap<BisectState, { readonly events: number; readonly drift: DriftFit; readonly byIndex: Map<number, readonly number[]> }>();

// Fits the model; null until both endpoints have boots.
export function estimateModel(state: BisectState): LogModel | null {
  const last = state.commits.length - 1;
  const good = readLogBoots(state, 0);
  const bad = readLogBoots(state, last);
  if (good.length === 0 || bad.length === 0) return null;
  const groups = Object.keys(state.records)
    .map((key) => readLogBoots(state, Number(key)))
    .filter((logs) => logs.length >= 2);
  const pooled = estimatePooledSpread(groups);
  const sigma = Number.isFinite(pooled) ? Math.max(pooled, MIN_SIGMA) : MIN_SIGMA;
  const { upper, lower } = computeSprtThresholds(state.config.verdictErrorRate, state.config.verdictErrorRate);
  const endpointModel: LogModel = { muGood: median(good), muBad: median(bad), sigma, bootLlrBound: upper / 2, upper, lower };
  if (state.calibration.status !== 'confirmed') return endpointModel;

  const evidence: { index: number; llr: number }[] = [];
  for (const key of Object.keys(state.records)) {
    const index = Number(key);
    if (index > 0 && index < last) evidence.push({ index, llr: computeCommitLlr(state, index, endpointModel) });
  }
  const posterior = computePosterior(state.commits.length, evidence);
  // badProbability[i − 1] = P(first bad ≤ i) = P(commit i is bad).
  const badProbability = new Float64Array(posterior.length);
  let cumulative = 0;
  posterior.forEach((p, k) => {
    cumulative += p;
    badProbability[k] = cumulative;
  });
  const firm = state.config.verdictErrorRate;
  const goodPool = [...good];
  const badPool = [...bad];
  for (const [key, record] of Object.entries(state.records)) {
    const index = Number(key);
    if (index <= 0 || index >= last || record.boots.length === 0 || record.mark !== null) continue;
    const f = badProbability[index - 1] as number;
    if (f <= firm) goodPool.push(...readLogBoots(state, index));
    else if (f >= 1 - firm) badPool.push(...readLogBoots(state, index));
  }
  return { ...endpointModel, muGood: median(goodPool), muBad: median(badPool) };
}

// Σ of per-boot LLRs under the gross-error model, each clipped (Wald 1947;
// Huber 1965): a wild boot counts for about nothing, and none decides alone.
export function sumBootLlr(logBoots: readonly number[], model: LogModel): number {
  let llr = 0;
  for (const y of logBoots) {
    llr += clipLlr(computeContaminatedLlr(y, model.muGood, model.muBad, model.sigma, WILD_BOOT_SHARE, WILD_BOOT_DENSITY), model.bootLlrBound);
  }
  return llr;
}

// All the evidence a commit holds: its boots, or a human's mark.
export function computeCommitLlr(state: BisectState, index: number, model: LogModel): number {
  const record = getRecord(state, index);
  if (!record) return 0;
  if (record.mark === 'bad') return MARK_LLR;
  if (record.mark === 'good') return -MARK_LLR;
  return sumBootLlr(readLogBoots(state, index), model);
}

// Where a log value sits between GOOD (0) and BAD (1).
export function computePosition(logValue: number, model: LogModel): number {
  const span = model.muBad - model.muGood;
  return span === 0 ? 0 : (logValue - model.muGood) / span;
}
