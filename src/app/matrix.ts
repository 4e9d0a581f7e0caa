// `kbisect matrix`: every combination of the test matrix's axes (vhost,
// condition, topology, NIC), each cell a short measurement of one kernel (or,
// with --compare, of two, boots interleaved per cell as `compare` does) with
// the cell's own profile. One kernel build serves every cell: the base
// profile's kernel options plus what any chosen cell needs. Each cell's
// profile is written as a YAML file next to matrix.json, so the `kbisect start
// ... --profile FILE` line printed for it bisects exactly what was measured.
// Namespaces, QEMUs and cgroups are measureKernel's and go with each cell.
import { randomInt } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { locateCpuCgroupRoot } from '../adapters/conditions/qos.ts';
import { dataDir } from '../adapters/paths.ts';
import { vhostNetUsable } from '../adapters/qemu.ts';
import { writeFileAtomic } from '../adapters/store.ts';
import { isAFirst } from '../core/compare/engine.ts';
import { InterruptedError, ProcessError, UserError } from '../core/errors.ts';
import type { BuildProgress } from '../core/kernel-build.ts';
import { enumerateCells, type MatrixAxes, type MatrixCell } from '../core/matrix/axes.ts';
import { matrixKernelOptions, planCell, renderCellProfileYaml, type CellPlan } from '../core/matrix/cells.ts';
import {
  bisectCommandFor,
  cellStatusOf,
  compareCell,
  countStatuses,
  summarizeCellBoots,
  type MatrixCellResult,
  type MatrixKernelInfo,
  type MatrixReport,
} from '../core/matrix/result.ts';
import type { AccelChoice, BootOutcome, MeasureKernel, MeasureProgress } from '../core/measure/types.ts';
import type { Profile } from '../core/profile/index.ts';
import { readKernelConfigSpec } from './build-config.ts';
import { buildRevision } from './build-revision.ts';
import { kernelFromImage, measureKernel } from './measure.ts';
import { hashProfile, loadProfile, renderProfileYaml } from './profiles.ts';
import { runMatrixOnSlurm } from './matrix-slurm.ts';
import { chooseExecutor } from './executor.ts';
import type { ExecutorKind } from '../core/host-config.ts';

// The base profile when none is given: tcp-stream-host-to-guest with short runs (profiles/matrix.yaml).
export const DEFAULT_MATRIX_PROFILE = 'matrix';

// What to measure: one kernel (a revision or an image), or two to compare.
export type MatrixSubject = { kind: 'rev'; rev: string } | { kind: 'image'; path: string };

export interface MatrixOptions {
  // the kernel tree (-C), where revisions are built and relative paths start
  cwd: string;
  subjects: [MatrixSubject] | [MatrixSubject, MatrixSubject];
  profile: string;
  axes: MatrixAxes;
  boots: number;
  accel?: AccelChoice;
  toolchain?: string;
  // seed of the order within each pair of boots (--compare); random when absent, recorded
  seed?: number;
  // where the cells' profiles and matrix.json go (default: a new dir under the data dir)
  outDir?: string;
  // append every boot to the results store (as `kbisect measure` does)
  store: boolean;
  // slurm: the whole matrix as one job on the measurement node (matrix-slurm.ts); default: host.yaml's executor, else local
  executor?: ExecutorKind;
  signal?: AbortSignal;
  onProgress?: (p: MatrixProgress) => void;
}

export type MatrixProgress =
  | { kind: 'note'; text: string }
  | { kind: 'build'; side: 'a' | 'b'; rev: string; build: BuildProgress }
  | { kind: 'measure'; index: number; total: number; cell: MatrixCell; side: 'a' | 'b' | null; event: MeasureProgress }
  | { kind: 'cell-done'; index: number; total: number; result: MatrixCellResult };

interface ReadyKernel {
  info: MatrixKernelInfo;
  kernel: MeasureKernel;
}

// Builds a revision with the matrix's kernel options (or takes it from the kernel cache).
async function buildMatrixKernel(opts: MatrixOptions, rev: string, side: 'a' | 'b', fragment: readonly string[]): Promise<ReadyKernel> {
  const config = { ...(await readKernelConfigSpec({ extraFragments: [fragment.join('\n')] })), guestFragment: false };
  const toolchain = opts.toolchain ?? process.env.CC;
  const build = await buildRevision({
    repo: opts.cwd,
    rev,
    config,
    ...(toolchain === undefined ? {} : { toolchain }),
    onProgress: (p) => opts.onProgress?.({ kind: 'build', side, rev, build: p }),
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
  });
  if (build.kind === 'build-failed') {
    throw new ProcessError({
      message: `the build of ${rev} (${build.sha.slice(0, 12)}) with the matrix's kernel options failed: ${build.firstError}`,
      command: `make bzImage (log: ${build.logPath})`,
      stderrTail: build.logTail,
      ...(build.hint === undefined ? {} : { hint: build.hint }),
    });
  }
  return {
    info: { label: rev, imageHash: build.imageHash, commit: build.sha },
    kernel: { bzImage: build.bzImage, vmlinux: build.vmlinux, imageHash: build.imageHash, configHash: build.configHash },
  };
}

