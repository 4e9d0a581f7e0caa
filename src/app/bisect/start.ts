// `kbisect start`: records what to bisect. The measurement (a profile, or a
// user's command) may come with it or later with `run --profile/--cmd`, as
// git habits have it (`start GOOD BAD`, then `run SCRIPT`).
import { resolve } from 'node:path';
import { InternalError, UserError } from '../../core/errors.ts';
import type { CommitInfo } from '../../core/report/types.ts';
import type { AccelChoice } from '../../core/measure/types.ts';
import type { BisectSession, MeasuredSession, StartSettings } from '../../core/session.ts';
import { DEFAULT_COMMAND_TIMEOUT_S, resolveBisectConfig } from '../../core/session-settings.ts';
import { unitOfMetric } from '../../core/units.ts';
import { validateToolchain } from '../../core/kernel-build.ts';
import { getCommitInfo, resolveRange } from '../../adapters/git.ts';
import { readSession, sessionPaths, sessionPathsIn, writeSession } from '../../adapters/session-store.ts';
import { readKernelConfigSpec } from '../build.ts';
import { loadProfile, renderProfileYaml } from '../profiles.ts';
import { formatDuration } from '../../core/format.ts';
import { COMPARE_REUSE_MAX_AGE_MS, seedBisectionFromCompare } from '../compare/reuse.ts';

export interface StartOptions extends StartSettings {
  repo: string;
  good: string;
  bad: string;
  profile?: string;
  firstParent?: boolean;
  paths?: readonly string[];
  termOld?: string;
  termNew?: string;
  improvement?: boolean;
  // generic mode: one invocation = one sample, its last line a number
  command?: string;
  // generic mode: seconds one invocation may take
  timeoutS?: number;
  accel?: AccelChoice;
  toolchain?: string;
  // where the session files go (default: the repository's git dir; a sweep keeps one per alert)
  sessionDir?: string;
  // what start did that the user should know (boots taken from a comparison, or not)
  onNote?: (text: string) => void;
}

// How a session measures: a profile, or a command; at most one.
export interface Measurement {
  profile?: string;
  command?: string;
  timeoutS?: number;
}

function commitInfoOf(c: { sha: string; subject: string; author: string; authorDate: string }): CommitInfo {
  return { sha: c.sha, subject: c.subject, author: c.author, date: c.authorDate };
}

// Refuses an empty or absurd command, timeout or toolchain before anything is recorded.
export function checkMeasurementInput(m: Measurement & { toolchain?: string }): void {
  if (m.command !== undefined && m.profile !== undefined) throw new UserError('expected either --profile or --cmd, got both', 'a bisection measures kernels with a profile, or runs your command');
  if (m.command !== undefined && m.command.trim() === '') throw new UserError('--cmd: expected a shell command, got an empty string', "e.g. --cmd './bench.sh'");
  if (m.timeoutS !== undefined && !(Number.isFinite(m.timeoutS) && m.timeoutS > 0)) {
    throw new UserError(`--timeout: expected a positive number of seconds, got ${String(m.timeoutS)}`, `the default is ${DEFAULT_COMMAND_TIMEOUT_S} s`);
  }
  if (m.toolchain !== undefined) {
    const errors = validateToolchain(m.toolchain);
    if (errors.length > 0) throw new UserError(`--toolchain: ${errors.join('; ')}`, 'give a compiler name (gcc-12) or an absolute path (/opt/gcc/bin/gcc)');
  }
}

