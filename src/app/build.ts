// Building guest kernels: revision -> private worktree -> config -> make ->
// cache entry. Owns the build-slot queue (p-limit), so that a bisection can
// build a speculative candidate on one slot while another kernel is measured.
import pLimit from 'p-limit';
import { InterruptedError, ProcessError, tailLines, UserError } from '../core/errors.ts';
import {
  classifyBuildFailure,
  estimatePercent,
  parseKbuildStep,
  relativizeSourcePaths,
  stripAnsi,
  type BuildFailure,
  type BuildProgress,
  type BuildResult,
  type BuildSuccess,
} from '../core/kernel-build.ts';
import { DEFAULT_KERNEL_CACHE_MAX_BYTES, selectEvictions } from '../core/kernel-cache.ts';
import {
  applyConfigOptions,
  canonicalConfigRequest,
  collectFragments,
  configMemoText,
  describeDroppedOptions,
  findDroppedOptions,
  mergeConfigFragments,
  parseDotConfig,
  type ConfigBase,
  type ConfigOption,
  type KernelConfigSpec,
} from '../core/kernel-config.ts';
import {
  lockSlot,
  listWorkspaces,
  prepareSlotDirs,
  readAllSlotStates,
  readMemoConfig,
  readSlotState,
  removeSlotFiles,
  removeSlotSource,
  removeWorkDir,
  repoWorkDir,
  slotPaths,
  workRoot,
  writeMemoConfig,
  writeSlotState,
  type SlotPaths,
  type SlotState,
} from '../adapters/build-workspace.ts';
import {
  addWorktree,
  checkoutWorktree,
  findGitCommonDir,
  isWorktreeOf,
  listTree,
  pruneWorktrees,
  resolveRevision,
  worktreeHead,
} from '../adapters/git.ts';
import { sha256File, sha256Hex } from '../adapters/digest.ts';
import { loadProfile } from './profiles.ts';
import { findExecutable } from '../adapters/host.ts';
import {
  builtFiles,
  defaultMakeJobs,
  ensureCcacheDir,
  detectConfigTargets,
  hasPreviousBuild,
  installDotConfig,
  makeBuildCommand,
  makeConfigCommand,
  probeToolchain,
  readBuildLog,
  readCcacheStatsLog,
  readConfigFile,
  readDotConfig,
  resetCcacheStatsLog,
  runConfigTarget,
  runMakeBuild,
  writeBuildLog,
  writeDotConfig,
  type BuildEnvironment,
  type MakeOutcome,
  type Toolchain,
} from '../adapters/kernel-build.ts';
import {
  cacheKeyFor,
  entryFiles,
  kernelCacheDir,
  listEntries,
  lookupEntry,
  removeEntry,
  removeTempEntries,
  storeEntry,
  touchEntry,
  type KernelCacheEntry,
  type KernelCacheMeta,
} from '../adapters/kernel-cache.ts';

export type { BuildFailure, BuildProgress, BuildResult, BuildSuccess } from '../core/kernel-build.ts';
export type { KernelConfigSpec } from '../core/kernel-config.ts';
export type { KernelCacheEntry } from '../adapters/kernel-cache.ts';

export interface BuildOptions {
  // the kernel git tree (never modified: builds run in private worktrees)
  repo: string;
  rev: string;
  config: KernelConfigSpec;
  // the compiler: gcc (default), gcc-8, /opt/gcc-4.9/bin/gcc
  toolchain?: string;
  // make -j (default: every CPU)
  jobs?: number;
  // build slot = worktree k + O= dir k (default 0)
  slot?: number;
  // build through ccache (default true)
  ccache?: boolean;
  // build again even when the cache holds a result (a success or a failure)
  rebuild?: boolean;
  // cache size limit enforced after each build (LRU)
  maxCacheBytes?: number;
  onProgress?: (progress: BuildProgress) => void;
  signal?: AbortSignal;
}

export interface ResolvedKernelConfig {
  base: ConfigBase;
  // tinyconfig | defconfig | file:<sha256 of the file>
  baseId: string;
  baseText: string | null;
  options: ConfigOption[];
  overrides: { name: string; from: ConfigOption; to: ConfigOption }[];
  configHash: string;
}