async function prepareKernel(opts: MatrixOptions, subject: MatrixSubject, side: 'a' | 'b', fragment: readonly string[]): Promise<ReadyKernel> {
  if (subject.kind === 'rev') return buildMatrixKernel(opts, subject.rev, side, fragment);
  const kernel = await kernelFromImage(subject.path, undefined, opts.cwd);
  return { info: { label: subject.path, imageHash: kernel.imageHash, commit: null }, kernel };
}

// A new directory for this run's files: <data>/matrix/<time>-<pid>.
function defaultOutDir(): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return join(dataDir(), 'matrix', `${stamp}-${process.pid}`);
}

interface Measured {
  boots: BootOutcome[];
  host: { id: string; accel: string };
}

// One kernel, `boots` boots of a cell.
async function measureSide(opts: MatrixOptions, k: ReadyKernel, profile: Profile, hash: string, boots: number, firstBootIndex: number, emit: (e: MeasureProgress) => void): Promise<Measured> {
  const result = await measureKernel({
    kernel: k.kernel,
    profile,
    profileHash: hash,
    boots,
    firstBootIndex,
    ...(opts.accel === undefined ? {} : { accel: opts.accel }),
    ...(opts.store ? {} : { resultsPath: null }),
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    onProgress: emit,
  });
  return { boots: result.boots, host: { id: result.hostFingerprint.id, accel: result.accel } };
}

// Runs every cell and writes matrix.json (after each cell, so an interrupted run leaves what it measured).
export async function runMatrix(opts: MatrixOptions): Promise<MatrixReport> {
  if (!Number.isInteger(opts.boots) || opts.boots < 1) throw new UserError(`--boots: expected an integer ≥ 1, got ${opts.boots}`, 'e.g. --boots 2');
  const executor = await chooseExecutor(opts.executor);
  const loaded = await loadProfile(opts.profile, opts.cwd);
  for (const w of loaded.warnings) opts.onProgress?.({ kind: 'note', text: `warning: ${w}` });
  const base = loaded.profile;
  const cells = enumerateCells(opts.axes);
  const host = { vhostNet: await vhostNetUsable(), cpuCgroup: (await locateCpuCgroupRoot()) !== null };
  const plans = cells.map((cell) => planCell(cell, base, matrixKernelOptions(cells), host));
  // every cell's profile carries the same kernel options: one build serves all
  const fragment = plans.find((p) => p.profile !== null)?.profile?.kernel.fragment ?? base.kernel.fragment;
  const [first, second] = opts.subjects;
  const a = await prepareKernel(opts, first, 'a', fragment);
  const b = second === undefined ? null : await prepareKernel(opts, second, 'b', fragment);
  // files only once the kernels are there: a refused --kernel or a failed build leaves nothing
  const dir = resolve(opts.cwd, opts.outDir ?? defaultOutDir());
  await mkdir(dir, { recursive: true });
  const files = new Map<string, { name: string; hash: string; file: string }>();
  for (const plan of plans) {
    if (plan.profile === null) continue;
    const hash = hashProfile(plan.profile);
    const file = join(dir, `${plan.cell.id}.yaml`);
    await writeFileAtomic(file, renderCellProfileYaml(plan.profile, hash, [`kbisect matrix cell ${plan.cell.id}, base profile ${base.name} (${loaded.hash.slice(0, 12)})`]));
    files.set(plan.cell.id, { name: plan.profile.name, hash, file });
  }
  const seed = opts.seed ?? randomInt(1, 2 ** 31 - 1);
  const revs = first.kind === 'rev' && second?.kind === 'rev' ? { good: first.rev, bad: second.rev } : null;
  const repo = first.kind === 'rev' ? opts.cwd : null;
  if (executor.kind === 'slurm') {
    // the measurement node decides which cells run and measures them all (matrix-slurm.ts)
    const report = await runMatrixOnSlurm({
      settings: executor.settings,
      dir,
      kernels: b === null ? [a.kernel] : [a.kernel, b.kernel],
      profileYaml: renderProfileYaml(loaded),
      axes: opts.axes,
      boots: opts.boots,
      cells: cells.length,
      seed: b === null ? null : seed,
      ...(opts.accel === undefined ? {} : { accel: opts.accel }),
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      onNote: (text) => opts.onProgress?.({ kind: 'note', text }),
    });
    // the kernels as given here (revisions, paths), and bisect commands for this tree
    report.kernels = { a: a.info, b: b?.info ?? null };
    report.base = { name: base.name, hash: loaded.hash };
    for (const [index, cell] of report.cells.entries()) {
      cell.bisect = cell.status === 'unavailable' || cell.profile?.file == null ? null : bisectCommandFor(cell.profile.file, repo, revs);
      opts.onProgress?.({ kind: 'cell-done', index, total: report.cells.length, result: cell });
    }
    await writeFileAtomic(join(dir, 'matrix.json'), `${JSON.stringify(report, null, 2)}\n`);
    return report;
  }
  const report: MatrixReport = {
    schema: 1,
    mode: b === null ? 'single' : 'compare',
    kernels: { a: a.info, b: b?.info ?? null },
    base: { name: base.name, hash: loaded.hash },
    axes: opts.axes,
    bootsPerCell: opts.boots,
    seed: b === null ? null : seed,
    host: null,
    dir,
    cells: [],
    counts: { works: 0, fails: 0, unavailable: 0 },
    generatedAt: new Date().toISOString(),
  };
  const save = (): Promise<void> => writeFileAtomic(join(dir, 'matrix.json'), `${JSON.stringify(report, null, 2)}\n`);
  for (const [index, plan] of plans.entries()) {
    if (opts.signal?.aborted) throw new InterruptedError('interrupted');
    const profileInfo = files.get(plan.cell.id) ?? null;
    const result = await runCell(opts, plan, index, plans.length, { a, b, seed, profileInfo, report });
    result.bisect = result.status === 'unavailable' || profileInfo === null ? null : bisectCommandFor(profileInfo.file, repo, revs);
    report.cells.push(result);
    report.counts = countStatuses(report.cells);
    await save();
    opts.onProgress?.({ kind: 'cell-done', index, total: plans.length, result });
  }
  return report;
}

