// bench:trace's pieces: the strict trace parser, the replay host (nearest in
// time first, every recorded boot before any twice, failed boots replay as
// failures) and the variance components it reports.
import { describe, expect, it } from 'vitest';
import { createRng, nextNormal, nextUniform } from '../../src/core/rng.ts';
import { describeTrace } from '../../bench/trace/facts.ts';
import { createTraceHost, TraceExhausted } from '../../bench/trace/host.ts';
import { recordSchedule } from '../../bench/trace/schedule.ts';
import { parseTrace, type Trace, type TraceBoot } from '../../bench/trace/trace.ts';

const sha = (i: number): string => i.toString(16).padStart(40, '0');

function makeTrace(boots: TraceBoot[], commits = 3, answer = 2): Trace {
  return {
    kind: 'kbisect-trace',
    version: 1,
    recordedAt: '2026-11-30T06:00:00.000Z',
    note: 'test',
    spec: { commits, culprit: answer, delayUs: 6, bootsPerCommit: 2, seed: 1 },
    profile: 'bench/trace/profile.yaml',
    run: { seconds: 2, runsPerBoot: 3, warmupRuns: 1 },
    host: { qemu: 'QEMU 7.2', cpus: 2, kvm: true },
    commits: Array.from({ length: commits }, (_, i) => ({ sha: sha(i + 1), subject: `c${i}` })),
    answer,
    boots,
  };
}

const at = (minute: number): string => new Date(Date.parse('2026-11-30T06:00:00Z') + minute * 60_000).toISOString();

describe('parseTrace', () => {
  it('takes a well-formed trace and refuses torn or hostile ones with the place named', () => {
    const t = makeTrace([{ commit: 0, at: at(0), ms: 9000, runs: [100, 101, 99], warmup: [98] }]);
    expect(parseTrace(JSON.parse(JSON.stringify(t)))).toEqual(t);
    expect(() => parseTrace({ ...t, boots: [{ ...t.boots[0], commit: 7 }] })).toThrow(/boots\.0\.commit: commit 7 out of range/);
    expect(() => parseTrace({ ...t, answer: 9 })).toThrow(/answer 9 is not a commit/);
    expect(() => parseTrace({ ...t, boots: [{ ...t.boots[0], runs: [-1] }] })).toThrow(/not a kbisect trace/);
    expect(() => parseTrace({ ...t, boots: [{ ...t.boots[0], runs: [] }] })).toThrow(/neither runs nor a failure/);
    expect(() => parseTrace({ ...t, commits: [{ sha: '../../etc', subject: '' }, ...t.commits] })).toThrow(/not a kbisect trace/);
    expect(() => parseTrace('{')).toThrow(/not a kbisect trace/);
  });
});

describe('createTraceHost', () => {
  // commit 0 booted at minutes 0, 10, 20; commit 1 at 5, 15 (failed), 25
  const trace = makeTrace(
    [
      { commit: 0, at: at(0), ms: 9000, runs: [100, 100, 100], warmup: [] },
      { commit: 1, at: at(5), ms: 9000, runs: [50, 51, 52], warmup: [] },
      { commit: 0, at: at(10), ms: 9000, runs: [110, 110, 110], warmup: [] },
      { commit: 1, at: at(15), ms: 9000, runs: [], warmup: [], failed: 'no ready marker' },
      { commit: 0, at: at(20), ms: 9000, runs: [120, 120, 120], warmup: [] },
      { commit: 1, at: at(25), ms: 9000, runs: [60, 61, 62], warmup: [] },
    ],
    3,
    1,
  );

  it('ends the replay when a method wants more boots of a commit than were recorded', () => {
    const host = createTraceHost(trace, 2, createRng(3));
    for (let i = 0; i < 3; i++) expect(host.boot(0).kind).toBe('boot');
    expect(() => host.boot(0)).toThrow(TraceExhausted);
    expect(() => host.boot(0)).toThrow(/commit 0 has 3 recorded boot\(s\)/);
    // the other commits are not used up by it
    expect(host.boot(1).kind).not.toBe('build-failed');
  });

  it('with redraw: draws every recorded boot of a commit once before any twice, nearest to its clock first, and counts redraws', () => {
    const host = createTraceHost(trace, 2, createRng(3), 'redraw');
    const firstThree = [host.boot(0), host.boot(0), host.boot(0)].map((b) => (b.kind === 'boot' ? b.runs[0] : null));
    expect([...firstThree].sort()).toEqual([100, 110, 120]);
    expect(host.redraws()).toBe(0);
    host.boot(0);
    expect(host.redraws()).toBe(1);
  });

  it('gives the first k runs, replays a failed boot as a failed boot, and a commit never recorded as unbuildable', () => {
    const host = createTraceHost(trace, 2, createRng(5), 'redraw');
    const seen = [host.boot(1), host.boot(1), host.boot(1)];
    expect(seen.filter((b) => b.kind === 'boot-failed')).toHaveLength(1);
    for (const b of seen) if (b.kind === 'boot') expect(b.runs).toHaveLength(2);
    expect(host.boot(2)).toEqual({ kind: 'build-failed' });
  });

  it('the first draw is the recorded boot nearest to where the seeded clock starts', () => {
    // across seeds the clock starts everywhere in the recording: each boot of commit 0 comes first for some seed
    // recorded 0..25 min, 6 boots: 5 min a boot, a 30 min cycle
    const firsts = new Set<number>();
    for (let seed = 1; seed <= 40; seed++) {
      const clockMin = nextUniform(createRng(seed)) * 30;
      const nearest = [0, 10, 20].sort((a, b) => Math.abs(a - clockMin) - Math.abs(b - clockMin))[0] as number;
      const b = createTraceHost(trace, 3, createRng(seed)).boot(0);
      expect(b).toEqual({ kind: 'boot', runs: [100 + nearest, 100 + nearest, 100 + nearest] });
      firsts.add(nearest);
    }
    expect(firsts).toEqual(new Set([0, 10, 20]));
  });
});

