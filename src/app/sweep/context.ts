// What every sweep command needs first: the sweep's directory, its
// definition, and (to measure) the measurement it stands for, resolved the
// way a bisection resolves it (profile loaded and validated, test chosen).
import { UserError } from '../../core/errors.ts';
import type { BisectSession, MeasuredSession } from '../../core/session.ts';
import type { SweepDefinition } from '../../core/sweep/store-schema.ts';
import type { SweepTest } from '../../core/sweep/types.ts';
import { sha256Hex } from '../../adapters/digest.ts';
import { findGitCommonDir } from '../../adapters/git.ts';
import { readDefinition, sweepPaths, type SweepPaths } from '../../adapters/sweep-store.ts';
import { resolveMeasurement } from '../bisect/start.ts';

export const DEFAULT_SWEEP = 'default';

export async function locateSweep(repo: string, name = DEFAULT_SWEEP): Promise<SweepPaths> {
  return sweepPaths(await findGitCommonDir(repo), name);
}

// The definition, or a UserError saying how to start the sweep.
export async function requireDefinition(paths: SweepPaths, name: string): Promise<SweepDefinition> {
  const def = await readDefinition(paths);
  if (!def) {
    throw new UserError(
      `no sweep ${JSON.stringify(name)} in this repository yet`,
      'start one: kbisect sweep run --profile demo-guest-tx (kernels) or kbisect sweep run --cmd ./bench.sh (any command printing a number)',
    );
  }
  return def;
}

export interface ResolvedMeasurement {
  session: MeasuredSession;
  test: SweepTest;
  /** Profile content hash, or a hash of the command: part of every series key. */
  hash: string;
  profileName: string | null;
}

// The measurement of a sweep as a session the bisection stages understand (no commits: the sweep chooses them).
export async function resolveSweepMeasurement(def: SweepDefinition, extra: { minEffect?: number } = {}): Promise<ResolvedMeasurement> {
  const pending: BisectSession = {
    kind: 'session',
    version: 1,
    mode: 'pending',
    command: null,
    profile: null,
    repo: def.repo,
    createdAt: def.createdAt,
    goodRev: 'sweep',
    badRev: 'sweep',
    commits: [],
    firstParent: true,
    paths: [],
    terms: { old: 'good', new: 'bad' },
    improvement: false,
    accel: def.accel,
    toolchain: def.toolchain,
    settings: {
      ...(def.test === null || def.mode === 'kernel' ? {} : { higherIsBetter: def.test.higherIsBetter }),
      ...(extra.minEffect === undefined ? {} : { minEffect: extra.minEffect }),
    },
  };
  const session = await resolveMeasurement(pending, def.mode === 'command' ? { command: def.command as string, timeoutS: def.commandTimeoutS } : { profile: def.profile as string });
  const test: SweepTest = def.mode === 'command' && def.test !== null ? def.test : session.test;
  const hash = session.mode === 'kernel' ? session.profile.hash : sha256Hex(`command\0${session.command}`).slice(0, 16);
  return { session, test, hash, profileName: session.mode === 'kernel' ? session.profile.name : null };
}