// Records a new bisection of GOOD..BAD in `repo`; fails if one is in progress.
export async function startBisection(opts: StartOptions): Promise<BisectSession> {
  checkMeasurementInput(opts);
  const paths = opts.sessionDir === undefined ? await sessionPaths(opts.repo) : sessionPathsIn(opts.sessionDir);
  const existing = await readSession(paths);
  if (existing) {
    throw new UserError(
      `a bisection of ${existing.goodRev}..${existing.badRev} is already in progress in this repository`,
      'continue it with `kbisect run`, or end it with `kbisect reset`',
    );
  }
  const settings: StartSettings = {
    ...(opts.test === undefined ? {} : { test: opts.test }),
    ...(opts.higherIsBetter === undefined ? {} : { higherIsBetter: opts.higherIsBetter }),
    ...(opts.confidence === undefined ? {} : { confidence: opts.confidence }),
    ...(opts.maxBoots === undefined ? {} : { maxBoots: opts.maxBoots }),
    ...(opts.minEffect === undefined ? {} : { minEffect: opts.minEffect }),
    ...(opts.referenceEvery === undefined ? {} : { referenceEvery: opts.referenceEvery }),
    ...(opts.seed === undefined ? {} : { seed: opts.seed }),
  };
  const improvement = opts.improvement === true;
  // bad settings are refused now, not at the first `run`
  const { errors } = resolveBisectConfig(settings, improvement, settings.higherIsBetter ?? true);
  if (errors.length > 0) throw new UserError(`invalid bisection settings:\n  ${errors.join('\n  ')}`, 'see kbisect start --help for each option');
  const range = await resolveRange(opts.repo, opts.good, opts.bad, { firstParent: opts.firstParent === true, paths: [...(opts.paths ?? [])] });
  const good = commitInfoOf(await getCommitInfo(opts.repo, range.good));
  const commits = [good, ...range.commits.map(commitInfoOf)];
  if (commits.length < 2) throw new InternalError('resolveRange returned an empty range');
  const pending: BisectSession = {
    kind: 'session',
    version: 1,
    mode: 'pending',
    command: null,
    profile: null,
    repo: resolve(opts.repo),
    createdAt: new Date().toISOString(),
    goodRev: opts.good,
    badRev: opts.bad,
    commits,
    firstParent: opts.firstParent === true,
    paths: [...(opts.paths ?? [])],
    terms: { old: opts.termOld ?? 'good', new: opts.termNew ?? 'bad' },
    improvement,
    accel: opts.accel ?? 'auto',
    toolchain: opts.toolchain ?? null,
    settings,
  };
  const session = opts.command === undefined && opts.profile === undefined ? pending : await resolveMeasurement(pending, opts);
  await writeSession(paths, session);
  // a recent `kbisect compare` of the same pair, measured the same way, hands its boots over as calibration
  const seed = await seedBisectionFromCompare(paths, session);
  if (seed.seeded > 0) opts.onNote?.(`calibration starts from the ${seed.seeded} boots of GOOD and BAD that \`kbisect compare\` measured`);
  if (seed.stale !== null) {
    const age = Number.isNaN(seed.stale.ageMs) ? 'at a time in the future (another clock?)' : `${formatDuration(seed.stale.ageMs)} ago`;
    opts.onNote?.(`not taking the ${seed.stale.boots} boots of an earlier \`kbisect compare\` of this pair: its newest was measured ${age}, more than ${COMPARE_REUSE_MAX_AGE_MS / 60_000} min, and numbers drift; calibration measures GOOD and BAD afresh`);
  }
  return session;
}

// Gives a session (pending, or one without samples yet) its measurement.
export async function resolveMeasurement(session: BisectSession, m: Measurement): Promise<MeasuredSession> {
  const settings = session.settings ?? {};
  const base = commonFields(session);
  if (m.command !== undefined) {
    const test = { name: 'command', metric: 'value', unit: 'value', higherIsBetter: settings.higherIsBetter ?? true };
    const { config, errors } = resolveBisectConfig(settings, session.improvement, test.higherIsBetter);
    if (errors.length > 0) throw new UserError(`invalid bisection settings:\n  ${errors.join('\n  ')}`, 'see kbisect start --help for each option');
    return { ...base, mode: 'command', command: m.command, commandTimeoutS: m.timeoutS ?? DEFAULT_COMMAND_TIMEOUT_S, profile: null, test, runsPerBoot: 1, kernelConfig: null, config };
  }
  if (m.profile === undefined) throw new InternalError('resolveMeasurement without a profile or a command');
  const loaded = await loadProfile(m.profile, session.repo);
  const p = loaded.profile;
  const chosen = settings.test === undefined ? p.tests[0] : p.tests.find((t) => t.name === settings.test || t.metric === settings.test);
  if (!chosen) {
    throw new UserError(
      `--metric ${JSON.stringify(settings.test)}: the profile ${p.name} has no such test or metric`,
      `choose one of: ${p.tests.map((t) => `${t.name} (${t.metric})`).join(', ')}`,
    );
  }
  const test = { name: chosen.name, metric: chosen.metric, unit: unitOfMetric(chosen.metric, chosen.type), higherIsBetter: chosen.higherIsBetter };
  const { config, errors } = resolveBisectConfig(settings, session.improvement, test.higherIsBetter, {
    minEffect: p.minEffect,
    maxBoots: p.sampling.maxBoots,
    referenceEvery: p.sampling.referenceEvery,
  });
  if (errors.length > 0) throw new UserError(`invalid bisection settings:\n  ${errors.join('\n  ')}`, 'see kbisect start --help for each option');
  return {
    ...base,
    mode: 'kernel',
    command: null,
    profile: {
      source: loaded.source,
      name: p.name,
      hash: loaded.hash,
      yaml: renderProfileYaml(loaded),
      ...(loaded.sourceUrl === undefined ? {} : { sourceUrl: loaded.sourceUrl, sourceCommit: loaded.sourceCommit ?? 'unknown' }),
    },
    test,
    runsPerBoot: p.sampling.runsPerBoot,
    kernelConfig: await readKernelConfigSpec({ profile: m.profile, cwd: session.repo }),
    config,
  };
}

// The fields every session has, whatever it measures.
function commonFields(s: BisectSession): Omit<BisectSession, 'mode' | 'command' | 'profile'> {
  return {
    kind: 'session',
    version: 1,
    repo: s.repo,
    createdAt: s.createdAt,
    goodRev: s.goodRev,
    badRev: s.badRev,
    commits: s.commits,
    firstParent: s.firstParent,
    paths: s.paths,
    terms: s.terms,
    improvement: s.improvement,
    accel: s.accel,
    toolchain: s.toolchain,
    ...(s.eventsFile === undefined ? {} : { eventsFile: s.eventsFile }),
    ...(s.settings === undefined ? {} : { settings: s.settings }),
  };
}

