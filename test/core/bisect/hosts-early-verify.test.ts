import { describe, expect, it } from 'vitest';
import { apply, createBisection, nextActions, type BisectEvent, type BisectState } from '../../../src/core/bisect/index.ts';
import { countEarlyPairs, EARLY_KEEP_PROBABILITY, EARLY_START_PROBABILITY, updateEarlyVerification } from '../../../src/core/bisect/hosts-early-verify.ts';
import { recordHostBoot, requireHosts } from '../../../src/core/bisect/hosts.ts';
import { createRng } from '../../../src/core/rng.ts';
import { makeCommits, simulateEvent, type LabTruth } from './simulated-lab.ts';

const COMMITS = makeCommits(64);
const truth: LabTruth = { commits: 64, changes: new Map([[37, -0.05]]) };
const block = (probability: number, first = 37) => ({ first, last: first, probability });

// A fresh 3-host state in the bisect phase; host b has the most endpoint boots.
function bisecting(names: readonly string[] = ['a', 'b', 'c']): BisectState {
  const state = createBisection({ commits: COMMITS, hosts: names, config: { seed: 1 } });
  state.phase = 'bisect';
  const hosts = requireHosts(state);
  for (const [host, n] of names.map((h, j) => [h, j === 1 ? 4 : 3] as const)) {
    for (let i = 0; i < n; i++) {
      recordHostBoot(hosts, host, 0, 9.1, i, 1);
      recordHostBoot(hosts, host, 63, 9.0, i, 1);
    }
  }
  return state;
}

describe('updateEarlyVerification', () => {
  it('starts the sandwich of a likely leader on the idle host with the most GOOD and BAD boots, fresh boots counted from then on', () => {
    const state = bisecting();
    const hosts = requireHosts(state);
    recordHostBoot(hosts, 'b', 36, 9.1, 7, 1);
    updateEarlyVerification(state, hosts, block(EARLY_START_PROBABILITY - 0.01));
    expect(hosts.early).toBeNull();
    updateEarlyVerification(state, hosts, block(EARLY_START_PROBABILITY));
    expect(hosts.early).toEqual({ host: 'b', before: 36, after: 37, startBefore: 1, startAfter: 0 });
    expect(hosts.verifyHost).toBe('b');
    recordHostBoot(hosts, 'b', 36, 9.1, 8, 1);
    recordHostBoot(hosts, 'b', 37, 9.0, 9, 1);
    expect(countEarlyPairs(hosts, hosts.early!)).toBe(1);
  });

  it('never takes a host off its test, and waits for the verify host once there is one', () => {
    const state = bisecting();
    const hosts = requireHosts(state);
    hosts.tests = { a: { index: 10, bootsAtStart: 0 }, b: { index: 20, bootsAtStart: 0 }, c: { index: 30, bootsAtStart: 0 } };
    updateEarlyVerification(state, hosts, block(0.9));
    expect(hosts.early).toBeNull();
    hosts.tests.a = null;
    hosts.verifyHost = 'c';
    updateEarlyVerification(state, hosts, block(0.9));
    expect(hosts.early).toBeNull();
    hosts.tests.c = null;
    updateEarlyVerification(state, hosts, block(0.9));
    expect(hosts.early?.host).toBe('c');
  });

  it('keeps the pair while it leads above EARLY_KEEP_PROBABILITY, drops it when the leader moves or weakens', () => {
    const state = bisecting();
    const hosts = requireHosts(state);
    updateEarlyVerification(state, hosts, block(0.5));
    const started = hosts.early;
    updateEarlyVerification(state, hosts, block(EARLY_KEEP_PROBABILITY));
    expect(hosts.early).toBe(started);
    updateEarlyVerification(state, hosts, block(EARLY_KEEP_PROBABILITY / 2));
    expect(hosts.early).toBeNull();
    updateEarlyVerification(state, hosts, block(0.5));
    updateEarlyVerification(state, hosts, block(0.5, 40));
    expect(hosts.early).toMatchObject({ before: 39, after: 40 });
  });

  it('leaves two hosts both bisecting', () => {
    const state = bisecting(['a', 'b']);
    updateEarlyVerification(state, requireHosts(state), block(0.9));
    expect(requireHosts(state).early).toBeNull();
  });
});

describe('early verification in a bisection on 3 hosts', () => {
  it('boots the pair on one host while the others bisect, and the verify phase starts with those fresh pairs', () => {
    const offsets: Record<string, number> = { a: 0, b: 0.2, c: -0.1 };
    const rngs: Record<string, ReturnType<typeof createRng>> = { a: createRng(1), b: createRng(2), c: createRng(3) };
    let state = createBisection({ commits: COMMITS, hosts: Object.keys(offsets), config: { seed: 8 } });
    let overlapped = 0;
    let carried: { startBefore: number; startAfter: number } | null = null;
    for (let round = 0; round < 2000 && state.phase !== 'done'; round++) {
      const actions = nextActions(state).filter((a) => a.kind === 'measure');
      const phases = new Set(actions.map((a) => (a.kind === 'measure' ? a.phase : null)));
      if (state.phase === 'bisect' && phases.has('verify') && phases.has('bisect')) overlapped++;
      const early = state.hosts?.early ?? null;
      for (const action of actions) {
        if (action.kind !== 'measure' || action.host === undefined) continue;
        const event = simulateEvent(truth, COMMITS, action.commit, rngs[action.host]!, offsets[action.host]);
        const wasBisecting = state.phase === 'bisect';
        state = apply(state, { ...event, host: action.host } as BisectEvent);
        if (wasBisecting && state.phase === 'verify' && early !== null && state.verify?.before === early.before) {
          carried = { startBefore: early.startBefore, startAfter: early.startAfter };
          expect([state.verify.startBefore, state.verify.startAfter, state.hosts?.verifyHost]).toEqual([early.startBefore, early.startAfter, early.host]);
        }
      }
    }
    expect(state.phase).toBe('done');
    expect(state.final?.first).toBe(37);
    expect(overlapped).toBeGreaterThan(0);
    expect(carried).not.toBeNull();
    const verifyStep = state.steps.find((s) => s.phase === 'verify');
    expect(verifyStep?.note).toMatch(/fresh interleaved boots/);
  });
});
