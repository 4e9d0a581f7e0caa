import { describe, expect, it } from 'vitest';
import { apply, createBisection, nextActions, replay, type BisectEvent, type BisectState } from '../../../src/core/bisect/index.ts';
import { getHostsDerived, viewHost } from '../../../src/core/bisect/hosts.ts';
import { readLogBoots } from '../../../src/core/bisect/model.ts';
import { testStudentT } from '../../../src/core/bisect/calibration.ts';
import { chooseBatchCommit, chooseNextCommit, computePosterior } from '../../../src/core/bisect/posterior.ts';
import { UserError } from '../../../src/core/errors.ts';
import { createRng } from '../../../src/core/rng.ts';
import { makeCommits, runHostsLab, runLab, simulateEvent, type LabTruth } from './simulated-lab.ts';

const COMMITS = makeCommits(64);
const GOOD = COMMITS[0] as string;
const BAD = COMMITS[63] as string;
const truth: LabTruth = { commits: 64, changes: new Map([[37, -0.05]]) };
const FAST = Math.log(1.3);

// Boots from `truth` on each host (host → log offset) until calibration is over.
function calibrateHosts(offsets: Readonly<Record<string, number>>, seed: number): BisectState {
  const rng = createRng(seed);
  let state = createBisection({ commits: COMMITS, hosts: Object.keys(offsets), config: { seed } });
  for (let i = 0; i < 200 && state.phase === 'calibrate'; i++) {
    for (const action of nextActions(state)) {
      if (action.kind !== 'measure' || action.host === undefined) continue;
      const event = simulateEvent(truth, COMMITS, action.commit, rng, offsets[action.host]);
      state = apply(state, { ...event, host: action.host } as BisectEvent);
    }
  }
  return state;
}

// A boot of a commit on a host at its true level there, noise-free.
function exactBoot(commit: string, host: string, offset: number): BisectEvent {
  const index = COMMITS.indexOf(commit);
  const level = index >= 37 ? Math.log(0.95) : 0;
  return { kind: 'boot', commit, host, runs: [9400 * Math.exp(level + offset)] };
}

describe('one host', () => {
  it('is the single-host bisection: same state, actions and result, a host field on boots or not', () => {
    const plain = runLab({ commits: COMMITS, config: { seed: 3 } }, truth, 3);
    const tagged = plain.events.map((e) => (e.kind === 'boot' ? { ...e, host: 'only' } : e));
    const one = replay({ commits: COMMITS, config: { seed: 3 }, hosts: ['only'] }, tagged);
    expect(JSON.stringify(one)).toBe(JSON.stringify(plain.state));
    expect(createBisection({ commits: COMMITS, hosts: ['only'] })).toEqual(createBisection({ commits: COMMITS }));
    expect(nextActions(createBisection({ commits: COMMITS, hosts: ['only'] }))).toEqual(nextActions(createBisection({ commits: COMMITS })));
  });
});

