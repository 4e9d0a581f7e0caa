// The run loop of a multi-host bisection (app/bisect/hosts-loop.ts) driving
// the real engine: hosts measure at once, an idle host gets work while the
// others still measure, and nothing in flight is dropped when the
// bisection ends or a host fails.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { apply, createBisection, summarize } from '../../src/core/bisect/index.ts';
import type { BisectState } from '../../src/core/bisect/types.ts';
import { runHostsLoop, type MeasureAction } from '../../src/app/bisect/hosts-loop.ts';
import type { Stage } from '../../src/app/bisect/stage.ts';

const commits = Array.from({ length: 16 }, (_, i) => `c${i}`);
const CULPRIT = 9;
// host b reads 1.5× host a: only per-host judging finds the culprit
const SCALE: Record<string, number> = { a: 1, b: 1.5 };

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const stage: Stage = { prefetch() {}, async measure() {} };

function harness(seed: number, opts: { failOn?: (host: string, call: number) => boolean; delayMs?: (host: string) => number } = {}) {
  let state: BisectState = createBisection({ commits, hosts: ['a', 'b'], config: { seed } });
  const rnd = seeded(seed);
  let inFlight = 0;
  let maxInFlight = 0;
  const calls = { a: 0, b: 0 } as Record<string, number>;
  const measure = async (action: MeasureAction & { host: string }): Promise<void> => {
    const call = (calls[action.host] ?? 0) + 1;
    calls[action.host] = call;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await sleep(opts.delayMs?.(action.host) ?? 1 + Math.floor(rnd() * 3));
      if (opts.failOn?.(action.host, call) === true) throw new Error(`host ${action.host} failed`);
      const index = commits.indexOf(action.commit);
      const level = (index >= CULPRIT ? 80 : 100) * (SCALE[action.host] ?? 1);
      state = apply(state, { kind: 'boot', commit: action.commit, runs: [level * (1 + (rnd() - 0.5) * 0.02)], host: action.host });
    } finally {
      inFlight--;
    }
  };
  return { state: () => state, measure, stats: () => ({ inFlight, maxInFlight, calls }) };
}

describe('runHostsLoop', () => {
  it('measures on both hosts at once and finds the culprit though the hosts read 1.5× apart', async () => {
    const h = harness(7);
    await runHostsLoop({ state: h.state, stage, measure: h.measure });
    const result = summarize(h.state());
    expect(result.outcome).toBe('culprit');
    expect(result.culprit?.commit).toBe(`c${CULPRIT}`);
    expect(h.stats().maxInFlight).toBe(2);
    expect(h.stats().calls.a).toBeGreaterThan(3);
    expect(h.stats().calls.b).toBeGreaterThan(3);
    expect(h.stats().inFlight).toBe(0);
    expect(result.hosts?.names).toEqual(['a', 'b']);
  });

  it('gives an idle host its next boot while a slow host is still measuring', async () => {
    // b takes 10× as long as a: a must not wait for b between its boots
    const h = harness(3, { delayMs: (host) => (host === 'b' ? 30 : 3) });
    await runHostsLoop({ state: h.state, stage, measure: h.measure });
    expect(summarize(h.state()).culprit?.commit).toBe(`c${CULPRIT}`);
    expect(h.stats().calls.a).toBeGreaterThan(3 * (h.stats().calls.b ?? 0));
  });

  it('when a host fails, lets the other host finish its boot (recorded) before the error goes up', async () => {
    const h = harness(11, { failOn: (host, call) => host === 'b' && call === 3, delayMs: (host) => (host === 'a' ? 20 : 1) });
    let eventsAtThrow = -1;
    const error = await runHostsLoop({ state: h.state, stage, measure: h.measure }).catch((e: unknown) => {
      eventsAtThrow = h.state().events;
      return e;
    });
    expect((error as Error).message).toBe('host b failed');
    expect(h.stats().inFlight).toBe(0);
    // a's boot that was in flight when b failed is in the state
    expect(h.state().events).toBe(eventsAtThrow);
    expect(h.stats().calls.a).toBeGreaterThan(0);
  });

  it('stops asking when stopWhen says so, after the boots in flight', async () => {
    const h = harness(5);
    await runHostsLoop({ state: h.state, stage, measure: h.measure, stopWhen: (s) => s.events >= 6 });
    expect(h.state().events).toBeGreaterThanOrEqual(6);
    expect(h.state().events).toBeLessThanOrEqual(7);
    expect(h.stats().inFlight).toBe(0);
  });
});
