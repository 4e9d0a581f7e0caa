import { describe, expect, it } from 'vitest';
import {
  apply,
  createBisection,
  defaultBisectConfig,
  nextActions,
  posteriorTable,
  replay,
  summarize,
  type Action,
  type BisectEvent,
  type BisectState,
} from '../../../src/core/bisect/index.ts';
import { UserError } from '../../../src/core/errors.ts';
import { createRng } from '../../../src/core/rng.ts';
import { makeCommits, runLab, simulateEvent, type LabTruth } from './simulated-lab.ts';

const COMMITS = makeCommits(64);
const GOOD = COMMITS[0] as string;
const BAD = COMMITS[63] as string;

// Measure actions of a list, as [commit, boots, phase].
function listMeasures(actions: readonly Action[]): [string, number, string][] {
  return actions.flatMap((a) => (a.kind === 'measure' ? [[a.commit, a.boots, a.phase] as [string, number, string]] : []));
}

// Applies boots drawn from `truth` until the engine leaves the calibrate phase.
function calibrate(state: BisectState, truth: LabTruth, seed: number): BisectState {
  const rng = createRng(seed);
  let s = state;
  for (let i = 0; i < 400 && s.phase === 'calibrate'; i++) {
    for (const [commit] of listMeasures(nextActions(s))) s = apply(s, simulateEvent(truth, s.commits, commit, rng));
  }
  return s;
}

const boot = (commit: string, ...runs: number[]): BisectEvent => ({ kind: 'boot', commit, runs });

describe('createBisection', () => {
  it.each([
    ['one commit', { commits: ['a'] }, /at least two commits/],
    ['duplicates', { commits: ['a', 'b', 'a'] }, /appear once/],
    ['empty name', { commits: ['a', ''] }, /non-empty string/],
    ['confidence out of range', { commits: ['a', 'b'], config: { confidence: 1.2 } }, /`confidence` option to be a number in \(0\.5, 1\)/],
    ['min > max boots', { commits: ['a', 'b'], config: { minBootsPerCommit: 9, maxBootsPerCommit: 3 } }, /maxBootsPerCommit/],
    ['direction', { commits: ['a', 'b'], config: { direction: 'up' as never } }, /`direction` option/],
  ])('rejects %s with a UserError', (_name, input, message) => {
    expect(() => createBisection(input)).toThrow(UserError);
    expect(() => createBisection(input)).toThrow(message);
  });

  it.each([
    ['rules 2: the first (t-test) look', 2, defaultBisectConfig.firstLookBoots],
    ['rules 1: the first Mann–Whitney look', 1, defaultBisectConfig.calibrationBoots],
  ] as const)('starts by asking for interleaved GOOD/BAD boots, one each, up to %s, and hints the midpoint build', (_name, rules, boots) => {
    const state = createBisection({ commits: COMMITS, config: { rules } });
    expect(state.phase).toBe('calibrate');
    expect(state.config).toEqual({ ...defaultBisectConfig, rules });
    const actions = nextActions(state);
    const measures = listMeasures(actions);
    expect(measures).toHaveLength(2 * boots);
    for (let i = 0; i < measures.length; i += 2) {
      expect(new Set([measures[i]?.[0], measures[i + 1]?.[0]])).toEqual(new Set([GOOD, BAD]));
      expect(measures[i]?.[1]).toBe(1);
      expect(measures[i]?.[2]).toBe('calibrate');
    }
    expect(actions.filter((a) => a.kind === 'build')).toEqual([{ kind: 'build', commit: 'commit-31', speculative: true }]);
  });
});

