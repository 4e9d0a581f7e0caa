// Several measurement hosts. Numbers are never compared across hosts: each
// host has its own GOOD and BAD levels (its own calibration boots and
// reference boots), and a candidate's boots are judged only against the
// endpoints of the host they ran on. What the hosts share is the posterior
// over the first bad commit: each host's boots of a commit give a
// log-likelihood ratio under that host's model, and the hosts' ratios add up,
// independent evidence multiplied into one posterior.
//
// A host's *view* is the state as a single-host bisection on that host would
// hold it: the commit-level facts (marks, skips, failures) as they are, and
// only that host's boots. The single-host machinery (drift fit, SPRT,
// verification) runs on views unchanged. Pure.

import { UserError } from '../errors.ts';
import { computeSprtThresholds, estimateHodgesLehmannShift, estimatePooledSpread, median, testHeterogeneity } from '../stats/index.ts';
import { MARK_LLR, MIN_SIGMA, readLogBoots, sumBootLlr, type LogModel } from './model.ts';
import { computePosterior, type CommitLlr } from './posterior.ts';
import { seedDerived } from './queries.ts';
import type { BisectState, CommitRecord, HostBoots, HostGap, HostsState, HostsSummary } from './types.ts';

// The hosts of a multi-host state; an internal error on a single-host one.
export function requireHosts(state: BisectState): HostsState {
  if (state.hosts === undefined) throw new Error('A multi-host step ran on a single-host bisection; this is a bug in kbisect.');
  return state.hosts;
}

// Validates the host list of BisectInput; problems are added to `problems`.
export function checkHostNames(hosts: readonly string[], problems: string[]): void {
  if (hosts.length === 0) problems.push('Expected at least one measurement host in `hosts`, got none.');
  if (new Set(hosts).size !== hosts.length) problems.push('Expected every host to appear once in `hosts`, got duplicates.');
  if (hosts.some((h) => typeof h !== 'string' || h.length === 0)) problems.push('Expected every host to be a non-empty string.');
}

// The empty multi-host part of a new state.
export function createHostsState(names: readonly string[], referenceSpacing: number): HostsState {
  const boots: Record<string, Record<string, HostBoots>> = {};
  const tests: HostsState['tests'] = {};
  const spacing: Record<string, number> = {};
  for (const name of names) {
    boots[name] = {};
    tests[name] = null;
    spacing[name] = referenceSpacing;
  }
  return { names: [...names], boots, tests, referenceSpacing: spacing, verifyHost: null, early: null };
}

// A copy deep enough that apply() never changes its input.
export function cloneHosts(hosts: HostsState): HostsState {
  const boots: Record<string, Record<string, HostBoots>> = {};
  for (const [name, byCommit] of Object.entries(hosts.boots)) {
    const copy: Record<string, HostBoots> = {};
    for (const [key, b] of Object.entries(byCommit)) copy[key] = { boots: [...b.boots], times: [...b.times], runs: b.runs };
    boots[name] = copy;
  }
  return { ...hosts, boots, tests: { ...hosts.tests }, referenceSpacing: { ...hosts.referenceSpacing } };
}

// The host a boot event names, checked against the list.
export function resolveEventHost(hosts: HostsState, host: string | undefined, commit: string): string {
  if (host === undefined) throw new UserError(`Expected the boot of ${commit} to name its host (one of ${hosts.names.join(', ')}), got none.`, 'With several measurement hosts every boot event carries `host`.');
  if (!hosts.names.includes(host)) throw new UserError(`Expected the boot of ${commit} to name one of the hosts ${hosts.names.join(', ')}, got \`${host}\`.`, 'Is the event log from another bisection?');
  return host;
}

// Appends one boot to a host's record of a commit.
export function recordHostBoot(hosts: HostsState, host: string, index: number, value: number, time: number, runs: number): void {
  const byCommit = hosts.boots[host] as Record<string, HostBoots>;
  const key = String(index);
  const record = byCommit[key] ?? { boots: [], times: [], runs: 0 };
  record.boots.push(value);
  record.times.push(time);
  record.runs += runs;
  byCommit[key] = record;
}

