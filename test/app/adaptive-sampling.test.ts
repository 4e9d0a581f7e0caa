// sampling.adaptive in a kernel bisection (app/bisect/adaptive-sampling.ts):
// the profile's runs until the endpoints have their boots, then one decision,
// appended to the session log as its own record; a resumed process (a killed
// run started again) or a replayed log reads it back instead of deciding again.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportLog, getStatus, replayLog, resetBisection, startBisection, toJsonResult } from '../../src/app/bisect.ts';
import { createSamplingPlanner } from '../../src/app/bisect/adaptive-sampling.ts';
import { openEventLog, recordEvent, type EventLog } from '../../src/app/bisect/record.ts';
import { loadProfile } from '../../src/app/profiles.ts';
import { readEvents, sessionPaths } from '../../src/adapters/session-store.ts';
import { UserError } from '../../src/core/errors.ts';
import type { Profile } from '../../src/core/profile/index.ts';
import { createRng, nextNormal, type Rng } from '../../src/core/rng.ts';
import type { MeasuredSession } from '../../src/core/session.ts';
import { isolateKbisectDirs, makeBenchRepo, type BenchRepo } from '../helpers/bench-repo.ts';

let r: BenchRepo;
let restore: () => void;
let profile: Profile;

beforeEach(async () => {
  r = makeBenchRepo({ commits: 4, culprit: 2, prefix: 'kbisect-adaptive-' });
  restore = isolateKbisectDirs(r.dir);
  const loaded = (await loadProfile('demo-guest-tx')).profile;
  profile = { ...loaded, sampling: { ...loaded.sampling, runsPerBoot: 5, warmupRuns: 1, adaptive: true } };
  await startBisection({ repo: r.repo, good: r.shas[0] as string, bad: r.shas[3] as string, profile: 'demo-guest-tx' });
});

afterEach(async () => {
  await resetBisection(r.repo).catch(() => undefined);
  restore();
  r.remove();
});

const kernelSession = (log: EventLog): Extract<MeasuredSession, { mode: 'kernel' }> => {
  if (log.session.mode !== 'kernel') throw new Error('expected a kernel session');
  return log.session;
};

// One logged boot of `sha`: level with σ_between, three runs (the probe's, of the profile's five) and a warm-up with σ_within.
async function logBoot(log: EventLog, sha: string, rng: Rng, base: number, sdBetween: number, sdWithin: number): Promise<void> {
  const level = Math.log(base) + sdBetween * nextNormal(rng);
  const run = (): number => Math.exp(level + sdWithin * nextNormal(rng));
  const runs = Array.from({ length: 3 }, run);
  const test = kernelSession(log).test;
  await recordEvent(log, { kind: 'boot', commit: sha, runs }, { source: 'boot', imageHash: 'img', bootIndex: 0, host: 'h', accel: 'tcg', tests: [{ test: test.name, metric: test.metric, unit: 'Mbit/s', runs, warmup: [run()] }] });
}

// GOOD at 1000, BAD at `bad` (800: −20%, a wide shift for these spreads).
async function logEndpointBoots(log: EventLog, n: number, seed: number, sdBetween: number, sdWithin: number, bad = 800): Promise<void> {
  const rng = createRng(seed);
  for (let i = 0; i < n; i++) {
    await logBoot(log, r.shas[3] as string, rng, bad, sdBetween, sdWithin);
    await logBoot(log, r.shas[0] as string, rng, 1000, sdBetween, sdWithin);
  }
}

const samplingLines = (text: string): unknown[] => text.split('\n').filter((l) => l.includes('"kind":"sampling"')).map((l) => JSON.parse(l) as unknown);

