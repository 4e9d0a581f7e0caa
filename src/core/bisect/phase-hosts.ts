// The phases with several measurement hosts (hosts.ts). Calibration: every
// host boots GOOD and BAD, interleaved, and the looks add the hosts' within-
// host evidence up (hosts-calibration.ts); then every host pins its own
// levels down. Bisection: each idle host starts a sequential test of the
// commit that is most informative given the tests the other hosts are
// running (posterior.ts, chooseBatchCommit), judged against its own
// endpoints; the hosts' verdicts move one posterior. Verification: on one
// host, by the single-host phase on that host's view; with three hosts or
// more it may start on that host while the others still bisect
// (hosts-early-verify.ts). Pure.

import { decideSprt } from '../stats/index.ts';
import type { VerdictKind } from '../verdict.ts';
import { computeCalibrationSchedule } from './calibration.ts';
import { evaluateHostsCalibration } from './hosts-calibration.ts';
import { getHostsDerived, requireHosts, viewHost, viewVerifyHost } from './hosts.ts';
import { isEarlyFor, updateEarlyVerification } from './hosts-early-verify.ts';
import { getRecord, readLogBoots, sumBootLlr, type LogModel } from './model.ts';
import { checkEndpointsMeasurable, concludeLook } from './phase-calibrate.ts';
import { stopForBudget } from './phase-bisect.ts';
import { advanceVerification, startVerification } from './phase-verify.ts';
import { chooseBatchCommit, tiltPosterior, type Block } from './posterior.ts';
import { countAllBoots, countBuilds, findStateLeadingBlock } from './queries.ts';
import { updateReferenceSpacing } from './references.ts';
import { settlePhases } from './phase-machine.ts';
import { ensureRecord } from './state.ts';
import { pushCommitStep } from './steps.ts';
import type { BisectState, HostsState } from './types.ts';

// Runs the machine until it needs data it does not have.
export function advanceHosts(state: BisectState): void {
  settlePhases(state, { calibrate: advanceHostsCalibration, bisect: advanceHostsBisection, verify: advanceHostsVerification });
}

// Returns true when the phase changed. Looks are taken when every host has
// the look's boots of both endpoints (hosts boot in step, so none waits long).
function advanceHostsCalibration(state: BisectState): boolean {
  if (!checkEndpointsMeasurable(state)) return false;
  const hosts = requireHosts(state);
  const last = state.commits.length - 1;
  const looks = computeCalibrationSchedule(state.config);
  for (;;) {
    const { views } = getHostsDerived(state);
    const endpoints = hosts.names.map((h) => {
      const view = views.get(h) as BisectState;
      return { good: readLogBoots(view, 0), bad: readLogBoots(view, last) };
    });
    const everyHost = Math.min(...endpoints.map((e) => Math.min(e.good.length, e.bad.length)));
    const precision = state.calibration.precisionBoots;
    if (precision !== null) {
      if (everyHost < precision) return false;
      state.phase = 'bisect';
      for (const host of hosts.names) {
        const view = viewHost(state, host);
        updateReferenceSpacing(view);
        hosts.referenceSpacing[host] = view.referenceSpacing;
      }
      return true;
    }
    const look = looks[state.calibration.look];
    if (look === undefined) throw new Error('Calibration went past its last look; this is a bug in kbisect.');
    if (everyHost < look.boots) return false;
    const evaluation = evaluateHostsCalibration(endpoints, look, state.config);
    const boots = {
      good: endpoints.reduce((n, e) => n + e.good.length, 0),
      bad: endpoints.reduce((n, e) => n + e.bad.length, 0),
      test: ` (${look.test === 't' ? 'blocked t-test' : 'van Elteren'} over ${hosts.names.length} hosts)`,
    };
    if (!concludeLook(state, evaluation, look, boots)) return false;
    // Each host's share of one host's precision boots (at least the
    // confirming look's): its level is located by both endpoints under the
    // shared gap (hosts.ts), and keeps sharpening while bisecting as its
    // firmly placed commits lend their boots. One host's full count per
    // host would cost the same wall time as one host's calibration.
    if (state.calibration.status === 'confirmed' && state.calibration.precisionBoots !== null) {
      state.calibration.precisionBoots = Math.max(look.boots, Math.ceil(state.calibration.precisionBoots / hosts.names.length));
    }
  }
}