// The state as a single-host bisection on `host` would hold it. Shares
// steps, warnings and the verify target with `state`, so that what the
// single-host phases push or change there lands in the real state; the
// fields they assign (phase, verify, verification, final) are copied back by
// the caller (phase-hosts.ts).
export function viewHost(state: BisectState, host: string): BisectState {
  const hosts = requireHosts(state);
  const own = hosts.boots[host] ?? {};
  const records: Record<string, CommitRecord> = {};
  for (const [key, record] of Object.entries(state.records)) {
    const mine = own[key];
    records[key] = { ...record, boots: mine?.boots ?? [], times: mine?.times ?? [], runs: mine?.runs ?? 0 };
  }
  const { hosts: _omitted, ...single } = state;
  return { ...single, records, current: hosts.tests[host] ?? null, referenceSpacing: hosts.referenceSpacing[host] ?? state.referenceSpacing };
}

export interface HostsDerived {
  readonly views: ReadonlyMap<string, BisectState>;
  /** Per host, its two-point model; null until the host has booted both endpoints. */
  readonly models: ReadonlyMap<string, LogModel | null>;
  readonly posterior: number[];
  /** Each host's gap and the interaction test, on the pools the models were fitted to. */
  readonly gaps: HostGapsTest;
}

const hostsCache = new WeakMap<BisectState, HostsDerived & { readonly events: number; readonly confirmed: boolean }>();

// Views, models and the combined posterior, once per state and event.
export function getHostsDerived(state: BisectState): HostsDerived {
  const confirmed = state.calibration.status === 'confirmed';
  const cached = hostsCache.get(state);
  if (cached !== undefined && cached.events === state.events && cached.confirmed === confirmed) return cached;
  const hosts = requireHosts(state);
  const views = new Map(hosts.names.map((h) => [h, viewHost(state, h)] as const));
  const derived = estimateHostModels(state, views);
  hostsCache.set(state, { ...derived, views, events: state.events, confirmed });
  return { ...derived, views };
}

// Each host's model and the posterior of all hosts' evidence. A host's
// levels: GOOD at its own a_h, BAD at a_h + Δ, where Δ, the GOOD→BAD gap, is
// the precision-weighted mean of the hosts' own gaps (each a difference
// within one host; the randomized-block model of hosts-calibration.ts) and
// a_h is located by all of the host's endpoint boots, BAD's less Δ. With a
// handful of endpoint boots per host its own gap would be off by half its
// size now and then, and a host that judges with a gap near 0 turns every
// verdict it gives into noise. A host whose gap the interaction test
// singles out (testHostGaps) keeps its own: its difference is reported,
// never averaged into Δ. As for one host (model.ts), once calibrated,
// commits the posterior places firmly on one side lend that host's boots of
// them to that host's endpoint pools, and the posterior is computed again.
// σ, a spread within commits and within hosts, is pooled over every host:
// a host's first dozen boots pin its own spread down poorly.
function estimateHostModels(state: BisectState, views: ReadonlyMap<string, BisectState>): { models: Map<string, LogModel | null>; posterior: number[]; gaps: HostGapsTest } {
  const last = state.commits.length - 1;
  const groups: number[][] = [];
  for (const view of views.values()) {
    for (const key of Object.keys(view.records)) {
      const logs = readLogBoots(view, Number(key));
      if (logs.length >= 2) groups.push(logs);
    }
  }
  const pooled = estimatePooledSpread(groups);
  const sigma = Number.isFinite(pooled) ? Math.max(pooled, MIN_SIGMA) : MIN_SIGMA;
  const { upper, lower } = computeSprtThresholds(state.config.verdictErrorRate, state.config.verdictErrorRate);
  const fit = (pools: ReadonlyMap<string, EndpointPools>, own: ReadonlySet<string>): Map<string, LogModel | null> => {
    const levels = fitHostLevels(pools, own);
    return new Map([...views.keys()].map((host) => {
      const level = levels.get(host);
      return [host, level === undefined ? null : { ...level, sigma, bootLlrBound: upper / 2, upper, lower }] as const;
    }));
  };
  const endpointPools = new Map([...views].map(([host, view]) => [host, { good: readLogBoots(view, 0), bad: readLogBoots(view, last) }] as const));
  const endpointGaps = testHostGaps(endpointPools, state.config.confidence);
  const endpointModels = fit(endpointPools, endpointGaps.singledOut);
  const first = computeHostsPosterior(state, views, endpointModels);
  if (state.calibration.status !== 'confirmed') return { models: endpointModels, posterior: first, gaps: endpointGaps };

  const badProbability: number[] = [];
  let cumulative = 0;
  for (const p of first) badProbability.push((cumulative += p));
  const firm = state.config.verdictErrorRate;
  const lentPools = new Map<string, EndpointPools>();
  for (const [host, view] of views) {
    const { good, bad } = endpointPools.get(host) as EndpointPools;
    const goodPool = [...good];
    const badPool = [...bad];
    for (const [key, record] of Object.entries(view.records)) {
      const index = Number(key);
      if (index <= 0 || index >= last || record.boots.length === 0 || record.mark !== null) continue;
      const f = badProbability[index - 1] as number;
      if (f <= firm) goodPool.push(...readLogBoots(view, index));
      else if (f >= 1 - firm) badPool.push(...readLogBoots(view, index));
    }
    lentPools.set(host, { good: goodPool, bad: badPool });
  }
  // the lent boots give every host's gap many more boots than its endpoints
  // alone, and with them the interaction test its power
  const gaps = testHostGaps(lentPools, state.config.confidence);
  const models = fit(lentPools, gaps.singledOut);
  return { models, posterior: computeHostsPosterior(state, views, models), gaps };
}

