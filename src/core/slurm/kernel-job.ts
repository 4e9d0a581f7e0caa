// Kernel mode through Slurm, as data: the kbisect command line a build job or
// a measurement job runs on the worker, the environment that makes build jobs
// share one kernel cache and one ccache, and the parsers of what those
// commands print with --json (validated: the file comes from another machine).
import { z } from 'zod';
import type { KernelConfigSpec } from '../kernel-config.ts';
import { CCACHE_SHARING_ENV } from '../kernel-build.ts';

// How a worker starts kbisect: the single executable, or node and the bundle.
export interface WorkerKbisect {
  argv: readonly string[];
  kind: 'executable' | 'node-bundle';
}

export interface BuildJobInput {
  kbisect: WorkerKbisect;
  repo: string;
  sha: string;
  // the session's config, with its files already in the shared directory (see configFiles)
  config: KernelConfigSpec;
  files: ConfigFiles;
  toolchain: string | null;
  rebuild: boolean;
}

// The session's config files as the worker sees them: the base .config, the
// profile (when the guest fragment is off, the profile's own fragment comes
// through --profile, as `start` read it) and the further fragments.
export interface ConfigFiles {
  baseFile?: string;
  profileFile?: string;
  fragmentFiles: readonly string[];
}

// The fragments of a config spec that go to the worker as --fragment files:
// with the guest fragment off the first one is the profile's (given as --profile).
export function fragmentsToShip(config: KernelConfigSpec): { viaProfile: boolean; fragments: string[] } {
  const texts = config.fragments.map((f) => (typeof f === 'string' ? f : f.text));
  return config.guestFragment === false ? { viaProfile: true, fragments: texts.slice(1) } : { viaProfile: false, fragments: texts };
}

// `kbisect -C REPO build SHA --json ...`: the same config the session builds locally.
export function buildKernelBuildArgv(input: BuildJobInput): string[] {
  const { config, files } = input;
  const base = typeof config.base === 'string' ? ['--base', config.base] : ['--config', required(files.baseFile, 'the base .config file')];
  const profile = config.guestFragment === false ? ['--profile', required(files.profileFile, 'the profile file')] : [];
  return [
    ...input.kbisect.argv,
    '-C',
    input.repo,
    'build',
    input.sha,
    '--json',
    ...base,
    ...profile,
    ...files.fragmentFiles.flatMap((f) => ['--fragment', f]),
    ...(input.toolchain === null ? [] : ['--toolchain', input.toolchain]),
    ...(input.rebuild ? ['--rebuild'] : []),
  ];
}

function required(value: string | undefined, what: string): string {
  if (value === undefined) throw new TypeError(`Expected ${what} in the shared directory, got none.`);
  return value;
}

export interface MeasureJobInput {
  kbisect: WorkerKbisect;
  bzImage: string;
  vmlinux: string | null;
  profileFile: string;
  boots: number;
  accel: 'auto' | 'kvm' | 'tcg';
}

// `kbisect measure --kernel IMAGE --profile FILE --boots N --json`: the
// session log is the record, so the worker's own results store is left alone.
export function buildMeasureArgv(input: MeasureJobInput): string[] {
  if (!Number.isInteger(input.boots) || input.boots < 1) throw new TypeError(`Expected the \`boots\` option to be a positive integer, got \`${input.boots}\`.`);
  return [
    ...input.kbisect.argv,
    'measure',
    '--kernel',
    input.bzImage,
    ...(input.vmlinux === null ? [] : ['--vmlinux', input.vmlinux]),
    '--profile',
    input.profileFile,
    '--boots',
    String(input.boots),
    '--accel',
    input.accel,
    '--no-store',
    '--json',
  ];
}

export interface BuildJobEnvironment {
  env: Record<string, string>;
  unset: string[];
  prelude: string[];
}

