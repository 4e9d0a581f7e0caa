// Read-only questions about a bisection state, shared by the engine and the
// summary.

import { computeCommitLlr, estimateModel, getRecord, type LogModel } from './model.ts';
import { computePosterior, findLeadingBlock, type Block, type CommitLlr } from './posterior.ts';
import type { BisectState } from './types.ts';

// The commit name at an index (indices are what the state stores).
export function commitAt(state: BisectState, index: number): string {
  return state.commits[index] as string;
}

// Successful boots of one commit so far.
export function countBoots(state: BisectState, index: number): number {
  return getRecord(state, index)?.boots.length ?? 0;
}

// Distinct commits built or attempted (what a build cache would hold).
export function countBuilds(state: BisectState): number {
  return Object.values(state.records).filter((r) => r.boots.length > 0 || r.failures > 0).length;
}

// Boots over all commits, calibration and verification included.
export function countAllBoots(state: BisectState): number {
  return Object.values(state.records).reduce((n, r) => n + r.boots.length, 0);
}

// A commit that can never separate hypotheses k and k+1: skipped, no evidence.
export function isUninformative(state: BisectState, index: number): boolean {
  const record = getRecord(state, index);
  return record !== undefined && record.skipped !== null && record.boots.length === 0 && record.mark === null;
}

// Evidence of every measured commit strictly between GOOD and BAD (the
// endpoints weigh every hypothesis alike, so they never move the posterior).
export function collectEvidence(state: BisectState, model: LogModel): CommitLlr[] {
  const last = state.commits.length - 1;
  const evidence: CommitLlr[] = [];
  for (const key of Object.keys(state.records)) {
    const index = Number(key);
    if (index > 0 && index < last) evidence.push({ index, llr: computeCommitLlr(state, index, model) });
  }
  return evidence;
}

// Posterior over candidates commits[1..]; uniform before bisecting starts.
export function computeStatePosterior(state: BisectState, model: LogModel | null): number[] {
  const evidence = model === null || state.calibration.status !== 'confirmed' ? [] : collectEvidence(state, model);
  return computePosterior(state.commits.length, evidence);
}

// The block of indistinguishable candidates holding the most probability.
export function findStateLeadingBlock(state: BisectState, posterior: readonly number[]): Block {
  return findLeadingBlock(posterior, (k) => isUninformative(state, k));
}

export interface Derived {
  readonly model: LogModel | null;
  readonly posterior: number[];
}

// Model and posterior depend only on the records (which change with every
// event) and on whether calibration is done; memoised per state object so
// that apply, nextActions and summarize do not refit the same data.
const derivedCache = new WeakMap<BisectState, Derived & { readonly events: number; readonly confirmed: boolean }>();

// A host's view of a multi-host state (hosts.ts) is judged with that host's
// model but the posterior all hosts' evidence makes: set here, so that the
// single-host phases read both through getDerived unchanged.
export function seedDerived(state: BisectState, derived: Derived): void {
  derivedCache.set(state, { ...derived, events: state.events, confirmed: state.calibration.status === 'confirmed' });
}

// The fitted model and posterior of a state, computed once per event.
export function getDerived(state: BisectState): Derived {
  const confirmed = state.calibration.status === 'confirmed';
  const cached = derivedCache.get(state);
  if (cached !== undefined && cached.events === state.events && cached.confirmed === confirmed) return cached;
  const model = estimateModel(state);
  const derived = { model, posterior: computeStatePosterior(state, model), events: state.events, confirmed };
  derivedCache.set(state, derived);
  return derived;
}