describe('apply', () => {
  it('summarises one boot as the median of its runs, never as k samples', () => {
    const state = apply(createBisection({ commits: COMMITS }), boot(GOOD, 100, 1, 3, 2, 900));
    expect(state.records['0']?.boots).toEqual([3]);
    expect(state.records['0']?.runs).toBe(5);
    expect(summarize(state).boots).toBe(1);
  });

  it('leaves the input state untouched', () => {
    const state = createBisection({ commits: COMMITS });
    const before = JSON.stringify(state);
    apply(state, boot(GOOD, 1, 2, 3));
    expect(JSON.stringify(state)).toBe(before);
  });

  it.each([
    ['an unknown commit', boot('nope', 1), /one of the 64 commits/],
    ['a boot without runs', boot(GOOD), /at least one netperf run/],
    ['a zero result', boot(GOOD, 0), /positive numbers/],
    ['a NaN result', boot(GOOD, Number.NaN), /positive numbers/],
    ['skipping an endpoint', { kind: 'skip', commit: GOOD, reason: 'x' } as const, /Cannot skip GOOD/],
    ['marking BAD good', { kind: 'mark', commit: BAD, as: 'good' } as const, /Cannot mark BAD/],
  ])('rejects %s with a UserError', (_name, event, message) => {
    const state = createBisection({ commits: COMMITS });
    expect(() => apply(state, event)).toThrow(UserError);
    expect(() => apply(state, event)).toThrow(message);
  });

  it.each([
    ['one build failure: retried', ['build-failed'], null],
    ['two build failures: skipped', ['build-failed', 'build-failed'], 'build failed: oops (2 times in a row)'],
    ['a failure, a boot, a failure: not in a row', ['boot-failed', 'boot', 'boot-failed'], null],
    ['a commit that booted before gets a third try', ['boot', 'boot-failed', 'boot-failed'], null],
    ['… and is skipped after the third', ['boot', 'boot-failed', 'boot-failed', 'boot-failed'], 'boot failed: oops (3 times in a row)'],
  ])('%s', (_name, kinds, skipped) => {
    let state = createBisection({ commits: COMMITS });
    for (const kind of kinds) {
      state = apply(state, kind === 'boot' ? boot('commit-9', 10) : { kind: kind as 'build-failed' | 'boot-failed', commit: 'commit-9', reason: 'oops' });
    }
    expect(state.records['9']?.skipped).toBe(skipped);
  });
});

