import { describe, expect, it } from 'vitest';
import { apply, createBisection, nextActions, summarize, type BisectEvent, type BisectState } from '../../../src/core/bisect/index.ts';
import { fitDrift } from '../../../src/core/bisect/drift.ts';
import { createRng, nextNormal } from '../../../src/core/rng.ts';
import { makeCommits, runLab, type LabTruth } from './simulated-lab.ts';

const COMMITS = makeCommits(16);
const GOOD = COMMITS[0] as string;
const BAD = COMMITS[15] as string;
const boot = (commit: string, value: number): BisectEvent => ({ kind: 'boot', commit, runs: [value] });

// GOOD and BAD (−30%) alternately, on a host slowing down by `slope` per event.
function trendingEndpoints(pairs: number, slope: number, referenceEvery: number): BisectState {
  let state = createBisection({ commits: COMMITS, config: { referenceEvery } });
  for (let i = 0; i < pairs; i++) {
    state = apply(state, boot(GOOD, 1000 * Math.exp(-slope * state.events)));
    state = apply(state, boot(BAD, 700 * Math.exp(-slope * state.events)));
  }
  return state;
}

describe('fitDrift', () => {
  it('follows a steady slowdown from the endpoint boots alone', () => {
    const state = trendingEndpoints(10, 0.02, 2);
    const fit = fitDrift(state);
    // Inside the series the running median of a straight line is the line itself.
    expect(fit.offsetAt(12.5) - fit.offsetAt(5.5)).toBeCloseTo(-0.02 * 7, 6);
    expect(fit.offsetAt(15) - fit.offsetAt(4)).toBeCloseTo(-0.02 * 11, 6);
    // Beyond the last endpoint boot it holds the latest estimate.
    expect(fit.offsetAt(30)).toBe(fit.offsetAt(40));
  });

  it('is zero when the host is taken as stationary (referenceEvery 0)', () => {
    const fit = fitDrift(trendingEndpoints(10, 0.02, 0));
    expect([0, 7, 19].map((t) => fit.offsetAt(t))).toEqual([0, 0, 0]);
  });

  it('waits for three boots per endpoint before estimating anything', () => {
    const fit = fitDrift(trendingEndpoints(2, 0.02, 2));
    expect(fit.offsetAt(2)).toBe(0);
  });

  it('is not moved by one wild reference boot', () => {
    let state = trendingEndpoints(8, 0.02, 2);
    const shape = (t: number) => fitDrift(state).offsetAt(t) - fitDrift(state).offsetAt(5.5);
    const before = shape(15.5);
    // 70% below the trend (log −1.2), right next to t = 15.5
    state = apply(state, boot(GOOD, 300 * Math.exp(-0.02 * state.events)));
    expect(Math.abs(shape(15.5) - before)).toBeLessThan(0.03);
  });

  it('stays out of the way on a steady host, where it would only add noise', () => {
    const rng = createRng(7);
    let state = createBisection({ commits: COMMITS, config: { referenceEvery: 2 } });
    for (let i = 0; i < 12; i++) {
      state = apply(state, boot(GOOD, 1000 * Math.exp(0.05 * nextNormal(rng))));
      state = apply(state, boot(BAD, 700 * Math.exp(0.05 * nextNormal(rng))));
    }
    const fit = fitDrift(state);
    expect([0, 5, 11, 23, 30].map((t) => fit.offsetAt(t))).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('reference boots', () => {
  it('rules 1: once bisecting, never more than 2 boots of other commits follow an endpoint boot; GOOD and BAD take turns', () => {
    const truth: LabTruth = { commits: 16, changes: new Map([[11, -0.3]]) };
    const { events } = runLab({ commits: COMMITS, config: { referenceEvery: 2, seed: 3, rules: 1 } }, truth, 5);
    const order = events.map((e) => e.commit);
    const firstOther = order.findIndex((c) => c !== GOOD && c !== BAD);
    const refs = order.slice(firstOther).filter((c) => c === GOOD || c === BAD);
    expect(refs.length).toBeGreaterThanOrEqual(2);
    // Never more than 2 boots of other commits in a row once bisecting.
    let run = 0;
    for (const c of order.slice(firstOther)) {
      run = c === GOOD || c === BAD ? 0 : run + 1;
      expect(run).toBeLessThanOrEqual(2);
    }
    // Alternating: no endpoint is used twice in a row as the reference.
    for (let i = 1; i < refs.length; i++) expect(refs[i]).not.toBe(refs[i - 1]);
  });

  it('are marked as references in the actions, and counted as such in the result', () => {
    const truth: LabTruth = { commits: 16, changes: new Map([[11, -0.3]]) };
    const { states } = runLab({ commits: COMMITS, config: { referenceEvery: 2, seed: 3 } }, truth, 5, { keepStates: true });
    const references = states.flatMap((s) => nextActions(s)).filter((a) => a.kind === 'measure' && a.reference === true);
    expect(references.length).toBeGreaterThan(0);
    for (const a of references) expect(a.kind === 'measure' && (a.commit === GOOD || a.commit === BAD)).toBe(true);
    const last = states.at(-1) as BisectState;
    // every boot of GOOD or BAD after calibration that verification did not ask for
    const calibrated = states.findIndex((s) => s.phase !== 'calibrate');
    const endpointBootsAfter = (last.records['0']?.times ?? []).concat(last.records['15']?.times ?? []).filter((t) => t >= calibrated).length;
    expect(summarize(last).referenceBoots).toBe(last.referenceBoots);
    expect(last.referenceBoots).toBeGreaterThan(0);
    expect(last.referenceBoots).toBeLessThanOrEqual(endpointBootsAfter);
  });
});

// Rules 2: the spacing of reference boots after each one, over a whole bisection
// of 1024 commits with a 4% step (about 2.4σ), referenceEvery 2.
function traceSpacing(host: Partial<LabTruth>, seed: number, rules: 1 | 2 = 2) {
  const culprit = 100 + seed * 97;
  const truth: LabTruth = { commits: 1024, changes: new Map([[culprit, -0.04]]), ...host };
  const run = runLab({ commits: makeCommits(1024), config: { referenceEvery: 2, seed, minEffect: 0.02, rules } }, truth, 100 + seed, { keepStates: true });
  const spacing: { boot: number; spacing: number }[] = [];
  run.states.forEach((state, boot) => {
    if (state.referenceBoots > (run.states[boot - 1]?.referenceBoots ?? 0)) spacing.push({ boot, spacing: state.referenceSpacing });
  });
  return { spacing, references: run.state.referenceBoots, right: run.result.culprit?.commit === `commit-${culprit}` };
}

describe('reference spacing (rules 2)', () => {
  it.each([1, 2, 3, 4])('a steady host gets spaced-out references, fewer than at a fixed spacing of 2 (seed %i)', (seed) => {
    const adaptive = traceSpacing({}, seed);
    const fixed = traceSpacing({}, seed, 1);
    expect(adaptive.right).toBe(true);
    expect(Math.max(...adaptive.spacing.map((s) => s.spacing))).toBeGreaterThanOrEqual(4);
    expect(adaptive.references).toBeLessThan(fixed.references);
    // doubling, one step at a time
    for (let i = 1; i < adaptive.spacing.length; i++) {
      const [before, after] = [adaptive.spacing[i - 1]?.spacing ?? 2, adaptive.spacing[i]?.spacing ?? 2];
      expect([before, 2 * before, 2]).toContain(after);
    }
  });

  it.each([1, 2, 3, 4])('a host drifting from the start (σ/4 per boot) keeps them at 2 (seed %i)', (seed) => {
    const { spacing, right } = traceSpacing({ driftStep: 0.017 / 4 }, seed);
    expect(right).toBe(true);
    expect(spacing.length).toBeGreaterThan(10);
    expect(spacing.every((s) => s.spacing === 2)).toBe(true);
  });

  it.each([1, 2, 3, 4])('a host that slows down by 10% at boot 50 gets them back at 2 (seed %i)', (seed) => {
    const { spacing, right } = traceSpacing({ hostShift: (boot) => (boot >= 50 ? Math.log(0.9) : 0) }, seed);
    expect(right).toBe(true);
    expect(spacing.filter((s) => s.boot < 50).some((s) => s.spacing > 2)).toBe(true);
    const afterStep = spacing.filter((s) => s.boot >= 50);
    expect(afterStep.length).toBeGreaterThan(0);
    // at the first or second reference boot after the step, and for good
    expect(afterStep.slice(1).every((s) => s.spacing === 2)).toBe(true);
  });
});

describe('a bisection on a drifting host', () => {
  // The host's speed wanders by 3% per boot (random walk): over the ~40
  // boots of a 64-commit bisection about ±20%, against a 12% regression.
  const commits = makeCommits(64);
  const seeds = Array.from({ length: 12 }, (_, i) => i + 1);
  const accuracy = (referenceEvery: number) =>
    seeds.filter((seed) => {
      const culprit = 5 + ((seed * 17) % 54);
      const truth: LabTruth = { commits: 64, changes: new Map([[culprit, -0.12]]), sigmaBoot: 0.03, driftStep: 0.03 };
      const { result } = runLab({ commits, config: { referenceEvery, seed, minEffect: 0.05 } }, truth, 1000 + seed);
      return result.outcome === 'culprit' && result.culprit?.commit === commits[culprit];
    }).length / seeds.length;

  it('finds the culprit with reference boots, where judging against the calibration levels fails', () => {
    const tracked = accuracy(2);
    const untracked = accuracy(0);
    expect(tracked).toBeGreaterThanOrEqual(11 / 12);
    expect(untracked).toBeLessThan(tracked);
  });
});
