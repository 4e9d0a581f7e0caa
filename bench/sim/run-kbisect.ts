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
  for (let round = 0; round < 100_000; round++) {
    const actions = nextActions(state);
    for (const action of actions) {
      if (action.kind === 'done') return scoreResult(action.result, phaseBoots);
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
        } else event = { kind: 'boot-failed', commit: action.commit, reason: 'no login prompt within 120 s' };
        state = apply(state, event);
      }
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