describe('calibration', () => {
  const big: LabTruth = { commits: 64, changes: new Map([[40, -0.08]]) };

  it('confirms a clear change, records the evidence and moves on to bisecting', () => {
    const state = calibrate(createBisection({ commits: COMMITS, config: { seed: 3 } }), big, 3);
    expect(state.phase).toBe('bisect');
    expect(state.calibration.status).toBe('confirmed');
    const step = state.steps.find((s) => s.phase === 'calibrate' && s.verdict === 'like-bad');
    expect(step?.p).toBeLessThan(0.01 / 7);
    expect(step?.estimate).toBeGreaterThan(0.88);
    expect(step?.estimate).toBeLessThan(0.96);
    const measures = listMeasures(nextActions(state));
    expect(measures).toEqual([['commit-31', 2, 'bisect']]);
  });

  // Calibration boots, and the note of the look that confirmed, on boots that
  // do not depend on the rules (the interleaving order is seeded by boot count).
  const confirmAt = (truth: LabTruth, seed: number, rules: 1 | 2) => {
    const state = calibrate(createBisection({ commits: COMMITS, config: { seed, rules, minEffect: 0.05 } }), truth, seed);
    const step = state.steps.find((s) => s.phase === 'calibrate' && s.verdict === 'like-bad');
    return { boots: step?.boots, note: step?.note ?? '', phase: state.phase };
  };

  // At 9σ the first look (α/30) confirms about three times in four, the second nearly always.
  it.each([
    [1, 1], [2, 1], [3, 1], [4, 1], [5, 2], [6, 2], [7, 1], [8, 1],
  ])('a change nine σ wide (TCG noise) is confirmed by an early t-test look, seed %i: look %i', (seed, look) => {
    // σ 0.05 between boots, −36% = 9σ on log scale; within-boot noise small
    const wide: LabTruth = { commits: 64, changes: new Map([[40, -0.36]]), sigmaBoot: 0.05, sigmaRun: 0.01, runsPerBoot: 3 };
    const { boots, note, phase } = confirmAt(wide, seed, 2);
    expect(phase).toBe('bisect');
    expect(note).toMatch(new RegExp(`^look ${look}/11 \\(t-test\\)`));
    expect(boots).toBe(2 * (2 + look));
  });

  it.each([11, 12, 13, 14, 15, 16])('a change one σ wide still needs the Mann–Whitney looks and the boots it needed before, seed %i', (seed) => {
    const narrow: LabTruth = { commits: 64, changes: new Map([[40, -0.06]]), sigmaBoot: 0.05, sigmaRun: 0.01, runsPerBoot: 3 };
    const before = confirmAt(narrow, seed, 1);
    const now = confirmAt(narrow, seed, 2);
    expect(now.note).not.toMatch(/t-test/);
    expect(now.boots).toBeGreaterThanOrEqual(2 * defaultBisectConfig.calibrationBoots);
    expect(now.boots).toBe(before.boots);
  });

  it('no change and a tight --min-effect: inconclusive, with a power estimate', () => {
    const flat: LabTruth = { commits: 64, changes: new Map() };
    const { result } = runLab({ commits: COMMITS, config: { minEffect: 0.005, seed: 4 } }, flat, 4);
    expect(result.outcome).toBe('inconclusive');
    expect(result.culprit).toBeNull();
    expect(result.powerEstimate?.forEffect).toBe(0.005);
    expect(result.powerEstimate?.bootsPerEndpoint).toBeGreaterThan(96);
    expect(result.powerEstimate?.bootsNeeded).toBe(2 * (result.powerEstimate?.bootsPerEndpoint ?? 0));
    expect(result.warnings.join('\n')).toMatch(/No change between GOOD and BAD was confirmed after 96\+96 boots/);
    expect(result.warnings.join('\n')).toMatch(/measure about \d+ boots each of GOOD and BAD/);
    expect(result.builds).toBe(2);
  });

  it('no change and a loose --min-effect: no regression of that size', () => {
    const flat: LabTruth = { commits: 64, changes: new Map(), sigmaBoot: 0.005, sigmaRun: 0.004 };
    const { result } = runLab({ commits: COMMITS, config: { minEffect: 0.05, seed: 5 } }, flat, 5);
    expect(result.outcome).toBe('no-regression');
    expect(result.warnings.join('\n')).toMatch(/no regression of the size asked for/);
    expect(result.change?.ratio).toBeCloseTo(1, 1);
  });

  it('BAD better than GOOD is an improvement, not a regression', () => {
    const better: LabTruth = { commits: 64, changes: new Map([[10, +0.1]]) };
    const { result } = runLab({ commits: COMMITS, config: { seed: 6 } }, better, 6);
    expect(result.outcome).toBe('no-regression');
    expect(result.warnings.join('\n')).toMatch(/BAD is better than GOOD/);
  });

  it('GOOD that never builds ends the run with a plain explanation', () => {
    const broken: LabTruth = { ...big, brokenBuilds: new Set([0]) };
    const { result } = runLab({ commits: COMMITS }, broken, 7);
    expect(result.outcome).toBe('inconclusive');
    expect(result.warnings[0]).toMatch(/GOOD \(commit-0\) could not be measured \(build failed: .*2 times in a row\)/);
  });
});

