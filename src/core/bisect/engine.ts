// The bisection engine: a pure state machine over the ordered candidate list.
// apply(state, event) folds one observation in; nextActions(state) says what
// to do next. The app, a replayed log and the simulator all drive it the same
// way, and the state is plain JSON so that a run resumes where it stopped.
//
// Phases, one file each: calibrate (is BAD really worse than GOOD?), bisect
// (probabilistic bisection, one sequential test per commit), verify (parent
// vs culprit); planning.ts says what to measure next.

import { assertNever, UserError } from '../errors.ts';
import { validateBisectConfig, type BisectConfig } from './config.ts';
import { advanceBisection } from './phase-bisect.ts';
import { advanceCalibration } from './phase-calibrate.ts';
import { advanceVerification } from './phase-verify.ts';
import { checkHostNames, createHostsState, getHostsDerived, recordHostBoot, resolveEventHost, viewHost } from './hosts.ts';
import { advanceHosts } from './phase-hosts.ts';
import { settlePhases } from './phase-machine.ts';
import { nextActions as planSingleHost } from './planning.ts';
import { planHosts } from './planning-hosts.ts';
import { getDerived } from './queries.ts';
import { isReferenceBoot, updateReferenceSpacing } from './references.ts';
import { cloneState, describeEndpoint, ensureRecord, findCommitIndex, summarizeBoot } from './state.ts';
import { pushCommitStep } from './steps.ts';
import type { Action, BisectEvent, BisectState } from './types.ts';

export interface BisectInput {
  /** Oldest → newest; commits[0] is GOOD, the last one BAD. */
  readonly commits: readonly string[];
  readonly config?: Partial<BisectConfig>;
  /**
   * Measurement hosts (hosts.ts). With two or more, every boot event names
   * its host and every measure action the host that must run it, one at a
   * time per host. With one (or none given) the bisection is the single-host
   * one, event for event.
   */
  readonly hosts?: readonly string[];
}

// What the caller should do now (planning.ts; with several hosts, planning-hosts.ts).
export function nextActions(state: BisectState): Action[] {
  return state.hosts === undefined ? planSingleHost(state) : planHosts(state);
}

// Starts a bisection; throws a UserError listing every problem with the input.
export function createBisection(input: BisectInput): BisectState {
  const { config, errors } = validateBisectConfig(input.config ?? {});
  const problems = [...errors];
  if (input.commits.length < 2) problems.push(`Expected at least two commits (GOOD and BAD), got ${input.commits.length}.`);
  if (new Set(input.commits).size !== input.commits.length) problems.push('Expected every commit to appear once in the list, got duplicates.');
  if (input.commits.some((c) => typeof c !== 'string' || c.length === 0)) problems.push('Expected every commit to be a non-empty string.');
  if (input.hosts !== undefined) checkHostNames(input.hosts, problems);
  if (problems.length > 0) throw new UserError(problems.join('\n'), 'Check the revision range and the bisect options.');
  const state: BisectState = {
    version: 1,
    commits: [...input.commits],
    config,
    phase: 'calibrate',
    records: {},
    calibration: { look: 0, status: 'running', precisionBoots: null },
    current: null,
    verify: null,
    verification: null,
    exhausted: [],
    steps: [],
    warnings: [],
    final: null,
    events: 0,
    referenceBoots: 0,
    referenceSpacing: config.referenceEvery,
    ...(input.hosts !== undefined && input.hosts.length >= 2 ? { hosts: createHostsState(input.hosts, config.referenceEvery) } : {}),
  };
  advance(state);
  return state;
}

// Folds events into a fresh bisection: how a run resumes and how a log replays.
export function replay(input: BisectInput, events: readonly BisectEvent[]): BisectState {
  let state = createBisection(input);
  for (const event of events) state = apply(state, event);
  return state;
}

// One observation in, a new state out; the input state is left untouched.
export function apply(state: BisectState, event: BisectEvent): BisectState {
  const next = cloneState(state);
  const index = findCommitIndex(next, event.commit);
  const record = ensureRecord(next, index);
  switch (event.kind) {
    case 'boot': {
      const hosts = next.hosts;
      const host = hosts === undefined ? null : resolveEventHost(hosts, event.host, event.commit);
      const value = summarizeBoot(event.runs, event.commit);
      record.boots.push(value);
      record.times.push(next.events);
      record.runs += event.runs.length;
      record.failureStreak = 0;
      if (hosts !== undefined && host !== null) {
        recordHostBoot(hosts, host, index, value, next.events, event.runs.length);
        // a reference boot of this host, spaced by this host's drift
        const view = viewHost(next, host);
        if (isReferenceBoot(view, index)) {
          next.referenceBoots++;
          updateReferenceSpacing(view);
          hosts.referenceSpacing[host] = view.referenceSpacing;
        }
      } else if (isReferenceBoot(next, index)) {
        next.referenceBoots++;
        updateReferenceSpacing(next);
      }
      break;
    }
    case 'build-failed':
    case 'boot-failed':
      record.failures++;
      record.failureStreak++;
      record.lastFailure = `${event.kind === 'build-failed' ? 'build' : 'boot'} failed: ${event.reason}`;
      // Retried once, then skipped like `git bisect skip`; a commit that has
      // booted before gets one more try, as its failure is likely a flake.
      if (record.failureStreak >= (record.boots.length === 0 ? 2 : 3) && record.skipped === null) {
        record.skipped = `${record.lastFailure} (${record.failureStreak} times in a row)`;
      }
      break;
    case 'skip':
      if (index === 0 || index === next.commits.length - 1) {
        throw new UserError(`Cannot skip ${describeEndpoint(next, index)}: the bisection needs both endpoints.`, 'Choose other GOOD/BAD revisions instead.');
      }
      record.skipped = `skipped by the user: ${event.reason}`;
      break;
    case 'mark':
      if ((index === 0 && event.as === 'bad') || (index === next.commits.length - 1 && event.as === 'good')) {
        throw new UserError(`Cannot mark ${describeEndpoint(next, index)} as ${event.as}.`, 'Start a new bisection with the corrected endpoints.');
      }
      record.mark = event.as;
      break;
    default:
      assertNever(event, 'event');
  }
  next.events++;
  // A mark on the commit under test ends its test inside advance(); any other is recorded here.
  if (event.kind === 'mark' && next.hosts !== undefined) {
    const hosts = next.hosts;
    const tested = hosts.names.some((h) => hosts.tests[h]?.index === index);
    if (!tested && index > 0 && index < next.commits.length - 1) {
      // the step shows the first host's boots of the commit, if any
      const host = hosts.names[0] as string;
      const { models, posterior, views } = getHostsDerived(next);
      pushCommitStep(views.get(host) as BisectState, index, event.as === 'bad' ? 'like-bad' : 'like-good', models.get(host) ?? null, posterior, 'marked by hand');
    }
  } else if (event.kind === 'mark' && next.current?.index !== index && index > 0 && index < next.commits.length - 1) {
    const { model, posterior } = getDerived(next);
    pushCommitStep(next, index, event.as === 'bad' ? 'like-bad' : 'like-good', model, posterior, 'marked by hand');
  }
  if (next.phase !== 'done') advance(next);
  return next;
}

// Runs the machine until it needs data it does not have.
function advance(state: BisectState): void {
  if (state.hosts !== undefined) {
    advanceHosts(state);
    return;
  }
  settlePhases(state, { calibrate: advanceCalibration, bisect: advanceBisection, verify: advanceVerification });
}
