// What a comparison compares and how it measures, resolved from the options
// the way a bisection resolves its session: A and B (revisions, or kernel
// images), the measurement (a profile, or a command) as a MeasuredSession the
// bisection's stages understand, and the key its samples are filed under.
import { resolve } from 'node:path';
import { InternalError, UserError } from '../../core/errors.ts';
import type { AccelChoice, MeasureKernel } from '../../core/measure/types.ts';
import type { CompareSubject } from '../../core/compare/types.ts';
import type { BisectSession, MeasuredSession, StartSettings } from '../../core/session.ts';
import type { JudgedTest } from '../../core/session-settings.ts';
import { unitOfMetric } from '../../core/units.ts';
import type { CommitInfo } from '../../core/report/types.ts';
import { getCommitInfo } from '../../adapters/git.ts';
import { kernelFromImage } from '../../adapters/kernel-image.ts';
import { checkMeasurementInput, resolveMeasurement } from '../bisect/start.ts';
import { parseProfileText } from '../profiles.ts';
import { measurementKeyOf } from './reuse.ts';

export interface CompareRequest {
  /** The working directory (-C): the repository for revisions and --cmd, the base of relative paths. */
  repo: string;
  a?: string;
  b?: string;
  /** Two kernel images instead of two revisions. */
  kernels?: readonly string[];
  profile?: string;
  command?: string;
  timeoutS?: number;
  /** The judged test or metric of the profile. */
  test?: string;
  higherIsBetter?: boolean;
  minEffect?: number;
  accel?: AccelChoice;
  toolchain?: string;
}

export interface CompareTarget {
  mode: 'kernel' | 'command' | 'image';
  session: MeasuredSession;
  a: CompareSubject;
  b: CompareSubject;
  /** --kernel: the images by id (their sha256). */
  kernels: ReadonlyMap<string, MeasureKernel>;
  /** Every test of the profile (the judged one included); the command's number in command mode. */
  tests: JudgedTest[];
  measurementKey: string;
}

// Refuses contradictory or missing options before anything is resolved.
export function checkCompareRequest(r: CompareRequest): void {
  checkMeasurementInput({
    ...(r.profile === undefined ? {} : { profile: r.profile }),
    ...(r.command === undefined ? {} : { command: r.command }),
    ...(r.timeoutS === undefined ? {} : { timeoutS: r.timeoutS }),
    ...(r.toolchain === undefined ? {} : { toolchain: r.toolchain }),
  });
  if (r.profile === undefined && r.command === undefined) {
    throw new UserError('expected --profile NAME (kernels, measured with netperf) or --cmd SCRIPT (any benchmark printing a number), got neither', 'e.g. kbisect compare v6.1 v6.2 --profile tcp-rr');
  }
  const kernels = r.kernels ?? [];
  if (kernels.length > 0) {
    if (kernels.length !== 2) throw new UserError(`--kernel: expected two images (--kernel A --kernel B), got ${kernels.length}`, 'e.g. kbisect compare --kernel old/bzImage --kernel new/bzImage --profile tcp-rr');
    if (r.a !== undefined || r.b !== undefined) throw new UserError(`expected two revisions or two --kernel images, got both (${[r.a, r.b].filter((x) => x !== undefined).join(' ')} and --kernel)`, 'leave out the revisions to compare the images');
    if (r.command !== undefined) throw new UserError('--kernel boots kernel images with a profile; --cmd runs a command on revisions: expected one of them, got both', 'with --kernel, give --profile NAME');
    if (r.toolchain !== undefined) throw new UserError('--toolchain builds revisions; --kernel images are already built', 'leave out --toolchain');
    return;
  }
  if (r.a === undefined || r.b === undefined) throw new UserError(`expected two revisions A and B, got ${r.a === undefined ? 'none' : `only ${r.a}`}`, 'e.g. kbisect compare v6.1 v6.2 --profile tcp-rr (or two --kernel images)');
}