// Turns what the command line names (--profile, --config, --fragment) into a
// config spec: the profile's kernel fragment, then the fragment files in order.
export async function readKernelConfigSpec(opts: {
  base?: 'tinyconfig' | 'defconfig';
  configFile?: string;
  // a profile name or YAML path (relative to `cwd`)
  profile?: string;
  cwd?: string;
  fragmentFiles?: readonly string[];
  extraFragments?: readonly string[];
}): Promise<KernelConfigSpec> {
  const fragments = [];
  if (opts.profile !== undefined) {
    const loaded = await loadProfile(opts.profile, opts.cwd);
    fragments.push({ source: `profile ${loaded.source}`, text: loaded.profile.kernel.fragment.join('\n') });
  }
  for (const file of opts.fragmentFiles ?? []) fragments.push({ source: file, text: await readConfigFile(file, '--fragment') });
  fragments.push(...(opts.extraFragments ?? []));
  return { base: opts.configFile !== undefined ? { file: opts.configFile } : (opts.base ?? 'tinyconfig'), fragments };
}

// Merges the fragments, checks them, and hashes the request (base + options):
// the config part of every cache key.
export async function resolveKernelConfig(spec: KernelConfigSpec): Promise<ResolvedKernelConfig> {
  const merged = mergeConfigFragments(collectFragments(spec));
  if (merged.errors.length > 0) {
    throw new UserError(`config fragments have errors:\n  ${merged.errors.join('\n  ')}`, 'fix those lines (format: CONFIG_FOO=y)');
  }
  let baseText: string | null = null;
  let baseId: string;
  if (typeof spec.base === 'string') {
    if (spec.base !== 'tinyconfig' && spec.base !== 'defconfig') {
      throw new UserError(`config base: expected tinyconfig, defconfig or a .config file, got ${JSON.stringify(spec.base)}`);
    }
    baseId = spec.base;
  } else {
    baseText = await readConfigFile(spec.base.file, '--config');
    baseId = `file:${sha256Hex(baseText)}`;
  }
  const configHash = sha256Hex(canonicalConfigRequest(baseId, merged.options)).slice(0, 16);
  return { base: spec.base, baseId, baseText, options: merged.options, overrides: merged.overrides, configHash };
}

interface PreparedBuild {
  repo: string;
  gitCommonDir: string;
  sha: string;
  config: ResolvedKernelConfig;
  toolchain: Toolchain;
  key: string;
}

async function prepareBuild(opts: BuildOptions): Promise<PreparedBuild> {
  const gitCommonDir = await findGitCommonDir(opts.repo);
  const sha = await resolveRevision(opts.repo, opts.rev);
  const config = await resolveKernelConfig(opts.config);
  const toolchain = await probeToolchain(opts.toolchain ?? 'gcc');
  const key = cacheKeyFor({ sha, configHash: config.configHash, toolchainId: toolchain.id });
  return { repo: opts.repo, gitCommonDir, sha, config, toolchain, key };
}

// Builds one revision (or finds it in the cache) and says what came out: a
// kernel, or a build failure the bisection treats as a skip. Host problems
// (disk full, missing tool, killed) throw instead.
export async function buildRevision(opts: BuildOptions): Promise<BuildResult> {
  const started = performance.now();
  const prepared = await prepareBuild(opts);
  if (opts.rebuild !== true) {
    const hit = await lookupEntry(prepared.key);
    if (hit !== null) {
      await touchEntry(prepared.key);
      return resultFromEntry(hit, 'cached', { elapsedMs: performance.now() - started, slot: null });
    }
  }
  const slot = opts.slot ?? 0;
  if (!Number.isInteger(slot) || slot < 0) throw new UserError(`--slot: expected a non-negative integer, got ${slot}`);
  const workDir = await repoWorkDir(opts.repo, prepared.gitCommonDir);
  const paths = slotPaths(workDir, slot);
  const release = await lockSlot(paths);
  try {
    return await buildOnSlot(opts, prepared, workDir, paths, started);
  } finally {
    await release();
  }
}

