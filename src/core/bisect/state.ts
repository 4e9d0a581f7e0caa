// Bookkeeping on a bisection state shared by the phases: commit records,
// copies, event validation. Pure.

import { UserError } from '../errors.ts';
import { median } from '../stats/index.ts';
import type { Block } from './posterior.ts';
import { commitAt } from './queries.ts';
import { cloneHosts } from './hosts.ts';
import type { BisectState, CommitRecord } from './types.ts';

// A boot's value: the median of its runs, which must be positive numbers.
export function summarizeBoot(runs: readonly number[], commit: string): number {
  if (runs.length === 0) throw new UserError(`Expected at least one netperf run in the boot of ${commit}, got none.`, 'Report a boot without results as a boot-failed event.');
  for (const v of runs) {
    if (!(Number.isFinite(v) && v > 0)) {
      throw new UserError(`Expected netperf results to be positive numbers, got \`${v}\` in a boot of ${commit}.`, 'Report a boot without valid results as a boot-failed event.');
    }
  }
  return median(runs);
}

// The index of an event's commit; an unknown commit is an error in the caller's log.
export function findCommitIndex(state: BisectState, commit: string): number {
  const index = state.commits.indexOf(commit);
  if (index < 0) throw new UserError(`Expected an event for one of the ${state.commits.length} commits being bisected, got \`${commit}\`.`, 'Is the event log from another bisection?');
  return index;
}

// The record of a commit, created empty on first use.
export function ensureRecord(state: BisectState, index: number): CommitRecord {
  const key = String(index);
  let record = state.records[key];
  if (record === undefined) {
    record = { boots: [], times: [], runs: 0, failureStreak: 0, failures: 0, lastFailure: null, skipped: null, mark: null, rounds: 0 };
    state.records[key] = record;
  }
  return record;
}

// A copy deep enough that apply() never changes its input.
export function cloneState(state: BisectState): BisectState {
  const records: Record<string, CommitRecord> = {};
  for (const [key, r] of Object.entries(state.records)) records[key] = { ...r, boots: [...r.boots], times: [...r.times] };
  return {
    ...state,
    records,
    calibration: { ...state.calibration },
    verify: state.verify === null ? null : { ...state.verify },
    exhausted: [...state.exhausted],
    steps: [...state.steps],
    warnings: [...state.warnings],
    ...(state.hosts === undefined ? {} : { hosts: cloneHosts(state.hosts) }),
  };
}

// "GOOD (sha)" or "BAD (sha)", for messages.
export function describeEndpoint(state: BisectState, index: number): string {
  return `${index === 0 ? 'GOOD' : 'BAD'} (${commitAt(state, index)})`;
}

// The indices of a block, first to last.
export function rangeOf(block: Block): number[] {
  return Array.from({ length: block.last - block.first + 1 }, (_, i) => block.first + i);
}