function subjectOfCommit(rev: string, c: { sha: string; subject: string }): CompareSubject {
  return { rev, id: c.sha, subject: c.subject, kind: 'commit' };
}

function commitInfoOf(c: { sha: string; subject: string; author: string; authorDate: string }): CommitInfo {
  return { sha: c.sha, subject: c.subject, author: c.author, date: c.authorDate };
}

// Resolves A, B and the measurement; refuses the same thing twice.
export async function resolveCompareTarget(r: CompareRequest): Promise<CompareTarget> {
  checkCompareRequest(r);
  const repo = resolve(r.repo);
  let a: CompareSubject;
  let b: CompareSubject;
  const kernels = new Map<string, MeasureKernel>();
  let commits: CommitInfo[] = [];
  if (r.kernels !== undefined && r.kernels.length === 2) {
    const [pathA, pathB] = r.kernels as [string, string];
    const ka = await kernelFromImage(pathA, undefined, repo);
    const kb = await kernelFromImage(pathB, undefined, repo);
    if (ka.imageHash === kb.imageHash) throw new UserError(`expected two different kernel images, got the same image twice (${pathA} and ${pathB}, sha256 ${ka.imageHash.slice(0, 12)})`, 'compare two different builds');
    kernels.set(ka.imageHash, ka).set(kb.imageHash, kb);
    a = { rev: pathA, id: ka.imageHash, subject: '', kind: 'image' };
    b = { rev: pathB, id: kb.imageHash, subject: '', kind: 'image' };
  } else {
    const ca = await getCommitInfo(repo, r.a as string);
    const cb = await getCommitInfo(repo, r.b as string);
    if (ca.sha === cb.sha) {
      throw new UserError(`expected two different commits, got '${r.a}' and '${r.b}', which are both ${ca.sha.slice(0, 12)}`, 'compare two revisions that differ, e.g. v6.1 v6.2');
    }
    a = subjectOfCommit(r.a as string, ca);
    b = subjectOfCommit(r.b as string, cb);
    commits = [commitInfoOf(ca), commitInfoOf(cb)];
  }
  const settings: StartSettings = {
    ...(r.test === undefined ? {} : { test: r.test }),
    ...(r.higherIsBetter === undefined ? {} : { higherIsBetter: r.higherIsBetter }),
    ...(r.minEffect === undefined ? {} : { minEffect: r.minEffect }),
  };
  // a session as `kbisect start A B` would record it: the stages measure from it
  const pending: BisectSession = {
    kind: 'session',
    version: 1,
    mode: 'pending',
    command: null,
    profile: null,
    repo,
    createdAt: new Date().toISOString(),
    goodRev: a.rev,
    badRev: b.rev,
    commits,
    firstParent: false,
    paths: [],
    terms: { old: 'A', new: 'B' },
    improvement: false,
    accel: r.accel ?? 'auto',
    toolchain: r.toolchain ?? null,
    settings,
  };
  const session = await resolveMeasurement(pending, r.command !== undefined ? { command: r.command, ...(r.timeoutS === undefined ? {} : { timeoutS: r.timeoutS }) } : { profile: r.profile as string });
  const mode = kernels.size > 0 ? 'image' : session.mode;
  return { mode, session, a, b, kernels, tests: testsOf(session), measurementKey: measurementKeyOf(session) };
}

// The profile's tests as the report names them; the command's one number in command mode.
function testsOf(session: MeasuredSession): JudgedTest[] {
  if (session.mode === 'command') return [session.test];
  const profile = parseProfileText(session.profile.yaml, `session profile ${session.profile.name}`, 'file').profile;
  const tests = profile.tests.map((t) => ({ name: t.name, metric: t.metric, unit: unitOfMetric(t.metric, t.type), higherIsBetter: t.higherIsBetter }));
  if (!tests.some((t) => t.name === session.test.name)) throw new InternalError(`the judged test ${session.test.name} is not in profile ${session.profile.name}`);
  return tests;
}