async function buildEnvironment(opts: BuildOptions, toolchain: Toolchain, paths: SlotPaths): Promise<BuildEnvironment> {
  if (opts.ccache === false) return { toolchain, ccache: null };
  if ((await findExecutable('ccache')) === null) {
    throw new UserError('ccache not found on PATH', 'install it (sudo bash scripts/setup-host.sh), or build without it (--no-ccache)');
  }
  return { toolchain, ccache: { dir: await ensureCcacheDir(), baseDir: await workRoot(), statsLog: paths.ccacheStatsLog } };
}

async function buildOnSlot(
  opts: BuildOptions,
  prepared: PreparedBuild,
  workDir: string,
  paths: SlotPaths,
  started: number,
): Promise<BuildResult> {
  const { sha, config, toolchain, key } = prepared;
  let objectsDone = 0;
  let objectsExpected: number | null = null;
  let step: string | null = null;
  const report = (phase: BuildProgress['phase']): void =>
    opts.onProgress?.({
      sha,
      slot: paths.slot,
      phase,
      objectsDone,
      objectsExpected,
      percent: phase === 'compile' ? estimatePercent(objectsDone, objectsExpected) : null,
      elapsedMs: performance.now() - started,
      step,
    });
  const checkAbort = (): void => {
    if (opts.signal?.aborted) throw new InterruptedError(`build of ${sha.slice(0, 12)} interrupted`);
  };

  const env = await buildEnvironment(opts, toolchain, paths);
  await prepareSlotDirs(paths);
  report('checkout');
  await ensureWorktree(prepared.repo, paths, sha, opts.signal);
  checkAbort();

  report('config');
  const generated = await generateConfig(paths, workDir, sha, config, env);
  const { previous, slotState, baseMeta } = await describeBuild(prepared, paths, started);
  const sourcePrefixes = [`${paths.src}/`, '../src/'];
  if (!generated.ok) {
    await writeBuildLog(paths.log, generated.log);
    await writeSlotState(paths, slotState(previous?.fullObjects ?? null));
    const log = relativizeSourcePaths(stripAnsi(generated.log), sourcePrefixes);
    return recordFailure(prepared, paths, generated.outcome, log, baseMeta({ reusedOutDir: false }), started);
  }
  const finalConfig = generated.text;
  const dropped = findDroppedOptions(config.options, parseDotConfig(finalConfig));
  if (dropped.length > 0) {
    throw new UserError(
      `olddefconfig dropped ${dropped.length} requested option(s) for ${sha.slice(0, 12)}:\n${describeDroppedOptions(dropped)}`,
      'enable their dependencies in a fragment, or remove those options from it',
    );
  }
  checkAbort();
  const reusedOutDir = await hasPreviousBuild(paths.out);
  await installDotConfig(paths.out, finalConfig);
  objectsExpected = await expectedObjects(workDir, previous, reusedOutDir, config.configHash, toolchain.id);
  if (env.ccache) await resetCcacheStatsLog(env.ccache.statsLog);

  report('compile');
  const command = makeBuildCommand({ srcDir: paths.src, outDir: paths.out, jobs: opts.jobs ?? defaultMakeJobs(), env });
  const outcome = await runMakeBuild(command, {
    logPath: paths.log,
    ...(opts.signal ? { signal: opts.signal } : {}),
    onLine: (line) => {
      const parsed = parseKbuildStep(line);
      if (parsed === null) return;
      if (parsed.isObject) objectsDone++;
      step = `${parsed.verb} ${parsed.target}`;
      report('compile');
    },
  });
  if (outcome.aborted) throw new InterruptedError(`build of ${sha.slice(0, 12)} interrupted`);
  const log = relativizeSourcePaths(stripAnsi(await readBuildLog(paths.log)), sourcePrefixes);
  const ccache = env.ccache ? await readCcacheStatsLog(env.ccache.statsLog) : null;
  const meta = baseMeta({ reusedOutDir, objectsCompiled: objectsDone, ...(ccache ? { ccache } : {}) });

  if (outcome.exitCode !== 0 || outcome.signal !== undefined) {
    await writeSlotState(paths, slotState(previous?.fullObjects ?? null));
    return recordFailure(prepared, paths, outcome, log, meta, started);
  }
  report('store');
  const files = builtFiles(paths.out);
  const imageHash = await sha256File(files.bzImage);
  const entry = await storeEntry({ ...meta, kind: 'built', imageHash }, { ...files, log: paths.log });
  await writeSlotState(paths, slotState(reusedOutDir ? (previous?.fullObjects ?? null) : objectsDone));
  await enforceCacheLimit(opts.maxCacheBytes ?? DEFAULT_KERNEL_CACHE_MAX_BYTES, key);
  return resultFromEntry(entry, 'built', { elapsedMs: performance.now() - started, slot: paths.slot });
}