// Ends the tests that are decided, verifies once the posterior is confident,
// and gives every idle host a commit to test. Returns true when the phase changed.
function advanceHostsBisection(state: BisectState): boolean {
  const hosts = requireHosts(state);
  const { views, models, posterior } = getHostsDerived(state);
  for (const host of hosts.names) {
    if (hosts.tests[host] === null) continue;
    if (advanceHostTest(state, host, views.get(host) as BisectState, models.get(host) ?? null, posterior)) hosts.tests[host] = null;
  }
  const block = findStateLeadingBlock(state, posterior);
  if (block.probability >= state.config.confidence) {
    startHostsVerification(state, block);
    return true;
  }
  if (countAllBoots(state) >= state.config.maxBoots) {
    for (const host of hosts.names) hosts.tests[host] = null;
    hosts.early = null;
    stopForBudget(state, posterior);
    return false;
  }
  updateEarlyVerification(state, hosts, block);
  for (const host of hosts.names) {
    if (hosts.tests[host] !== null || hosts.early?.host === host) continue;
    const next = chooseForHost(state, hosts, posterior);
    if (next === null) continue;
    const record = ensureRecord(state, next);
    record.rounds++;
    hosts.tests[host] = { index: next, bootsAtStart: hosts.boots[host]?.[String(next)]?.boots.length ?? 0 };
  }
  if (hosts.early === null && hosts.names.every((h) => hosts.tests[h] === null)) stopForBudget(state, posterior);
  return false;
}

// The commit an idle host tests next: the most informative one no host is
// testing (chooseBatchCommit); when none is left, a second host joins the
// running test with the fewest hosts on it, the least settled first, which
// doubles the evidence where the posterior still hesitates (the end of a
// bisection, when fewer commits are worth testing than there are hosts).
function chooseForHost(state: BisectState, hosts: HostsState, posterior: readonly number[]): number | null {
  const pending = hosts.names.flatMap((h) => {
    const test = hosts.tests[h];
    return test === null || test === undefined ? [] : [test.index];
  });
  // the early sandwich's boots weigh on both sides of its pair
  if (hosts.early !== null) pending.push(hosts.early.before, hosts.early.after);
  // builds of commits chosen but not booted yet count against the budget too
  const unbooted = new Set(pending.filter((i) => (getRecord(state, i)?.boots.length ?? 0) === 0 && (getRecord(state, i)?.failures ?? 0) === 0));
  const buildsLeft = countBuilds(state) + unbooted.size < state.config.maxBuilds;
  const exhausted = new Set(state.exhausted);
  const eligible = (i: number): boolean => {
    const record = getRecord(state, i);
    if (record === undefined) return buildsLeft;
    if (record.skipped !== null || record.mark !== null || exhausted.has(i)) return false;
    return buildsLeft || record.boots.length > 0 || record.failures > 0;
  };
  const fresh = chooseBatchCommit(posterior, pending, eligible, state.config.verdictErrorRate);
  if (fresh !== null) return fresh;
  let best: number | null = null;
  let bestKey = Number.POSITIVE_INFINITY;
  for (const index of new Set(pending)) {
    const record = getRecord(state, index);
    if (record === undefined || record.skipped !== null || record.mark !== null) continue;
    const f = computeBadProbability(posterior, index);
    if (f <= state.config.verdictErrorRate || f >= 1 - state.config.verdictErrorRate) continue;
    // fewer hosts first, then the commit closest to an even split
    const key = pending.filter((i) => i === index).length + Math.abs(f - 0.5);
    if (key < bestKey) {
      best = index;
      bestKey = key;
    }
  }
  return best;
}

// P(commit index is bad) = P(first bad ≤ index).
function computeBadProbability(posterior: readonly number[], index: number): number {
  let f = 0;
  for (let k = 0; k < index && k < posterior.length; k++) f += posterior[k] as number;
  return Math.min(1, f);
}

