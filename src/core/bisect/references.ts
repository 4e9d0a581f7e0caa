// Reference boots: boots of GOOD or BAD taken among the tested commits' boots
// so that drift.ts can follow the host's speed. They are insurance against
// drift that would move the host by a sizeable share of the GOOD→BAD change
// between two of them, and a steady host should not pay much for it: under
// rules 2 the spacing doubles (after calibration, after each reference boot)
// as long as the endpoint boots favour a steady host over one drifting that
// fast at the doubled spacing (likelihood ratio ≥ EVIDENCE, drift-rate.ts),
// and falls back to referenceEvery whenever they favour drift that fast at
// the current one.
// What counts as harmful scales with the change: a 9σ change tolerates far
// more drift than a 2σ one. The spacing is part of the state, updated by
// apply(), so that a replay plans alike; it changes which boots are asked
// for, never how boots are judged. Pure.

import { readEndpointSeries } from './drift.ts';
import { computeDriftLogLikelihoodRatio, estimateBootSpread, screenWildBoots } from './drift-rate.ts';
import { getRecord } from './model.ts';
import { commitAt } from './queries.ts';
import { findCommitIndex } from './state.ts';
import type { Action, BisectState } from './types.ts';

/** Drift that moves the host by this share of GOOD→BAD between reference boots is harmful. */
const HARMFUL_SHARE = 0.2;
/** Likelihood ratio either way that moves the spacing. */
const EVIDENCE = 3;

// Whether a boot of `index` arriving now is a reference boot: an endpoint
// booted while bisecting, or while verifying a pair it is not part of.
export function isReferenceBoot(state: BisectState, index: number): boolean {
  const last = state.commits.length - 1;
  if (index !== 0 && index !== last) return false;
  if (state.phase === 'bisect') return true;
  if (state.phase !== 'verify' || state.verify === null) return false;
  const { before, after, residual } = state.verify;
  return index !== before && index !== after && residual?.first !== index && residual?.second !== index;
}

// After a reference boot (already in the records), and once calibration is
// done: the spacing of the next ones. A random walk of ψσ² per boot moves the
// host by √(ψ(k+1))σ between references k boots apart; harmful when that
// reaches HARMFUL_SHARE of the endpoints' gap.
export function updateReferenceSpacing(state: BisectState): void {
  const base = state.config.referenceEvery;
  if (base === 0 || state.config.rules < 2) return;
  const endpoints = readEndpointSeries(state);
  if (endpoints === null) return;
  const series = screenWildBoots(endpoints);
  const sigma = estimateBootSpread(series);
  if (!(sigma > 0)) return;
  const harmful = ((HARMFUL_SHARE * Math.abs(series.gap)) / sigma) ** 2;
  const favours = (spacing: number): number => computeDriftLogLikelihoodRatio(series, harmful / (spacing + 1));
  let spacing = state.referenceSpacing;
  if (spacing > base && favours(spacing) >= Math.log(EVIDENCE)) {
    state.referenceSpacing = base;
    return;
  }
  // as wide as the evidence for a steady host allows, one doubling at a time
  const widest = Math.max(base, state.config.maxReferenceEvery);
  while (spacing < widest && favours(2 * spacing) <= -Math.log(EVIDENCE)) spacing = Math.min(widest, 2 * spacing);
  state.referenceSpacing = spacing;
}

// Boots of other commits planned or taken before the next reference boot is due.
function currentSpacing(state: BisectState): number {
  return state.config.rules < 2 ? state.config.referenceEvery : state.referenceSpacing;
}

// With reference boots on (config.referenceEvery > 0), a plan of
// measurements with a boot of GOOD or BAD (in turn, the one booted longer
// ago first) put in wherever the current spacing's worth of boots of other
// commits would otherwise follow the last endpoint boot.
export function addReferences(state: BisectState, plan: readonly Action[]): Action[] {
  const every = currentSpacing(state);
  if (state.config.referenceEvery === 0 || every === 0) return [...plan];
  const last = state.commits.length - 1;
  const lastTime = (index: number) => getRecord(state, index)?.times.at(-1) ?? -1;
  const since = Math.max(lastTime(0), lastTime(last));
  let after = 0;
  for (const [key, record] of Object.entries(state.records)) {
    const index = Number(key);
    if (index !== 0 && index !== last) after += record.times.filter((t) => t > since).length;
  }
  let nextEndpoint = lastTime(0) <= lastTime(last) ? 0 : last;
  const out: Action[] = [];
  for (const action of plan) {
    if (action.kind !== 'measure') {
      out.push(action);
      continue;
    }
    const index = findCommitIndex(state, action.commit);
    for (let b = 0; b < action.boots; b++) {
      if (index !== 0 && index !== last && after >= every) {
        out.push({ kind: 'measure', commit: commitAt(state, nextEndpoint), boots: 1, phase: action.phase, reference: true });
        nextEndpoint = nextEndpoint === 0 ? last : 0;
        after = 0;
      }
      out.push({ ...action, boots: 1 });
      if (index === 0 || index === last) {
        nextEndpoint = index === 0 ? last : 0;
        after = 0;
      } else after++;
    }
  }
  return out;
}