// How many objects this build will compile, for the progress percentage: a
// fresh O= dir compiles what a full build of this config compiled on any
// slot; a reused one with another config or compiler about what its own last
// full build did; a plain incremental step is too small to estimate (null).
async function expectedObjects(
  workDir: string,
  previous: SlotState | null,
  reusedOutDir: boolean,
  configHash: string,
  toolchainId: string,
): Promise<number | null> {
  if (reusedOutDir) {
    const changed = previous !== null && (previous.configHash !== configHash || previous.toolchainId !== toolchainId);
    return changed ? previous.fullObjects : null;
  }
  const known = (await readAllSlotStates(workDir))
    .filter((s) => s.configHash === configHash && s.toolchainId === toolchainId && s.fullObjects !== null)
    .map((s) => s.fullObjects ?? 0);
  return known.length > 0 ? Math.max(...known) : null;
}

type MetaBase = Omit<KernelCacheMeta, 'kind' | 'imageHash' | 'firstError' | 'logTail' | 'hint'>;

// The parts of the cache record and slot state that every outcome shares.
async function describeBuild(prepared: PreparedBuild, paths: SlotPaths, started: number) {
  const previous = await readSlotState(paths);
  const builtAt = () => new Date().toISOString();
  return {
    previous,
    baseMeta: (extra: Partial<MetaBase>): MetaBase => ({
      version: 1,
      key: prepared.key,
      sha: prepared.sha,
      configHash: prepared.config.configHash,
      toolchainId: prepared.toolchain.id,
      toolchainVersion: prepared.toolchain.versionText,
      durationMs: Math.round(performance.now() - started),
      builtAt: builtAt(),
      ...extra,
    }),
    slotState: (fullObjects: number | null) => ({
      repo: prepared.repo,
      sha: prepared.sha,
      configHash: prepared.config.configHash,
      toolchainId: prepared.toolchain.id,
      fullObjects,
      builtAt: builtAt(),
    }),
  };
}

// A failed config or make step: the host's fault throws, the commit's fault
// is recorded in the cache (with its log) and returned as build-failed.
async function recordFailure(
  prepared: PreparedBuild,
  paths: SlotPaths,
  outcome: MakeOutcome,
  log: string,
  meta: MetaBase,
  started: number,
): Promise<BuildResult> {
  const sha12 = prepared.sha.slice(0, 12);
  const failure = classifyBuildFailure({ log, exitCode: outcome.exitCode, signal: outcome.signal, toolchainId: prepared.toolchain.id });
  if (failure.kind === 'infrastructure') {
    throw new ProcessError({
      message: `building ${sha12} failed for a host reason, not because of the commit: ${failure.reason}`,
      command: outcome.command,
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      stderrTail: tailLines(log, 15),
      hint: `${failure.hint} (full log: ${paths.log})`,
    });
  }
  const entry = await storeEntry(
    {
      ...meta,
      kind: 'build-failed',
      firstError: failure.firstError,
      logTail: tailLines(log, 30),
      ...(failure.hint === undefined ? {} : { hint: failure.hint }),
    },
    { log: paths.log },
  );
  return resultFromEntry(entry, 'built', { elapsedMs: performance.now() - started, slot: paths.slot });
}