// Every build job: its kernel into the shared cache, its worktrees, O= dirs
// and local ccache into <workerRoot>/<node>, ccache objects into the shared
// remote storage, keyed as every kbisect build keys them (CCACHE_SHARING_ENV:
// hits across worker directories and with local builds).
export function buildJobEnvironment(opts: { kernelCacheDir: string; workerRoot: string; ccacheRemoteStorage?: string }): BuildJobEnvironment {
  return {
    env: {
      KBISECT_KERNEL_CACHE_DIR: opts.kernelCacheDir,
      KBISECT_WORKER_ROOT: opts.workerRoot,
      ...CCACHE_SHARING_ENV,
      ...(opts.ccacheRemoteStorage === undefined ? {} : { CCACHE_REMOTE_STORAGE: opts.ccacheRemoteStorage }),
    },
    // sbatch copies the submitter's environment: its ccache dir is not this worker's
    unset: ['CCACHE_DIR', ...(opts.ccacheRemoteStorage === undefined ? ['CCACHE_REMOTE_STORAGE', 'CCACHE_SECONDARY_STORAGE'] : [])],
    prelude: [`export KBISECT_CACHE_DIR="$KBISECT_WORKER_ROOT/$(printf %s "\${SLURMD_NODENAME:-$(hostname -s)}" | tr -dc 'A-Za-z0-9._-')"`, 'mkdir -p -- "$KBISECT_CACHE_DIR" || exit 96'],
  };
}

const ccacheStats = z.object({ hits: z.number(), misses: z.number(), uncacheable: z.number(), hitRate: z.number().nullable() });
const buildCommon = {
  sha: z.string().regex(/^[0-9a-f]{40}$/),
  configHash: z.string(),
  toolchainId: z.string(),
  cacheKey: z.string(),
  logPath: z.string(),
  durationMs: z.number(),
  elapsedMs: z.number(),
};
const buildOutputSchema = z.discriminatedUnion('kind', [
  z.looseObject({ ...buildCommon, kind: z.enum(['built', 'cached']), bzImage: z.string(), vmlinux: z.string(), imageHash: z.string().min(1), ccache: ccacheStats.optional() }),
  z.looseObject({ ...buildCommon, kind: z.literal('build-failed'), firstError: z.string(), logTail: z.string(), hint: z.string().optional() }),
]);
export type BuildJobOutput = z.infer<typeof buildOutputSchema>;

// What `kbisect build --json` printed on the worker; null for anything else (a crash, a truncated file).
export function parseBuildJobOutput(text: string): BuildJobOutput | null {
  return parseJson(text, buildOutputSchema);
}

const finite = z.number().refine(Number.isFinite);
const testSamples = z.looseObject({ test: z.string(), metric: z.string(), unit: z.string(), runs: z.array(finite), warmup: z.array(finite) });
const bootSchema = z.discriminatedUnion('kind', [
  z.looseObject({ kind: z.literal('ok'), bootIndex: z.number().int().nonnegative(), readyMs: z.number(), timings: z.looseObject({}), tests: z.array(testSamples) }),
  z.looseObject({ kind: z.literal('boot-failed'), bootIndex: z.number().int().nonnegative(), phase: z.enum(['boot', 'measure']), reason: z.string(), consoleTail: z.string() }),
]);
const measureOutputSchema = z.looseObject({
  hostFingerprint: z.looseObject({ id: z.string().min(1) }),
  accel: z.enum(['kvm', 'tcg']),
  accelReason: z.string(),
  profileHash: z.string(),
  kernel: z.looseObject({ imageHash: z.string() }),
  boots: z.array(bootSchema),
  warnings: z.array(z.string()),
});
export type MeasureJobOutput = z.infer<typeof measureOutputSchema>;

// What `kbisect measure --json` printed on the worker (the worker's host
// fingerprint and accelerator included); null for anything else.
export function parseMeasureJobOutput(text: string): MeasureJobOutput | null {
  return parseJson(text, measureOutputSchema);
}

function parseJson<T>(text: string, schema: z.ZodType<T>): T | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const r = schema.safeParse(raw);
  return r.success ? r.data : null;
}