// One host's round on its commit; true when it ended (with a step recorded).
// It ends on the host's own SPRT against its own endpoints, or when the
// evidence of the other commits (other hosts' verdicts, mostly) settled
// this one (P(bad) within the verdict error rate of 0 or 1 without its own
// boots): more boots of it would teach nothing.
function advanceHostTest(state: BisectState, host: string, view: BisectState, model: LogModel | null, posterior: readonly number[]): boolean {
  const hosts = requireHosts(state);
  const test = hosts.tests[host];
  if (test === null || test === undefined) return true;
  const record = getRecord(state, test.index);
  if (record === undefined) return false;
  const on = `on ${host}`;
  if (record.mark !== null) {
    pushCommitStep(view, test.index, record.mark === 'bad' ? 'like-bad' : 'like-good', model, posterior, `marked by hand (test ${on})`);
    return true;
  }
  const roundLogs = readLogBoots(view, test.index).slice(test.bootsAtStart);
  if (record.skipped !== null && roundLogs.length === 0) {
    pushCommitStep(view, test.index, 'skipped', model, posterior, `${record.skipped} (test ${on})`);
    return true;
  }
  const note = `round ${record.rounds} ${on}: ${roundLogs.length} boots`;
  if (model !== null) {
    const atCap = roundLogs.length >= state.config.maxBootsPerCommit || record.skipped !== null;
    if (roundLogs.length >= state.config.minBootsPerCommit || atCap) {
      const llr = sumBootLlr(roundLogs, model);
      const decision = decideSprt(llr, model);
      if (decision !== 'continue' || atCap) {
        const verdict: VerdictKind = decision === 'accept-h1' ? 'like-bad' : decision === 'accept-h0' ? 'like-good' : 'unknown';
        if (verdict === 'unknown' && !state.exhausted.includes(test.index)) state.exhausted.push(test.index);
        const text = `${note}, round LLR ${llr.toFixed(2)}`;
        pushCommitStep(view, test.index, verdict, model, posterior, record.skipped ? `${text}; ${record.skipped}` : text);
        return true;
      }
    }
  }
  // What the other commits' evidence alone says of this one: its own boots
  // are for its SPRTs to weigh, with their minimum and their bounds.
  const { views, models } = getHostsDerived(state);
  let own = 0;
  for (const [h, v] of views) {
    const m = models.get(h);
    if (m) own += sumBootLlr(readLogBoots(v, test.index), m);
  }
  const f = computeBadProbability(tiltPosterior(posterior, test.index, -own), test.index);
  const firm = state.config.verdictErrorRate;
  if (f > firm && f < 1 - firm) return false;
  pushCommitStep(view, test.index, f >= 1 - firm ? 'like-bad' : 'like-good', model, posterior, `${note}, made moot by the other commits' evidence (P(bad) = ${f.toPrecision(3)} without this one's)`);
  return true;
}

// Verification runs on one host: the one that started it early on this
// block (its fresh pairs carry over, hosts-early-verify.ts), else the one
// with the most boots of GOOD and BAD (its levels are the best known; ties
// to the first listed), kept if verification comes back to it after more
// bisecting.
function startHostsVerification(state: BisectState, block: Block): void {
  const hosts = requireHosts(state);
  for (const host of hosts.names) hosts.tests[host] = null;
  const early = isEarlyFor(hosts.early, block) ? hosts.early : null;
  hosts.early = null;
  if (early !== null) hosts.verifyHost = early.host;
  if (hosts.verifyHost === null) {
    const last = state.commits.length - 1;
    const endpointBoots = (h: string) => (hosts.boots[h]?.['0']?.boots.length ?? 0) + (hosts.boots[h]?.[String(last)]?.boots.length ?? 0);
    hosts.verifyHost = hosts.names.reduce((best, h) => (endpointBoots(h) > endpointBoots(best) ? h : best));
  }
  const view = viewVerifyHost(state);
  startVerification(view, block);
  state.phase = view.phase;
  state.verify = view.verify === null || early === null ? view.verify : { ...view.verify, startBefore: early.startBefore, startAfter: early.startAfter };
}

// The single-host verify phase on the verify host's view; what it assigned
// is copied back. Returns true when it sent the machine back to bisecting.
function advanceHostsVerification(state: BisectState): boolean {
  const view = viewVerifyHost(state);
  const sentBack = advanceVerification(view);
  state.phase = view.phase;
  state.verify = view.verify;
  state.verification = view.verification;
  state.final = view.final;
  return sentBack;
}
