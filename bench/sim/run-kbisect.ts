// Drives kbisect's engine exactly as the app does: ask nextActions, perform
// the measurements, apply the events, repeat until done.

import { apply, createBisection, nextActions, type BisectConfig, type BisectEvent, type BisectResult } from '../../src/core/bisect/index.ts';
import type { Rng } from '../../src/core/rng.ts';
import { createSimHost, type History, type SimHost } from './history.ts';
import type { MethodOutcome, PhaseBoots } from './outcome.ts';

// Runs one history to completion; also returns the engine's own result.
// `host`: where boots come from (default: the history's simulated host; bench:trace replays recorded boots).
export function runKbisect(history: History, config: Partial<BisectConfig>, rng: Rng, host: SimHost = createSimHost(history, rng)): MethodOutcome & { result: BisectResult } {
  let state = createBisection({ commits: history.commits, config });
  const phaseBoots = { calibrate: 0, bisect: 0, verify: 0, reference: 0 };
  const prefetched = new Set<string>();
  const measured = new Set<string>();
  let failedBuilds = 0;
  for (let round = 0; round < 100_000; round++) {
    const actions = nextActions(state);
    for (const action of actions) {
      if (action.kind === 'done') return { ...scoreResult(action.result, phaseBoots), unusedPrefetches: [...prefetched].filter((c) => !measured.has(c)).length, failedBuilds };
      if (action.kind === 'build' && action.speculative) prefetched.add(action.commit);
      if (action.kind === 'measure') measured.add(action.commit);
    }
    const unbuildable = new Set<string>();
    for (const action of actions) {
      if (action.kind !== 'measure') continue;
      const index = history.commits.indexOf(action.commit);
      for (let b = 0; b < action.boots && !unbuildable.has(action.commit); b++) {
        const boot = host.boot(index);
        let event: BisectEvent;
        if (boot.kind === 'boot') {
          event = { kind: 'boot', commit: action.commit, runs: boot.runs };
          phaseBoots[action.reference === true ? 'reference' : action.phase]++;
        }
        else if (boot.kind === 'build-failed') {
          event = { kind: 'build-failed', commit: action.commit, reason: 'make: *** [bzImage] Error 2' };
          unbuildable.add(action.commit);
          failedBuilds++;
        } else event = { kind: 'boot-failed', commit: action.commit, reason: 'no login prompt within 120 s' };
        state = apply(state, event);
      }
    }
  }
  throw new Error('kbisect did not finish within 100000 rounds');
}

// Several measurement hosts, run as the app would: every wall slot, each
// host with a measure action boots once, all in parallel; the events are
// applied in host order and the engine re-plans. Wall time is the number of
// slots in which some host booted (failed builds and boots take no slot,
// as they are not counted as boots with one host either).
export function runKbisectOnHosts(history: History, config: Partial<BisectConfig>, hosts: ReadonlyMap<string, SimHost>): MethodOutcome & { result: BisectResult; wallByPhase?: Record<'calibrate' | 'bisect' | 'verify', number> } {
  let state = createBisection({ commits: history.commits, config, hosts: [...hosts.keys()] });
  const phaseBoots = { calibrate: 0, bisect: 0, verify: 0, reference: 0 };
  let slots = 0;
  const wallByPhase = { calibrate: 0, bisect: 0, verify: 0 };
  for (let round = 0; round < 100_000; round++) {
    const actions = nextActions(state);
    for (const action of actions) {
      if (action.kind === 'done') {
        const outcome = scoreResult(action.result, phaseBoots);
        return { ...outcome, wallBoots: slots, wallByPhase, interactionReported: action.result.hosts?.interaction.found ?? false };
      }
    }
    let booted = false;
    let measured = false;
    for (const action of actions) {
      if (action.kind !== 'measure' || action.host === undefined) continue;
      const host = hosts.get(action.host);
      if (host === undefined) throw new Error(`Expected a measure action for one of the simulated hosts, got \`${action.host}\`.`);
      measured = true;
      const boot = host.boot(history.commits.indexOf(action.commit));
      let event: BisectEvent;
      if (boot.kind === 'boot') {
        event = { kind: 'boot', commit: action.commit, runs: boot.runs, host: action.host };
        phaseBoots[action.reference === true ? 'reference' : action.phase]++;
        booted = true;
      } else if (boot.kind === 'build-failed') event = { kind: 'build-failed', commit: action.commit, reason: 'make: *** [bzImage] Error 2' };
      else event = { kind: 'boot-failed', commit: action.commit, reason: 'no login prompt within 120 s' };
      state = apply(state, event);
    }
    if (!measured) throw new Error('kbisect on several hosts asked for nothing and is not done');
    if (booted) {
      slots++;
      if (state.phase !== 'done') wallByPhase[state.phase]++;
    }
  }
  throw new Error('kbisect did not finish within 100000 rounds');
}

// Boots of the bisect-phase sequential tests: per commit, its boot count at its last bisect step.
function countTestBoots(result: BisectResult): { testBoots: number; testedCommits: number } {
  const perCommit = new Map<number, number>();
  for (const step of result.steps) if (step.phase === 'bisect' && step.boots > 0) perCommit.set(step.index, step.boots);
  return { testBoots: [...perCommit.values()].reduce((a, b) => a + b, 0), testedCommits: perCommit.size };
}

function scoreResult(result: BisectResult, phaseBoots: PhaseBoots): MethodOutcome & { result: BisectResult } {
  const base = { boots: result.boots, builds: result.builds, warnedPartial: result.explainsFullChange === false, result, phaseBoots, ...countTestBoots(result) };
  if (result.outcome === 'culprit' && result.culprit) {
    const index = Number(result.culprit.commit.slice(1));
    return { ...base, claim: { first: index, last: index, confident: result.culprit.probability >= 0.95 } };
  }
  if (result.outcome === 'range' && result.range) {
    return {
      ...base,
      claim: { first: Number(result.range.first.slice(1)), last: Number(result.range.last.slice(1)), confident: result.range.probability >= 0.95 },
    };
  }
  return { ...base, claim: null };
}