// Puts the slot's private worktree at `sha`: reused when it is a worktree of
// this repository (only changed files are rewritten), created otherwise.
async function ensureWorktree(repo: string, paths: SlotPaths, sha: string, signal?: AbortSignal): Promise<void> {
  if ((await worktreeHead(paths.src)) !== null && (await isWorktreeOf(paths.src, repo))) {
    await checkoutWorktree(paths.src, sha, signal);
    return;
  }
  await removeSlotSource(paths);
  await pruneWorktrees(repo);
  await addWorktree(repo, paths.src, sha, signal);
}

type GeneratedConfig = { ok: true; text: string } | { ok: false; outcome: MakeOutcome; log: string };

// Generates the final .config in the slot's config O= dir: base, then the
// merged fragments, then olddefconfig (oldconfig with default answers on
// kernels before 3.7; allnoconfig stands in for tinyconfig before 3.17).
// Memoized by the commit's Kconfig inputs: most bisection steps reuse it.
async function generateConfig(
  paths: SlotPaths,
  workDir: string,
  sha: string,
  config: ResolvedKernelConfig,
  env: BuildEnvironment,
): Promise<GeneratedConfig> {
  const memoKey = sha256Hex(
    configMemoText({
      configHash: config.configHash,
      toolchain: [env.toolchain.versionText, env.toolchain.linkerVersionText],
      tree: await listTree(paths.src, sha),
    }),
  );
  const memo = await readMemoConfig(workDir, memoKey);
  if (memo !== null) return { ok: true, text: memo };
  const targets = await detectConfigTargets(paths.src);
  let log = '';
  const make = async (target: string, input?: string): Promise<MakeOutcome | null> => {
    const outcome = await runConfigTarget(
      makeConfigCommand({ srcDir: paths.src, outDir: paths.config, target, env, ...(input === undefined ? {} : { input }) }),
    );
    log += `$ ${outcome.command}\n${outcome.output}`;
    return outcome.exitCode === 0 && outcome.signal === undefined ? null : outcome;
  };
  let failed: MakeOutcome | null = null;
  if (config.baseText !== null) await writeDotConfig(paths.config, config.baseText);
  else failed = await make(config.base === 'defconfig' ? 'defconfig' : targets.tinyconfig ? 'tinyconfig' : 'allnoconfig');
  if (failed === null) {
    await writeDotConfig(paths.config, applyConfigOptions(await readDotConfig(paths.config), config.options));
    failed = targets.olddefconfig ? await make('olddefconfig') : await make('oldconfig', '\n'.repeat(20_000));
  }
  if (failed !== null) return { ok: false, outcome: failed, log };
  const text = await readDotConfig(paths.config);
  await writeMemoConfig(workDir, memoKey, text);
  return { ok: true, text };
}

// Another commit whose bzImage is byte-identical (the oldest such entry).
async function findIdenticalImage(imageHash: string, sha: string): Promise<string | undefined> {
  const same = (await listEntries())
    .filter((e) => e.meta.kind === 'built' && e.meta.imageHash === imageHash && e.meta.sha !== sha)
    .sort((a, b) => a.meta.builtAt.localeCompare(b.meta.builtAt));
  return same[0]?.meta.sha;
}

async function resultFromEntry(
  entry: KernelCacheEntry,
  kind: 'built' | 'cached',
  call: { elapsedMs: number; slot: number | null },
): Promise<BuildResult> {
  const { meta } = entry;
  const files = entryFiles(entry.dir);
  const common = {
    sha: meta.sha,
    configHash: meta.configHash,
    toolchainId: meta.toolchainId,
    logPath: files.log,
    durationMs: meta.durationMs,
    elapsedMs: Math.round(call.elapsedMs),
    cacheKey: meta.key,
    slot: call.slot,
  };
  if (meta.kind === 'build-failed') {
    const failure: BuildFailure = {
      ...common,
      kind: 'build-failed',
      firstError: meta.firstError ?? '',
      logTail: meta.logTail ?? '',
      cached: kind === 'cached',
      ...(meta.hint === undefined ? {} : { hint: meta.hint }),
    };
    return failure;
  }
  const imageHash = meta.imageHash ?? '';
  const identicalTo = await findIdenticalImage(imageHash, meta.sha);
  const success: BuildSuccess = {
    ...common,
    kind,
    bzImage: files.bzImage,
    vmlinux: files.vmlinux,
    configPath: files.config,
    imageHash,
    ...(identicalTo === undefined ? {} : { identicalTo }),
    ...(meta.reusedOutDir === undefined ? {} : { reusedOutDir: meta.reusedOutDir }),
    ...(meta.objectsCompiled === undefined ? {} : { objectsCompiled: meta.objectsCompiled }),
    ...(meta.ccache === undefined ? {} : { ccache: meta.ccache }),
  };
  return success;
}