describe('createSamplingPlanner', () => {
  it('measures with the profile\'s warm-up and 3 of its 5 runs until the endpoints have 6 boots each, then logs one decision and keeps to it', async () => {
    const paths = await sessionPaths(r.repo);
    const log = await openEventLog(paths);
    const notes: string[] = [];
    const planner = createSamplingPlanner(kernelSession(log), profile, paths, (t) => notes.push(t));
    expect(await planner.samplingFor(r.shas[3] as string)).toMatchObject({ runsPerBoot: 3, warmupRuns: 1 });
    // GOOD and BAD 1% apart: no shift to plan the rounds for before 6 boots a side
    await logEndpointBoots(log, 5, 1, 0.08, 0.01, 990);
    expect((await planner.samplingFor(r.shas[0] as string)).runsPerBoot).toBe(3);
    expect((await readEvents(paths, log.session)).sampling).toEqual([]);
    await logEndpointBoots(log, 1, 2, 0.08, 0.01, 990);
    const decided = await planner.samplingFor(r.shas[0] as string);
    // boots dominate and the first run is like the others: one run, no warm-up
    expect(decided).toMatchObject({ runsPerBoot: 1, warmupRuns: 0 });
    expect('adaptive' in decided).toBe(false);
    const { sampling } = await readEvents(paths, log.session);
    expect(sampling).toHaveLength(1);
    expect(sampling[0]).toMatchObject({ kind: 'sampling', afterEvents: 12, decision: { runsPerBoot: 1, warmupRuns: 0, boots: [6, 6] } });
    expect(notes.join('\n')).toMatch(/sampling\.adaptive: 1 run\(s\) per boot \(cap 5\)/);
    // the engine's log still replays: the record is not an engine event
    expect((await openEventLog(paths)).state.events).toBe(12);
  });

  it('decides at 3 boots each when the shift is wide enough that one run a boot ends every round at its least boots', async () => {
    const paths = await sessionPaths(r.repo);
    const log = await openEventLog(paths);
    const notes: string[] = [];
    const planner = createSamplingPlanner(kernelSession(log), profile, paths, (t) => notes.push(t));
    await logEndpointBoots(log, 2, 11, 0.03, 0.01, 500);
    expect((await planner.samplingFor(r.shas[0] as string)).runsPerBoot).toBe(3);
    await logEndpointBoots(log, 1, 12, 0.03, 0.01, 500);
    expect((await planner.samplingFor(r.shas[0] as string)).runsPerBoot).toBe(1);
    const { sampling } = await readEvents(paths, log.session);
    expect(sampling[0]).toMatchObject({ afterEvents: 6, decision: { runsPerBoot: 1, boots: [3, 3], roundBoots: 2 } });
    expect(sampling[0]?.decision.effect).toBeLessThan(Math.log(0.6));
    expect(notes.join('\n')).toMatch(/GOOD→BAD down by \d+\.\d% or more ends a commit's test at its least 2 boots whatever the runs/);
    // the report (text, HTML, --json) says what measured the boots after it, as the log does
    const status = await getStatus(r.repo);
    const shown = { runsPerBoot: 1, warmupRuns: sampling[0]?.decision.warmupRuns, endpointBoots: [3, 3], reason: sampling[0]?.decision.reason };
    expect(status.report.sampling).toEqual(shown);
    expect(toJsonResult(status.session, status.result, status.report).sampling).toEqual(shown);
  });

  it('decides at the first commit other than GOOD and BAD even before 6 boots each', async () => {
    const paths = await sessionPaths(r.repo);
    const log = await openEventLog(paths);
    await logEndpointBoots(log, 3, 3, 0.08, 0.01);
    const planner = createSamplingPlanner(kernelSession(log), profile, paths);
    expect((await planner.samplingFor(r.shas[1] as string)).runsPerBoot).toBeLessThan(5);
    expect((await readEvents(paths, log.session)).sampling[0]?.decision.boots).toEqual([3, 3]);
  });

  it('a killed and resumed run uses the logged decision, not one taken again on the boots since', async () => {
    const paths = await sessionPaths(r.repo);
    const log = await openEventLog(paths);
    await logEndpointBoots(log, 6, 4, 0.08, 0.01);
    const first = await createSamplingPlanner(kernelSession(log), profile, paths).samplingFor(r.shas[1] as string);
    expect(first.runsPerBoot).toBe(1);
    // after the "kill": boots where runs dominate, which alone would decide on 5 runs
    await logEndpointBoots(log, 20, 5, 0, 0.08);
    const resumed = await openEventLog(paths);
    const fresh = createSamplingPlanner(kernelSession(resumed), profile, paths);
    expect(await fresh.samplingFor(r.shas[2] as string)).toEqual(first);
    const text = readFileSync(join(paths.dir, 'events.jsonl'), 'utf8');
    expect(samplingLines(text)).toHaveLength(1);
  });

  it('a replayed log (kbisect log | kbisect replay) carries the decision and measures alike', async () => {
    const paths = await sessionPaths(r.repo);
    const log = await openEventLog(paths);
    await logEndpointBoots(log, 6, 6, 0.08, 0.01);
    const decided = await createSamplingPlanner(kernelSession(log), profile, paths).samplingFor(r.shas[1] as string);
    await logBoot(log, r.shas[1] as string, createRng(9), 900, 0.08, 0.01);
    const exported = await exportLog(r.repo);
    const lines = exported.trim().split('\n');
    // session, 12 events, the decision where it was taken, the boot after it
    expect(lines).toHaveLength(15);
    expect(JSON.parse(lines[13] as string)).toMatchObject({ kind: 'sampling', afterEvents: 12 });
    expect(JSON.parse(lines[14] as string)).toMatchObject({ kind: 'event', event: { commit: r.shas[1] } });
    const file = join(r.dir, 'log.jsonl');
    writeFileSync(file, exported);
    await replayLog(r.repo, file);
    const replayed = await openEventLog(await sessionPaths(r.repo));
    expect(replayed.sampling).toHaveLength(1);
    expect(replayed.state.events).toBe(13);
    expect(await createSamplingPlanner(kernelSession(replayed), profile, replayed.paths).samplingFor(r.shas[2] as string)).toEqual(decided);
    expect(await exportLog(r.repo)).toBe(exported.replace(/"eventsFile":"[^"]*",?/, ''));
  });

  it('refuses a logged decision beyond the profile (an edited log) with what to do', async () => {
    const paths = await sessionPaths(r.repo);
    const log = await openEventLog(paths);
    await logEndpointBoots(log, 6, 7, 0.08, 0.01);
    await createSamplingPlanner(kernelSession(log), profile, paths).samplingFor(r.shas[1] as string);
    const file = join(paths.dir, 'events.jsonl');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/"runsPerBoot":\d+/, '"runsPerBoot":9'));
    const error = await createSamplingPlanner(kernelSession(log), profile, paths)
      .samplingFor(r.shas[1] as string)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/expected a logged sampling decision within profile demo-guest-tx's 5 run\(s\) and 1 warm-up run\(s\) per boot, got 9 and/);
    expect((error as UserError).hint).toMatch(/kbisect reset/);
  });

  it('leaves a fixed profile exactly as it is and never touches the log', async () => {
    const paths = await sessionPaths(r.repo);
    const log = await openEventLog(paths);
    await logEndpointBoots(log, 6, 8, 0.08, 0.01);
    const { adaptive: _a, ...fixedSampling } = profile.sampling;
    const fixed = { ...profile, sampling: fixedSampling };
    expect(await createSamplingPlanner(kernelSession(log), fixed, paths).samplingFor(r.shas[1] as string)).toBe(fixed.sampling);
    expect((await readEvents(paths, log.session)).sampling).toEqual([]);
  });
});