describe('a whole bisection against a seeded simulated lab', () => {
  it.each([
    // commits, culprit, relative change, direction
    [64, 40, -0.08, 'lower-is-worse'],
    [256, 1, -0.06, 'lower-is-worse'],
    [256, 255, -0.06, 'lower-is-worse'],
    [1024, 700, -0.05, 'lower-is-worse'],
    [128, 77, +0.1, 'higher-is-worse'],
    [2, 1, -0.08, 'lower-is-worse'],
  ] as const)('N=%d, culprit %d, change %d (%s)', (n, culprit, change, direction) => {
    const commits = makeCommits(n);
    const truth: LabTruth = { commits: n, changes: new Map([[culprit, change]]) };
    const { result } = runLab({ commits, config: { direction, seed: n + culprit } }, truth, n * 7 + culprit);
    expect(result.outcome).toBe('culprit');
    expect(result.culprit?.commit).toBe(commits[culprit]);
    expect(result.culprit?.probability).toBeGreaterThanOrEqual(0.95);
    expect(result.change?.ratio).toBeCloseTo(1 + change, 1);
    expect(result.change?.ci[0]).toBeLessThan(result.change?.ratio ?? 0);
    expect(result.change?.ci[1]).toBeGreaterThan(result.change?.ratio ?? 0);
    expect(result.culpritChange?.ratio).toBeCloseTo(1 + change, 1);
    expect(result.explainsFullChange).toBe(true);
    expect(result.builds).toBeLessThanOrEqual(Math.ceil(Math.log2(n)) + 4);
    expect(result.posterior).toHaveLength(n - 1);
    expect(result.posterior.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(new Set(result.steps.map((s) => s.phase))).toEqual(new Set(n > 2 ? ['calibrate', 'bisect', 'verify'] : ['calibrate', 'verify']));
    expect(result.warnings).toEqual([]);
  });

  it('names a range, plainly, when the commits next to the culprit do not build', () => {
    const truth: LabTruth = { commits: 64, changes: new Map([[40, -0.08]]), brokenBuilds: new Set([38, 39]) };
    const { result } = runLab({ commits: COMMITS, config: { seed: 8 } }, truth, 8);
    expect(result.outcome).toBe('range');
    expect(result.culprit).toBeNull();
    expect(result.range?.commits).toEqual(['commit-38', 'commit-39', 'commit-40']);
    expect(result.range?.probability).toBeGreaterThanOrEqual(0.95);
    expect(result.warnings.join('\n')).toMatch(/one of 3 commits, commit-38\.\.commit-40: commit-38 \(build failed: .*\), commit-39 \(build failed/);
    expect(result.steps.filter((s) => s.verdict === 'skipped').map((s) => s.commit).sort()).toEqual(['commit-38', 'commit-39']);
  });

  it('two culprits: names the larger one and says the change is not fully explained', () => {
    const truth: LabTruth = { commits: 256, changes: new Map([[60, -0.09], [200, -0.03]]) };
    const { result } = runLab({ commits: makeCommits(256), config: { seed: 9 } }, truth, 9);
    expect(result.culprit?.commit).toBe('commit-60');
    expect(result.explainsFullChange).toBe(false);
    expect(result.warnings.join('\n')).toMatch(/explains only \d+% of GOOD→BAD: BAD is worse than the culprit .* more than one culprit/);
  });

  it('stops with an honest interval when the build budget runs out', () => {
    const truth: LabTruth = { commits: 1024, changes: new Map([[500, -0.08]]) };
    const { result } = runLab({ commits: makeCommits(1024), config: { maxBuilds: 6, seed: 10 } }, truth, 10);
    expect(result.outcome).toBe('inconclusive');
    expect(result.builds).toBe(6);
    expect(result.range?.commits).toContain('commit-500');
    expect(result.warnings.join('\n')).toMatch(/build budget \(6\) is spent/);
  });

  it("takes a human's good/bad marks as certain", () => {
    const truth: LabTruth = { commits: 64, changes: new Map([[40, -0.08]]) };
    let state = calibrate(createBisection({ commits: COMMITS, config: { seed: 11 } }), truth, 11);
    for (let i = 0; i < 20 && state.phase === 'bisect'; i++) {
      const [measure] = listMeasures(nextActions(state));
      if (measure === undefined) break;
      const index = COMMITS.indexOf(measure[0]);
      state = apply(state, { kind: 'mark', commit: measure[0], as: index >= 40 ? 'bad' : 'good' });
    }
    expect(state.phase).toBe('verify');
    expect(state.verify?.after).toBe(40);
    const marks = state.steps.filter((s) => s.note.startsWith('marked by hand'));
    expect(marks.length).toBeLessThanOrEqual(6);
    expect(marks.every((s) => s.boots === 0)).toBe(true);
  });
});

describe('a commit whose test ran out of boots undecided', () => {
  // GOOD, a commit marked good, a commit that sits exactly half-way, BAD.
  const commits = ['good', 'marked', 'halfway', 'bad'];
  const answer = (commit: string, k: number): BisectEvent => {
    const wobble = 1 + 0.002 * ((k % 3) - 1);
    if (commit === 'marked') return { kind: 'mark', commit, as: 'good' };
    const level = commit === 'good' ? 1000 : commit === 'bad' ? 800 : Math.sqrt(1000 * 800);
    return boot(commit, level * wobble);
  };

  it.each([
    ['rules 1: is never tested again, and the bisection stops', 1, 1],
    ['rules 2: gets one more round once nothing else is left', 2, 2],
  ] as const)('%s', (_name, rules, rounds) => {
    let state = createBisection({ commits, config: { rules, seed: 2, minBootsPerCommit: 2, maxBootsPerCommit: 4 } });
    for (let k = 0; k < 200 && state.phase !== 'done'; k++) {
      for (const [commit] of listMeasures(nextActions(state))) state = apply(state, answer(commit, k));
    }
    const result = summarize(state);
    expect(result.outcome).toBe('inconclusive');
    expect(result.steps.filter((s) => s.commit === 'halfway' && s.phase === 'bisect').map((s) => s.verdict)).toEqual(Array(rounds).fill('unknown'));
    expect(result.warnings.join('\n')).toMatch(/no commit left can be tested informatively/);
  });
});

describe('verification', () => {
  it('goes back to bisecting when fresh boots undo the evidence for the leader', () => {
    // Commit 39 is good, but its first four boots look bad (say, a noisy neighbour on the
    // host): two rounds say like-bad and it leads with p > 0.95 until fresh boots disagree.
    const truth: LabTruth = { commits: 64, changes: new Map([[40, -0.08]]) };
    const liar: LabTruth = { commits: 64, changes: new Map([[39, -0.08]]) };
    const rng = createRng(14);
    let state = calibrate(createBisection({ commits: COMMITS, config: { seed: 14 } }), truth, 14);
    let lies = 4;
    let sawVerify = false;
    for (let i = 0; i < 500 && state.phase !== 'done'; i++) {
      sawVerify ||= state.phase === 'verify';
      for (const [commit] of listMeasures(nextActions(state))) {
        const lie = commit === 'commit-39' && lies > 0;
        if (lie) lies--;
        state = apply(state, simulateEvent(lie ? liar : truth, COMMITS, commit, rng));
      }
    }
    const result = summarize(state);
    expect(sawVerify).toBe(true);
    expect(result.steps.some((s) => s.phase === 'verify' && s.note.includes('moved the posterior'))).toBe(true);
    expect(result.culprit?.commit).toBe('commit-40');
  });

  it('keeps what arrives after the end without changing the answer', () => {
    const truth: LabTruth = { commits: 64, changes: new Map([[40, -0.08]]) };
    const { state, result } = runLab({ commits: COMMITS, config: { seed: 15 } }, truth, 15);
    const later = apply(state, boot('commit-40', 1, 2, 3));
    expect(later.records['40']?.boots.length).toBe((state.records['40']?.boots.length ?? 0) + 1);
    expect(summarize(later).outcome).toBe(result.outcome);
    expect(summarize(later).culprit?.commit).toBe(result.culprit?.commit);
  });
});

describe('resume and replay', () => {
  const truth: LabTruth = { commits: 128, changes: new Map([[90, -0.07]]), brokenBuilds: new Set([64, 91]) };
  const input = { commits: makeCommits(128), config: { seed: 12 } };
  const run = runLab(input, truth, 12, { keepStates: true });

  it('the run under test is a full one', () => {
    expect(run.result.outcome).toBe('culprit');
    expect(run.events.length).toBeGreaterThan(30);
    expect(run.events.some((e) => e.kind === 'build-failed')).toBe(true);
  });

  it('every intermediate state survives JSON.stringify/parse unchanged', () => {
    for (const state of run.states) expect(JSON.parse(JSON.stringify(state))).toStrictEqual(state);
  });

  it('resuming from a serialized state mid-run gives the same next actions and the same answer', () => {
    for (const cut of [5, Math.floor(run.events.length / 2), run.events.length - 3]) {
      const live = run.states[cut - 1] as BisectState;
      let resumed: BisectState = JSON.parse(JSON.stringify(live));
      expect(nextActions(resumed)).toEqual(nextActions(live));
      for (const event of run.events.slice(cut)) resumed = apply(resumed, event);
      expect(summarize(resumed)).toEqual(run.result);
    }
  });

  it('replaying the event log rebuilds the same state and the same answer', () => {
    const replayed = replay(input, run.events);
    expect(replayed).toStrictEqual(run.state);
    expect(nextActions(replayed)).toEqual(nextActions(run.state));
    expect(summarize(replayed)).toEqual(run.result);
  });
});

describe('speculative builds and the posterior table', () => {
  const truth: LabTruth = { commits: 1024, changes: new Map([[300, -0.07]]) };
  const run = runLab({ commits: makeCommits(1024), config: { seed: 13 } }, truth, 13, { keepStates: true });

  it('offers at most two not-yet-built commits to build ahead while a commit is measured', () => {
    let hinted = 0;
    for (const state of run.states.filter((s) => s.phase === 'bisect' && s.current !== null)) {
      const actions = nextActions(state);
      const builds = actions.filter((a) => a.kind === 'build');
      expect(builds.length).toBeLessThanOrEqual(2);
      for (const b of builds) {
        expect(b.kind === 'build' && b.speculative).toBe(true);
        expect(state.records[String(state.commits.indexOf(b.commit))]).toBeUndefined();
      }
      hinted += builds.length;
    }
    expect(hinted).toBeGreaterThan(5);
  });

  it('the next commit measured was usually hinted', () => {
    const measured = run.result.steps.filter((s) => s.phase === 'bisect').map((s) => s.commit);
    const hinted = new Set(run.states.flatMap((s) => nextActions(s).flatMap((a) => (a.kind === 'build' ? [a.commit] : []))));
    expect(measured.filter((c) => hinted.has(c)).length / measured.length).toBeGreaterThan(0.5);
  });

  it('lists every candidate with its probability', () => {
    const table = posteriorTable(run.state);
    expect(table).toHaveLength(1023);
    expect(table[0]?.commit).toBe('commit-1');
    expect(table.reduce((a, r) => a + r.probability, 0)).toBeCloseTo(1, 9);
    expect(table.find((r) => r.commit === 'commit-300')?.probability).toBeGreaterThanOrEqual(0.95);
    expect(new Set(table.map((r) => r.status))).toEqual(new Set(['measured', 'unmeasured']));
    const culprit = table.find((r) => r.commit === 'commit-300');
    const parent = table.find((r) => r.commit === 'commit-299');
    expect(culprit?.verdict?.kind).toBe('like-bad');
    expect(parent?.verdict?.kind).toBe('like-good');
    expect(table.find((r) => r.status === 'unmeasured')?.verdict).toBeNull();
    if (culprit?.verdict?.kind === 'like-bad') {
      expect(culprit.verdict.source).toBe('measured');
      expect(culprit.verdict.position).toBeGreaterThan(0.5);
      expect(culprit.verdict.ci?.[1]).toBeLessThan(1);
    }
  });
});