interface EndpointPools {
  readonly good: readonly number[];
  readonly bad: readonly number[];
}

// Levels per host under the shared-gap model (estimateHostModels); hosts in
// `own` use their own gap. Hosts without boots of both endpoints get none.
export function fitHostLevels(pools: ReadonlyMap<string, EndpointPools>, own: ReadonlySet<string>): Map<string, { muGood: number; muBad: number }> {
  let weights = 0;
  let weighted = 0;
  const gaps = new Map<string, number>();
  for (const [host, { good, bad }] of pools) {
    if (good.length === 0 || bad.length === 0) continue;
    const gap = median(bad) - median(good);
    gaps.set(host, gap);
    if (own.has(host)) continue;
    const w = (good.length * bad.length) / (good.length + bad.length);
    weights += w;
    weighted += w * gap;
  }
  const levels = new Map<string, { muGood: number; muBad: number }>();
  for (const [host, { good, bad }] of pools) {
    const ownGap = gaps.get(host);
    if (ownGap === undefined) continue;
    const gap = own.has(host) || weights === 0 ? ownGap : weighted / weights;
    const muGood = median([...good, ...bad.map((y) => y - gap)]);
    levels.set(host, { muGood, muBad: muGood + gap });
  }
  return levels;
}

// Evidence per candidate commit: a human's mark once, else the sum over
// hosts of that host's boots judged by that host's model.
export function collectHostsEvidence(state: BisectState, views: ReadonlyMap<string, BisectState>, models: ReadonlyMap<string, LogModel | null>): CommitLlr[] {
  const last = state.commits.length - 1;
  const evidence: CommitLlr[] = [];
  for (const [key, record] of Object.entries(state.records)) {
    const index = Number(key);
    if (index <= 0 || index >= last) continue;
    if (record.mark !== null) {
      evidence.push({ index, llr: record.mark === 'bad' ? MARK_LLR : -MARK_LLR });
      continue;
    }
    let llr = 0;
    for (const [host, view] of views) {
      const model = models.get(host);
      if (model) llr += sumBootLlr(readLogBoots(view, index), model);
    }
    evidence.push({ index, llr });
  }
  return evidence;
}

