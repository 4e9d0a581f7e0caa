// A seeded stand-in for the real lab (build, boot, netperf) that drives the
// engine through its public API exactly as the app does. Not a mock of the
// engine: it produces boots from a known truth so that answers can be checked.

import { apply, createBisection, nextActions, type BisectEvent, type BisectInput, type BisectResult, type BisectState } from '../../../src/core/bisect/index.ts';
import { createRng, nextNormal, type Rng } from '../../../src/core/rng.ts';

export interface LabTruth {
  readonly commits: number;
  /** Commit index → relative change it introduces (−0.05 = 5% lower). */
  readonly changes: ReadonlyMap<number, number>;
  readonly sigmaBoot?: number;
  readonly sigmaRun?: number;
  readonly runsPerBoot?: number;
  readonly brokenBuilds?: ReadonlySet<number>;
  readonly baseValue?: number;
  /** σ of a random walk of the host's log speed, one step per boot (0: stationary). */
  readonly driftStep?: number;
  /** Boot number → when given, the walk steps only from this boot on. */
  readonly driftFrom?: number;
  /** Boot number → a further log offset of the host's speed (a step, a load). */
  readonly hostShift?: (boot: number) => number;
}

export function makeCommits(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `commit-${i}`);
}

// True log level of commit i: the sum of every change at or before it.
function computeLogLevel(truth: LabTruth, index: number): number {
  let level = 0;
  for (const [at, change] of truth.changes) if (index >= at) level += Math.log(1 + change);
  return level;
}

// One boot of one commit as the event the app would apply.
export function simulateEvent(truth: LabTruth, commits: readonly string[], commit: string, rng: Rng, hostOffset = 0): BisectEvent {
  const index = commits.indexOf(commit);
  if (truth.brokenBuilds?.has(index)) return { kind: 'build-failed', commit, reason: 'make: *** [arch/x86/boot/bzImage] Error 2' };
  const bootLog = computeLogLevel(truth, index) + hostOffset + (truth.sigmaBoot ?? 0.017) * nextNormal(rng);
  const runs = Array.from({ length: truth.runsPerBoot ?? 5 }, () => (truth.baseValue ?? 9400) * Math.exp(bootLog + (truth.sigmaRun ?? 0.012) * nextNormal(rng)));
  return { kind: 'boot', commit, runs };
}

export interface LabRun {
  readonly state: BisectState;
  readonly result: BisectResult;
  readonly events: BisectEvent[];
  /** Every intermediate state, for serialization checks. */
  readonly states: BisectState[];
}

// Runs a bisection to its end against the simulated truth.
export function runLab(input: BisectInput, truth: LabTruth, seed: number, options: { keepStates?: boolean } = {}): LabRun {
  const rng = createRng(seed);
  let state = createBisection(input);
  const events: BisectEvent[] = [];
  const states: BisectState[] = [];
  let drift = 0;
  for (let round = 0; round < 20_000; round++) {
    const actions = nextActions(state);
    for (const action of actions) if (action.kind === 'done') return { state, result: action.result, events, states };
    for (const action of actions) {
      if (action.kind !== 'measure') continue;
      for (let b = 0; b < action.boots; b++) {
        const event = simulateEvent(truth, state.commits, action.commit, rng, drift + (truth.hostShift?.(events.length) ?? 0));
        if (truth.driftStep && events.length >= (truth.driftFrom ?? 0)) drift += truth.driftStep * nextNormal(rng);
        events.push(event);
        state = apply(state, event);
        if (options.keepStates) states.push(state);
        if (event.kind === 'build-failed') break;
      }
    }
  }
  throw new Error('the simulated bisection did not finish');
}

export interface LabHost {
  /** Log offset of every commit's speed on this host (log(1.3): 30% faster). */
  readonly offset: number;
  /** The truth's changes are this many times larger on this host (1: the same). */
  readonly changeScale?: number;
}

export interface HostsLabRun extends LabRun {
  /** Boot slots until done, every host booting at most once per slot. */
  readonly slots: number;
}

// Runs a bisection on several hosts to its end: each slot, every host with a
// measure action boots once, in host order, as the app would in parallel.
export function runHostsLab(input: Omit<BisectInput, 'hosts'>, truth: LabTruth, hosts: Readonly<Record<string, LabHost>>, seed: number): HostsLabRun {
  const rngs = new Map(Object.keys(hosts).map((name, j) => [name, createRng(seed * 101 + j)] as const));
  let state = createBisection({ ...input, hosts: Object.keys(hosts) });
  const events: BisectEvent[] = [];
  let slots = 0;
  for (let round = 0; round < 20_000; round++) {
    const actions = nextActions(state);
    for (const action of actions) if (action.kind === 'done') return { state, result: action.result, events, states: [], slots };
    slots++;
    for (const action of actions) {
      if (action.kind !== 'measure' || action.host === undefined) continue;
      const host = hosts[action.host] as LabHost;
      const scaled: LabTruth = host.changeScale === undefined ? truth : { ...truth, changes: new Map([...truth.changes].map(([at, c]) => [at, Math.expm1(host.changeScale! * Math.log1p(c))])) };
      const event = simulateEvent(scaled, state.commits, action.commit, rngs.get(action.host) as Rng, host.offset);
      const withHost: BisectEvent = event.kind === 'boot' ? { ...event, host: action.host } : event;
      events.push(withHost);
      state = apply(state, withHost);
    }
  }
  throw new Error('the simulated multi-host bisection did not finish');
}