interface CellContext {
  a: ReadyKernel;
  b: ReadyKernel | null;
  seed: number;
  profileInfo: { name: string; hash: string; file: string } | null;
  report: MatrixReport;
}

// One cell: unavailable as planned, or measured (with two kernels: pairs of boots, each pair in a seeded order).
async function runCell(opts: MatrixOptions, plan: CellPlan, index: number, total: number, ctx: CellContext): Promise<MatrixCellResult> {
  const profile = ctx.profileInfo;
  const base = { cell: plan.cell, profile, bisect: null, b: null, change: null };
  if (plan.kind === 'unavailable') return { ...base, status: 'unavailable', reason: plan.reason, a: null };
  const hash = profile?.hash ?? hashProfile(plan.profile);
  const emit = (side: 'a' | 'b' | null) => (event: MeasureProgress) => opts.onProgress?.({ kind: 'measure', index, total, cell: plan.cell, side, event });
  const higher = plan.profile.tests[0]?.higherIsBetter ?? true;
  const noteHost = (m: Measured): void => {
    ctx.report.host ??= m.host;
  };
  if (ctx.b === null) {
    const measured = await measureSide(opts, ctx.a, plan.profile, hash, opts.boots, 0, emit(null));
    noteHost(measured);
    const a = summarizeCellBoots(measured.boots, higher);
    return { ...base, ...cellStatusOf(a, null), a };
  }
  const boots = { a: [] as BootOutcome[], b: [] as BootOutcome[] };
  for (let pair = 0; pair < opts.boots; pair++) {
    const order: ('a' | 'b')[] = isAFirst(ctx.seed, pair) ? ['a', 'b'] : ['b', 'a'];
    for (const side of order) {
      const kernel = side === 'a' ? ctx.a : ctx.b;
      const measured = await measureSide(opts, kernel, plan.profile, hash, 1, pair, emit(side));
      noteHost(measured);
      boots[side].push(...measured.boots);
    }
  }
  const a = summarizeCellBoots(boots.a, higher);
  const b = summarizeCellBoots(boots.b, higher);
  const status = cellStatusOf(a, b);
  const change = status.status === 'works' ? compareCell(a, b, plan.profile.minEffect, ctx.seed) : null;
  return { ...base, ...status, a, b, change };
}
