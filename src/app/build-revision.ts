// Building one guest kernel: revision -> private worktree (build slot) ->
// config -> make -> kernel cache entry. A failure caused by the commit is a
// result (a bisection skips it); one caused by the host throws.
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
import { DEFAULT_KERNEL_CACHE_MAX_BYTES, findIdenticalImage } from '../core/kernel-cache.ts';
import { describeDroppedOptions, findDroppedOptions, parseDotConfig, type KernelConfigSpec } from '../core/kernel-config.ts';
import {
  lockSlot,
  prepareSlotDirs,
  readAllSlotStates,
  readSlotState,
  removeSlotSource,
  repoWorkDir,
  slotPaths,
  workRoot,
  writeSlotState,
  type SlotPaths,
  type SlotState,
} from '../adapters/build-workspace.ts';
import { addWorktree, checkoutWorktree, findGitCommonDir, isWorktreeOf, pruneWorktrees, resolveRevision, worktreeHead } from '../adapters/git.ts';
import { sha256File } from '../adapters/digest.ts';
import { findExecutable } from '../adapters/host.ts';
import {
  builtFiles,
  defaultMakeJobs,
  ensureCcacheDir,
  hasPreviousBuild,
  installDotConfig,
  makeBuildCommand,
  probeToolchain,
  readBuildLog,
  readCcacheStatsLog,
  resetCcacheStatsLog,
  runMakeBuild,
  writeBuildLog,
  type BuildEnvironment,
  type MakeOutcome,
  type Toolchain,
} from '../adapters/kernel-build.ts';
import { cacheKeyFor, entryFiles, listEntries, lookupEntry, storeEntry, touchEntry, type KernelCacheEntry, type KernelCacheMeta } from '../adapters/kernel-cache.ts';
import { enforceCacheLimit } from './build-cache.ts';
import { generateConfig, resolveKernelConfig, type ResolvedKernelConfig } from './build-config.ts';
import { backgroundPrefix } from '../core/cpu-partition.ts';

export type { BuildFailure, BuildProgress, BuildResult, BuildSuccess } from '../core/kernel-build.ts';

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
  // a build in the background of a measurement: make runs under `nice -n 19`
  // and, when given, only on these CPUs (core/cpu-partition.ts)
  background?: { cpus: readonly number[] | null };
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
  const jobs = opts.background?.cpus?.length ?? opts.jobs ?? defaultMakeJobs();
  const prefix = opts.background === undefined ? [] : backgroundPrefix(opts.background.cpus);
  const command = makeBuildCommand({ srcDir: paths.src, outDir: paths.out, jobs, env, prefix });
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
  const identicalTo = findIdenticalImage(await listEntries(), imageHash, meta.sha);
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