function computeHostsPosterior(state: BisectState, views: ReadonlyMap<string, BisectState>, models: ReadonlyMap<string, LogModel | null>): number[] {
  const evidence = state.calibration.status === 'confirmed' ? collectHostsEvidence(state, views, models) : [];
  return computePosterior(state.commits.length, evidence);
}

// The verify host's view, judged with its model and all hosts' posterior.
export function viewVerifyHost(state: BisectState): BisectState {
  const hosts = requireHosts(state);
  const host = hosts.verifyHost ?? (hosts.names[0] as string);
  const view = viewHost(state, host);
  const { models, posterior } = getHostsDerived(state);
  seedDerived(view, { model: models.get(host) ?? null, posterior });
  return view;
}

/** Significance level of the host × commit interaction report. */
export const INTERACTION_ALPHA = 0.01;
/** Efficiency of the Hodges–Lehmann shift relative to the difference of means, normal data (Lehmann 1975). */
const HODGES_LEHMANN_EFFICIENCY = 3 / Math.PI;

export interface HostGapsTest {
  readonly gaps: readonly HostGap[];
  /** p-value of the heterogeneity F-test; 1 with fewer than two hosts that booted both endpoints twice. */
  readonly p: number;
  /** The host whose gap lies furthest from the rest, when p < INTERACTION_ALPHA (else empty). */
  readonly singledOut: ReadonlySet<string>;
}

// Each host's own GOOD→BAD gap and whether the hosts disagree on it: the
// heterogeneity F-test (stats/stratified.ts) of the hosts' Hodges–Lehmann
// shifts, each weighted by its precision, σ pooled within hosts. A finding
// names the host whose gap lies furthest from the rest (a leave-one-out
// comparison). `pools`: each host's GOOD-like and BAD-like log boots.
export function testHostGaps(pools: ReadonlyMap<string, EndpointPools>, confidence: number): HostGapsTest {
  const gaps: HostGap[] = [];
  const differences: { host: string; difference: number; weight: number }[] = [];
  const groups: number[][] = [];
  let df = 0;
  for (const [host, { good, bad }] of pools) {
    if (good.length < 2 || bad.length < 2) continue;
    const shift = estimateHodgesLehmannShift(good, bad, confidence);
    gaps.push({ host, ratio: Math.exp(shift.estimate), ci: [Math.exp(shift.ci[0]), Math.exp(shift.ci[1])], goodBoots: good.length, badBoots: bad.length });
    differences.push({ host, difference: shift.estimate, weight: HODGES_LEHMANN_EFFICIENCY * ((good.length * bad.length) / (good.length + bad.length)) });
    groups.push([...good], [...bad]);
    df += good.length + bad.length - 2;
  }
  const test = testHeterogeneity(differences, estimatePooledSpread(groups), df);
  const singledOut = new Set<string>();
  if (test.p < INTERACTION_ALPHA) {
    let worst = -1;
    let host: string | null = null;
    for (const d of differences) {
      const others = differences.filter((o) => o !== d);
      const weights = others.reduce((a, o) => a + o.weight, 0);
      const rest = others.reduce((a, o) => a + o.weight * o.difference, 0) / weights;
      const distance = Math.abs(d.difference - rest) / Math.sqrt(1 / d.weight + 1 / weights);
      if (distance > worst) {
        worst = distance;
        host = d.host;
      }
    }
    if (host !== null) singledOut.add(host);
  }
  return { gaps, p: test.p, singledOut };
}

// What a result says about the hosts: every gap (GOOD and BAD boots with
// those of the commits placed firmly on either side, once calibrated), and
// the interaction if any.
export function summarizeHosts(state: BisectState): HostsSummary {
  const hosts = requireHosts(state);
  const test = getHostsDerived(state).gaps;
  const host = [...test.singledOut][0] ?? null;
  return { names: hosts.names, gaps: test.gaps, interaction: { p: test.p, found: host !== null, host }, verifyHost: hosts.verifyHost };
}