describe('describeTrace', () => {
  it('recovers the step and the variance components of a synthetic trace', () => {
    const rng = createRng(11);
    const boots: TraceBoot[] = [];
    const sigmaBoot = 0.08;
    const sigmaRun = 0.03;
    let minute = 0;
    for (let round = 0; round < 60; round++) {
      for (let c = 0; c < 4; c++) {
        const level = Math.log(1000) + (c >= 2 ? Math.log(0.9) : 0) + sigmaBoot * nextNormal(rng);
        const runs = Array.from({ length: 3 }, () => Math.exp(level + sigmaRun * nextNormal(rng)));
        boots.push({ commit: c, at: at(minute++), ms: 14_000, runs, warmup: [] });
      }
    }
    const facts = describeTrace(makeTrace(boots, 4, 2));
    expect(facts.step).toBeCloseTo(-0.1, 1);
    expect(facts.sigmaWithin).toBeGreaterThan(0.025);
    expect(facts.sigmaWithin).toBeLessThan(0.035);
    expect(facts.sigmaBetween).toBeGreaterThan(0.065);
    expect(facts.sigmaBetween).toBeLessThan(0.095);
    // 14 s a boot, 1 warm-up + 3 runs of 2 s: 6 s of overhead
    expect(facts.overheadS).toBeCloseTo(6, 5);
    // c_boot = 6 + 2 = 8 s, c_run = 2 s: sqrt(4 · σw²/σb²) ≈ 0.75
    expect(facts.optimalRuns).toBeGreaterThan(0.5);
    expect(facts.optimalRuns).toBeLessThan(1.1);
  });
});

describe('recordSchedule', () => {
  it('is the order the committed trace was recorded in (rounds of seeded permutations)', async () => {
    const { readFileSync } = await import('node:fs');
    const trace = parseTrace(JSON.parse(readFileSync('bench/trace/quiet-udelay12.json', 'utf8')) as unknown);
    expect(recordSchedule(trace.commits.length, trace.spec.bootsPerCommit, trace.spec.seed)).toEqual(trace.boots.map((b) => b.commit));
  });
  it('spreads extra boots of GOOD and BAD over the rounds', () => {
    const s = recordSchedule(6, 4, 3, 10);
    const count = (c: number): number => s.filter((x) => x === c).length;
    expect([count(0), count(5), count(1), count(4)]).toEqual([10, 10, 4, 4]);
    // 6 extra boots over 4 rounds: the first round holds every commit once and one extra GOOD and BAD
    expect([...s.slice(0, 8)].sort((a, b) => a - b)).toEqual([0, 0, 1, 2, 3, 4, 5, 5]);
    expect(() => recordSchedule(6, 4, 3, 2)).toThrow(/endpoint boots ≥ boots/);
    // --endpoint-boots abc
    expect(() => recordSchedule(6, 4, 3, Number.NaN)).toThrow(/expected integers.*got 6, 4, NaN/);
  });
});
