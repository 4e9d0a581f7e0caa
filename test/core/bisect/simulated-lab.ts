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