export interface BuildPoolOptions extends Omit<BuildOptions, 'rev' | 'slot'> {
  // builds at once, each on its own slot (worktree + O= dir)
  slots: number;
  // slots used: firstSlot .. firstSlot + slots - 1 (default 0)
  firstSlot?: number;
}

export interface BuildPool {
  readonly slots: number;
  readonly activeCount: number;
  readonly pendingCount: number;
  // queues a build; it runs on the first free slot
  build(rev: string, overrides?: Partial<Omit<BuildOptions, 'repo' | 'rev' | 'slot'>>): Promise<BuildResult>;
  // drops builds that have not started
  clear(): void;
}

// A queue of builds over `slots` build slots; make -j is shared between them
// unless `jobs` says otherwise. `build` is replaceable for tests of the queue.
export function createBuildPool(opts: BuildPoolOptions, build: (o: BuildOptions) => Promise<BuildResult> = buildRevision): BuildPool {
  if (!Number.isInteger(opts.slots) || opts.slots < 1) {
    throw new UserError(`--jobs: expected a positive integer, got ${opts.slots}`);
  }
  const firstSlot = opts.firstSlot ?? 0;
  if (!Number.isInteger(firstSlot) || firstSlot < 0) throw new UserError(`--slot: expected a non-negative integer, got ${firstSlot}`);
  const buildSlots = pLimit(opts.slots);
  const free = Array.from({ length: opts.slots }, (_, i) => firstSlot + i);
  const { slots, firstSlot: _first, ...defaults } = opts;
  return {
    slots,
    get activeCount() {
      return buildSlots.activeCount;
    },
    get pendingCount() {
      return buildSlots.pendingCount;
    },
    build: (rev, overrides = {}) =>
      buildSlots(async () => {
        const slot = free.shift();
        if (slot === undefined) throw new Error('build pool: no free slot although the queue let a build run');
        try {
          return await build({ jobs: defaultMakeJobs(slots), ...defaults, ...overrides, rev, slot });
        } finally {
          free.push(slot);
          free.sort((a, b) => a - b);
        }
      }),
    clear: () => buildSlots.clearQueue(),
  };
}

// Builds several revisions through a pool: every revision is resolved first
// (a typo fails before any build starts), and the first error stops the rest.
export async function buildRevisions(revs: readonly string[], opts: BuildPoolOptions): Promise<BuildResult[]> {
  if (revs.length === 0) throw new UserError('build: expected at least one revision');
  for (const rev of revs) await resolveRevision(opts.repo, rev);
  const controller = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, controller.signal]) : controller.signal;
  const pool = createBuildPool({ ...opts, signal });
  const settled = await Promise.allSettled(
    revs.map((rev) =>
      pool.build(rev).catch((error: unknown) => {
        pool.clear();
        controller.abort();
        throw error;
      }),
    ),
  );
  // the error that stopped the others, not the interruptions it caused
  const failures = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  const first = failures.find((e) => !(e instanceof InterruptedError)) ?? failures[0];
  if (failures.length > 0) throw first;
  return settled.map((r) => (r as PromiseFulfilledResult<BuildResult>).value);
}

export interface WorkspaceResetResult {
  removedSlots: number;
  // slots another kbisect process is building on: left alone
  busySlots: number[];
}

