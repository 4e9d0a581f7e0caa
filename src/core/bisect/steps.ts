// The record of what the engine decided: steps with their evidence and the
// posterior leader they leave behind, and the end of the bisection. Pure.

import type { VerdictKind } from '../verdict.ts';
import { judgeCommit } from './judge.ts';
import type { LogModel } from './model.ts';
import { commitAt, findStateLeadingBlock } from './queries.ts';
import type { BisectState, FinalRecord, Step } from './types.ts';

// Records a step with the posterior leader it leaves behind (none before bisecting).
export function pushStep(state: BisectState, step: Omit<Step, 'commit' | 'leader' | 'leaderProbability'>, posterior: readonly number[] | null): void {
  let leader: string | null = null;
  let leaderProbability: number | null = null;
  if (posterior !== null) {
    const block = findStateLeadingBlock(state, posterior);
    leader = commitAt(state, block.last);
    leaderProbability = block.probability;
  }
  state.steps.push({ ...step, commit: commitAt(state, step.index), leader, leaderProbability });
}

// Records the end of a commit's test (or a mark, or a skip) with its evidence.
export function pushCommitStep(state: BisectState, index: number, kind: VerdictKind, model: LogModel | null, posterior: readonly number[], note: string): void {
  const verdict = judgeCommit(state, index, model);
  const evidence = verdict === null || verdict.kind === 'skipped' ? null : verdict;
  const position = evidence === null ? null : evidence.position;
  const where = position === null ? '' : `; at ${Math.round(position * 100)}% of the way from GOOD to BAD`;
  pushStep(
    state,
    {
      index,
      phase: 'bisect',
      verdict: kind,
      boots: evidence?.boots ?? 0,
      estimate: evidence?.estimate ?? null,
      ci: evidence?.ci ?? null,
      llr: kind === 'skipped' || model === null ? null : (evidence?.llr ?? null),
      p: null,
      note: `${note}${where}`,
    },
    state.calibration.status === 'confirmed' ? posterior : null,
  );
}

// Ends the bisection with its answer.
export function finish(state: BisectState, final: FinalRecord): void {
  state.final = final;
  state.phase = 'done';
  state.current = null;
  state.verify = null;
}