describe('several hosts', () => {
  it('rejects a boot without its host or from an unknown one, and bad host lists', () => {
    const state = createBisection({ commits: COMMITS, hosts: ['a', 'b'] });
    expect(() => apply(state, { kind: 'boot', commit: GOOD, runs: [1] })).toThrow(/name its host \(one of a, b\), got none/);
    expect(() => apply(state, { kind: 'boot', commit: GOOD, runs: [1], host: 'c' })).toThrow(UserError);
    expect(() => createBisection({ commits: COMMITS, hosts: ['a', 'a'] })).toThrow(/every host to appear once/);
  });

  it('gives every host at most one boot to do, addressed to it; all hosts calibrate at once', () => {
    const actions = nextActions(createBisection({ commits: COMMITS, hosts: ['a', 'b', 'c'] }));
    const measures = actions.filter((a) => a.kind === 'measure');
    expect(measures.map((m) => m.kind === 'measure' && m.host).sort()).toEqual(['a', 'b', 'c']);
    for (const m of measures) if (m.kind === 'measure') expect([m.commit, m.boots, m.phase]).toEqual([expect.stringMatching(new RegExp(`^(${GOOD}|${BAD})$`)), 1, 'calibrate']);
  });

  it('judges a boot against its own host: a slow host’s good commit is like GOOD though a host 30% faster exists', () => {
    let state = calibrateHosts({ slow: 0, fast: FAST }, 11);
    expect(state.phase).toBe('bisect');
    // a commit before the culprit, booted on the slow host only, exactly at that host's GOOD level
    for (let i = 0; i < 3; i++) state = apply(state, exactBoot('commit-20', 'slow', 0));
    const { posterior } = getHostsDerived(state);
    const badBefore20 = posterior.slice(0, 20).reduce((a, b) => a + b, 0);
    expect(badBefore20).toBeLessThan(0.01);
    // and the fast host's bad commit is like BAD, though it beats the slow host's GOOD by 23%
    for (let i = 0; i < 3; i++) state = apply(state, exactBoot('commit-50', 'fast', FAST));
    const after = getHostsDerived(state).posterior;
    expect(after.slice(0, 50).reduce((a, b) => a + b, 0)).toBeGreaterThan(0.99);
  });

  it('multiplies the hosts’ evidence into one posterior as independent likelihoods', () => {
    const start = calibrateHosts({ a: 0, b: FAST }, 12);
    // one boot of commit-30 on each host, a little worse than its host's midpoint
    const weak = (host: string, offset: number): BisectEvent => ({ kind: 'boot', commit: 'commit-30', host, runs: [9400 * Math.exp(offset + Math.log(0.965))] });
    // log of the Bayes factor for "first bad ≤ 30" (the prior is uniform over 63 candidates)
    const logFactor = (s: BisectState) => {
      const mass = getHostsDerived(s).posterior.slice(0, 30).reduce((x, y) => x + y, 0);
      return Math.log(mass / (1 - mass) / (30 / 33));
    };
    const onA = logFactor(apply(start, weak('a', 0)));
    const onB = logFactor(apply(start, weak('b', FAST)));
    const both = logFactor(apply(apply(start, weak('a', 0)), weak('b', FAST)));
    expect(onA).toBeGreaterThan(0.3);
    expect(onB).toBeGreaterThan(0.3);
    expect(both).toBeCloseTo(onA + onB, 9);
  });

  it.each([
    ['2 hosts, one 30% faster', { slow: { offset: 0 }, fast: { offset: FAST } }],
    ['3 hosts', { a: { offset: 0 }, b: { offset: FAST }, c: { offset: -0.1 } }],
  ])('finds the culprit on %s, the hosts booting in parallel', (_name, hosts) => {
    const run = runHostsLab({ commits: COMMITS, config: { seed: 5 } }, truth, hosts, 5);
    expect(run.result.outcome).toBe('culprit');
    expect(run.result.culprit?.commit).toBe('commit-37');
    expect(run.slots).toBeLessThan(0.8 * run.result.boots);
    expect(run.result.hosts?.interaction.found).toBe(false);
    expect(Object.keys(hosts)).toContain(run.result.hosts?.verifyHost);
  });

  it('runs verification on one host only', () => {
    const hosts = { a: { offset: 0 }, b: { offset: FAST }, c: { offset: -0.1 } };
    let state = createBisection({ commits: COMMITS, hosts: Object.keys(hosts), config: { seed: 8 } });
    const rngs = { a: createRng(1), b: createRng(2), c: createRng(3) };
    const verifyingHosts = new Set<string>();
    for (let round = 0; round < 2000 && state.phase !== 'done'; round++) {
      for (const action of nextActions(state)) {
        if (action.kind !== 'measure' || action.host === undefined) continue;
        const host = action.host as keyof typeof hosts;
        if (action.phase === 'verify') verifyingHosts.add(host);
        const event = simulateEvent(truth, COMMITS, action.commit, rngs[host], hosts[host].offset);
        state = apply(state, { ...event, host } as BisectEvent);
      }
    }
    expect(state.phase).toBe('done');
    expect([...verifyingHosts]).toEqual([state.hosts?.verifyHost]);
  });

  it('takes the sandwich’s first look on the verify host’s fresh pairs alone, with their own σ (no other boots, no other host’s)', () => {
    const hosts = { a: { offset: 0 }, b: { offset: FAST }, c: { offset: -0.1 } };
    let state = createBisection({ commits: COMMITS, hosts: Object.keys(hosts), config: { seed: 8 } });
    const rngs = { a: createRng(1), b: createRng(2), c: createRng(3) };
    let checked = 0;
    for (let round = 0; round < 2000 && state.phase !== 'done'; round++) {
      for (const action of nextActions(state)) {
        if (action.kind !== 'measure' || action.host === undefined) continue;
        const host = action.host as keyof typeof hosts;
        const previous = state;
        state = apply(state, { ...simulateEvent(truth, COMMITS, action.commit, rngs[host], hosts[host].offset), host } as BisectEvent);
        const look = state.steps.slice(previous.steps.length).find((s) => s.phase === 'verify' && s.note.startsWith('fresh interleaved boots'));
        // the pair and where its fresh boots began: the verify target, or the early sandwich it took over
        const pair = previous.verify ?? previous.hosts?.early ?? null;
        if (look === undefined || pair === null) continue;
        // σ pooled over the host's calmer boots let a load spell inside the fresh pairs pass for a change
        expect(look.note).toMatch(/\(t-test, look 1\//);
        // the same test, recomputed on the verify host's fresh boots alone
        const view = viewHost(state, state.hosts?.verifyHost as string);
        const { before, after, startBefore, startAfter } = pair;
        const own = testStudentT(readLogBoots(view, before).slice(startBefore), readLogBoots(view, after).slice(startAfter), state.config.direction, 0.95);
        expect(look.p).toBe(own.p);
        checked++;
      }
    }
    expect(state.final?.first).toBe(37);
    expect(checked).toBeGreaterThan(0);
  });

  it('reports a host whose GOOD→BAD gap differs from the others’, with a warning, instead of averaging it away', () => {
    const hosts = { a: { offset: 0 }, b: { offset: FAST }, c: { offset: -0.1, changeScale: 3 } };
    const run = runHostsLab({ commits: COMMITS, config: { seed: 9 } }, truth, hosts, 9);
    expect(run.result.culprit?.commit).toBe('commit-37');
    const summary = run.result.hosts;
    expect(summary?.interaction.found).toBe(true);
    expect(summary?.interaction.host).toBe('c');
    const gapOf = (h: string) => summary?.gaps.find((g) => g.host === h)?.ratio ?? 1;
    expect(gapOf('c')).toBeLessThan(0.9);
    expect(gapOf('a')).toBeGreaterThan(0.92);
    expect(run.result.warnings.join('\n')).toMatch(/^Host c sees GOOD→BAD as .*host × commit interaction/m);
  });
});

describe('chooseBatchCommit', () => {
  const flat = computePosterior(65, []);
  const always = () => true;

  it('without pending tests is chooseNextCommit’s choice', () => {
    const skewed = computePosterior(65, [{ index: 20, llr: 3 }, { index: 40, llr: -1 }]);
    for (const posterior of [flat, skewed]) expect(chooseBatchCommit(posterior, [], always, 0.01)).toBe(chooseNextCommit(posterior, always, 0.01));
  });

  it('splits the heaviest segment the pending tests leave, at its median', () => {
    expect(chooseBatchCommit(flat, [32], always, 0.01)).toBe(16);
    expect(chooseBatchCommit(flat, [16, 32], always, 0.01)).toBe(48);
  });

  it('passes over commits the posterior already places firmly and ineligible ones', () => {
    const settled = computePosterior(65, [{ index: 30, llr: 9 }, { index: 29, llr: -9 }]);
    expect(chooseBatchCommit(settled, [], always, 0.01)).toBeNull();
    expect(chooseBatchCommit(flat, [32], (i) => i !== 16, 0.01)).toBe(48);
    expect(chooseBatchCommit(flat, [32], (i) => i !== 16 && i !== 48, 0.01)).toBe(15);
  });
});