// Removes the slots of one work dir (each under its lock; busy ones are left).
async function removeWorkspaceSlots(workDir: string, slots: readonly number[]): Promise<WorkspaceResetResult> {
  let removedSlots = 0;
  const busySlots: number[] = [];
  for (const slot of slots) {
    const paths = slotPaths(workDir, slot);
    let release: () => Promise<void>;
    try {
      release = await lockSlot(paths);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      busySlots.push(slot);
      continue;
    }
    try {
      await removeSlotFiles(paths);
      removedSlots++;
    } finally {
      await release();
    }
  }
  if (busySlots.length === 0) await removeWorkDir(workDir);
  return { removedSlots, busySlots };
}

// Removes a repository's build slots (worktrees, O= dirs) and prunes git's
// worktree list: what `kbisect reset` does to builds.
export async function resetBuildWorkspace(repo: string): Promise<WorkspaceResetResult> {
  const gitCommonDir = await findGitCommonDir(repo);
  const workDir = await repoWorkDir(repo, gitCommonDir);
  const workspace = (await listWorkspaces()).find((w) => w.dir === workDir);
  const result = await removeWorkspaceSlots(workDir, workspace?.slots ?? []);
  await pruneWorktrees(repo);
  return result;
}

export interface CacheListing {
  dir: string;
  entries: KernelCacheEntry[];
  totalBytes: number;
}

// Everything in the kernel cache, most recently used first.
export async function listKernelCache(): Promise<CacheListing> {
  const entries = (await listEntries()).sort((a, b) => b.lastUsedMs - a.lastUsedMs);
  return { dir: kernelCacheDir(), entries, totalBytes: entries.reduce((sum, e) => sum + e.sizeBytes, 0) };
}

export interface PruneOptions {
  // evict least recently used entries until the cache fits
  maxBytes?: number;
  // remove every entry
  all?: boolean;
  // remove recorded build failures (so they are built again)
  failed?: boolean;
  // also remove the build slots (worktrees and O= dirs) of every repository
  work?: boolean;
}

export interface PruneResult {
  removed: { key: string; sha: string; sizeBytes: number }[];
  freedBytes: number;
  remainingBytes: number;
  removedSlots: number;
  busySlots: string[];
}

// Shrinks the kernel cache (LRU), and optionally clears build slots.
export async function pruneKernelCache(opts: PruneOptions): Promise<PruneResult> {
  await removeTempEntries();
  const entries = await listEntries();
  const keys = new Set<string>();
  if (opts.all) for (const e of entries) keys.add(e.key);
  if (opts.failed) for (const e of entries) if (e.meta.kind === 'build-failed') keys.add(e.key);
  if (opts.maxBytes !== undefined) {
    const rest = entries.filter((e) => !keys.has(e.key));
    for (const key of selectEvictions(rest, opts.maxBytes)) keys.add(key);
  }
  const removed = entries.filter((e) => keys.has(e.key));
  for (const e of removed) await removeEntry(e.key);
  let removedSlots = 0;
  const busySlots: string[] = [];
  if (opts.work) {
    for (const workspace of await listWorkspaces()) {
      const result = await removeWorkspaceSlots(workspace.dir, workspace.slots);
      removedSlots += result.removedSlots;
      busySlots.push(...result.busySlots.map((s) => `${workspace.dir}/slot-${s}`));
      // the repository may be gone; then there is no worktree list to prune
      if (workspace.record) await pruneWorktrees(workspace.record.repo).catch(() => undefined);
    }
  }
  const freedBytes = removed.reduce((sum, e) => sum + e.sizeBytes, 0);
  const remainingBytes = entries.reduce((sum, e) => sum + e.sizeBytes, 0) - freedBytes;
  return {
    removed: removed.map((e) => ({ key: e.key, sha: e.meta.sha, sizeBytes: e.sizeBytes })),
    freedBytes,
    remainingBytes,
    removedSlots,
    busySlots,
  };
}

async function enforceCacheLimit(maxBytes: number, keep: string): Promise<void> {
  const entries = await listEntries();
  for (const key of selectEvictions(entries, maxBytes, new Set([keep]))) await removeEntry(key);
}
