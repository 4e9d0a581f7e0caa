// What a kernel build produced and what its output means: results as values,
// Kbuild's progress lines, the first error of a failed build, whether a
// failure is the commit's fault (skip it) or the host's (stop), and ccache's
// per-build statistics. Pure: the adapters run make and read the logs.

// Fixed build identity so that identical sources give an identical image:
// KBUILD_BUILD_VERSION pins the `#N` that the O= dir's .version counter
// would otherwise bump on every link.
export const REPRODUCIBLE_BUILD_ENV: Readonly<Record<string, string>> = {
  KBUILD_BUILD_TIMESTAMP: 'Mon Jan  1 00:00:00 UTC 2024',
  KBUILD_BUILD_USER: 'kbisect',
  KBUILD_BUILD_HOST: 'kbisect',
  KBUILD_BUILD_VERSION: '1',
};

// How ccache keys objects for every kbisect build, local or a Slurm job's:
// hits across directories (build slots, worker directories, machines) need
// it to ignore the directory (base_dir, set per build, makes the -I paths
// relative; hash_dir=false keeps the cwd out of the hash when -g is on) and
// to identify gcc by its bytes, not by the mtime of each machine's copy. One
// keying everywhere also lets a local build's objects serve a build job.
export const CCACHE_SHARING_ENV: Readonly<Record<string, string>> = {
  CCACHE_NOHASHDIR: 'true',
  CCACHE_COMPILERCHECK: 'content',
};

export interface CcacheStats {
  hits: number;
  misses: number;
  // compiler calls ccache could not cache (linking, preprocessing only, ...)
  uncacheable: number;
  // hits / (hits + misses); null when nothing was cacheable
  hitRate: number | null;
}

interface BuildResultCommon {
  sha: string;
  configHash: string;
  toolchainId: string;
  logPath: string;
  // how long the build took (for a cached result: the original build)
  durationMs: number;
  // wall time of this call (a cache hit: the lookup)
  elapsedMs: number;
  cacheKey: string;
  slot: number | null;
}

export interface BuildSuccess extends BuildResultCommon {
  kind: 'built' | 'cached';
  bzImage: string;
  vmlinux: string;
  configPath: string;
  // sha256 of the bzImage
  imageHash: string;
  // another commit whose image is byte-identical: its measurements apply here too
  identicalTo?: string;
  // the build ran in an O= dir that already held a build (incremental)
  reusedOutDir?: boolean;
  objectsCompiled?: number;
  ccache?: CcacheStats;
}

export interface BuildFailure extends BuildResultCommon {
  kind: 'build-failed';
  firstError: string;
  logTail: string;
  hint?: string;
  // this failure was recorded earlier and not rebuilt
  cached: boolean;
}

export type BuildResult = BuildSuccess | BuildFailure;

export interface BuildProgress {
  sha: string;
  slot: number;
  phase: 'checkout' | 'config' | 'compile' | 'store';
  objectsDone: number;
  objectsExpected: number | null;
  percent: number | null;
  elapsedMs: number;
  // the last Kbuild step, e.g. "CC drivers/net/virtio_net.o"
  step: string | null;
}

export interface KbuildStep {
  verb: string;
  target: string;
  // a compiled object (CC/AS to .o): what the progress percentage counts
  isObject: boolean;
}

const STEP = /^ {2}([A-Z][A-Z0-9_-]*)(?: \[[A-Z]\])? +(\S+)\s*$/;
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

// Reads one line of Kbuild's quiet output ("  CC      init/main.o").
export function parseKbuildStep(line: string): KbuildStep | null {
  const m = STEP.exec(line);
  if (!m?.[1] || !m[2]) return null;
  const verb = m[1];
  const target = m[2];
  return { verb, target, isObject: (verb === 'CC' || verb === 'AS') && target.endsWith('.o') };
}

// Percent of objects compiled, capped below 100 until make says it is done.
export function estimatePercent(done: number, expected: number | null): number | null {
  if (expected === null || expected <= 0) return null;
  return Math.min(99, Math.floor((100 * done) / expected));
}

// Compiler and make output without color escapes (ccache may force colors).
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

// Makes compiler messages name files as in the kernel tree: with an O= dir and
// ccache's base dir they read "../src/drivers/net/x.c" or "/abs/slot-0/src/...".
export function relativizeSourcePaths(text: string, prefixes: readonly string[]): string {
  let out = text;
  for (const prefix of prefixes) {
    if (prefix === '') continue;
    const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`(^|[^\\w./-])${escaped}`, 'gm'), '$1');
  }
  return out;
}

// Patterns for the line that explains a failed build, best first: a compiler
// or assembler error, a linker error, then make's own complaint.
const ERROR_PATTERNS: readonly RegExp[] = [
  /(?:^|\s|:)(?:fatal )?error: /,
  /^\S*:\d+: Error: /,
  /undefined reference to /,
  /^\S*\bld(?:\.bfd|\.gold|\.lld)?: .+/,
  /\*\*\* (?!\[)/,
  /\bError \d+\s*$/,
];

// Finds the first line that says why a build failed ("virtio_net.c:57:28: error: ...").
export function extractFirstError(log: string): string | null {
  const lines = stripAnsi(log).split('\n');
  for (const pattern of ERROR_PATTERNS) {
    const hit = lines.find((line) => pattern.test(line) && !/^\s*\|/.test(line));
    if (hit !== undefined) return hit.trim();
  }
  return null;
}

export type FailureClass =
  | { kind: 'build-failed'; firstError: string; hint?: string }
  | { kind: 'infrastructure'; reason: string; hint: string };

interface HostProblem {
  pattern: RegExp;
  reason: (m: RegExpExecArray) => string;
  hint: (m: RegExpExecArray) => string;
}

// Host-side header packages that a kernel build needs (tools built on the host).
const HOST_HEADERS: Readonly<Record<string, string>> = {
  'openssl/': 'libssl-dev',
  'gelf.h': 'libelf-dev',
  'libelf.h': 'libelf-dev',
  'zlib.h': 'zlib1g-dev',
  'ncurses.h': 'libncurses-dev',
};

const HOST_PROBLEMS: readonly HostProblem[] = [
  {
    pattern: /No space left on device/,
    reason: () => 'the disk is full (No space left on device)',
    hint: () => 'free some space, or run `kbisect cache prune --max-size 2GiB`, or move the cache with KBISECT_CACHE_DIR',
  },
  {
    pattern: /Disk quota exceeded|Read-only file system|Input\/output error|Too many open files/,
    reason: (m) => `the host refused a file operation (${m[0]})`,
    hint: () => 'check the file system holding the kbisect cache (KBISECT_CACHE_DIR)',
  },
  {
    pattern: /Killed signal terminated program|fatal error: Killed|virtual memory exhausted|Cannot allocate memory|out of memory/i,
    reason: () => 'the compiler ran out of memory or was killed',
    hint: () => 'build with fewer jobs (--make-jobs 1) or free memory',
  },
  {
    pattern: /fatal error: ((?:openssl\/|gelf\.h|libelf\.h|zlib\.h|ncurses\.h)\S*): No such file or directory/,
    reason: (m) => `a host development header is missing (${m[1] ?? '?'})`,
    hint: (m) => {
      const header = m[1] ?? '';
      const pkg = Object.entries(HOST_HEADERS).find(([prefix]) => header.startsWith(prefix))?.[1] ?? 'the -dev package';
      return `install ${pkg} (sudo bash scripts/setup-host.sh installs what kbisect needs)`;
    },
  },
  {
    pattern: /(?:^|\n)(?:\/bin\/sh: (?:\d+: )?|sh: (?:\d+: )?|make(?:\[\d+\])?: )([\w.+-]+): (?:command )?not found/,
    reason: (m) => `a build tool is missing: ${m[1] ?? '?'}`,
    hint: (m) => `install ${m[1] ?? 'it'} (sudo bash scripts/setup-host.sh), or check PATH and --toolchain`,
  },
  {
    pattern: /(?:^|\n)make(?:\[\d+\])?: ([\w./+-]+): No such file or directory/,
    reason: (m) => `a build tool is missing: ${m[1] ?? '?'}`,
    hint: (m) => `install ${m[1] ?? 'it'} (sudo bash scripts/setup-host.sh), or check PATH and --toolchain`,
  },
  {
    // a background build's wrappers (run --jobs 2): make never ran
    pattern: /(?:^|\n)(nice|taskset): (.*)/,
    reason: (m) => `the background build could not start: ${m[1] ?? '?'}: ${m[2] ?? ''}`,
    hint: () => 'nice (coreutils) and taskset (util-linux) start speculative builds: install them, or run with --jobs 1',
  },
  {
    pattern: /ccache: error: (.*)/,
    reason: (m) => `ccache failed: ${m[1] ?? ''}`,
    hint: () => 'check the ccache directory (CCACHE_DIR, default <cache>/kbisect/ccache) and its permissions',
  },
];

// Typical failures of an old kernel built with a new gcc (or the reverse).
const TOOLCHAIN_MISMATCH: readonly RegExp[] = [
  /compiler-gcc\d+\.h: No such file or directory/,
  /your (?:compiler|version of gcc|gcc) is too (?:old|new)/i,
  /gcc version \d+ is not supported|unsupported (?:gcc|compiler) version/i,
  /multiple definition of [`']yylloc'/,
  /code model kernel does not support PIC mode/,
  /unrecognized command[- ]line option/,
  /cannot be used in asm here|impossible constraint in 'asm'/,
  /\[-Werror=[\w-]+\]/,
  /Error: (?:invalid|unsupported|operand type mismatch|no such instruction)/,
];

// Says whether a failed make is the commit's fault (a skip) or the host's (an
// error that must stop the run), with the first error line and a hint.
export function classifyBuildFailure(opts: {
  log: string;
  exitCode: number | undefined;
  signal: string | undefined;
  toolchainId: string;
}): FailureClass {
  const log = stripAnsi(opts.log);
  if (opts.signal) {
    return {
      kind: 'infrastructure',
      reason: `make was killed by ${opts.signal}`,
      hint: opts.signal === 'SIGKILL' ? 'the kernel may have killed it for lack of memory: try --make-jobs 1' : 'rerun the build',
    };
  }
  for (const problem of HOST_PROBLEMS) {
    const m = problem.pattern.exec(log);
    if (m) return { kind: 'infrastructure', reason: problem.reason(m), hint: problem.hint(m) };
  }
  const firstError = extractFirstError(log) ?? `make exited with code ${opts.exitCode ?? '?'} without an error line`;
  const hint = toolchainHint(log, opts.toolchainId);
  return hint === undefined ? { kind: 'build-failed', firstError } : { kind: 'build-failed', firstError, hint };
}

// Suggests another compiler when the log looks like a kernel/compiler age mismatch.
export function toolchainHint(log: string, toolchainId: string): string | undefined {
  if (!TOOLCHAIN_MISMATCH.some((p) => p.test(log))) return undefined;
  return (
    `this looks like a kernel that does not build with ${toolchainId} (old kernels such as 2.6.x need an older gcc): ` +
    'build with an older compiler, e.g. `--toolchain gcc-4.9` (or CC=gcc-4.9), installed on the host or from an older distribution'
  );
}

// Reads ccache's stats log (CCACHE_STATSLOG): one "# file" header per compiler
// call, then the counters it bumped. Kbuild's compiler probes (`# /dev/null`,
// dozens per make run, always hits) are left out so the rate is about sources.
export function parseCcacheStatsLog(text: string): CcacheStats {
  let calls = 0;
  let hits = 0;
  let misses = 0;
  let counting = false;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line.startsWith('#')) {
      const file = line.slice(1).trim();
      counting = file !== '' && file !== '/dev/null';
      if (counting) calls++;
    } else if (!counting) continue;
    else if (line === 'direct_cache_hit' || line === 'preprocessed_cache_hit') hits++;
    else if (line === 'cache_miss') misses++;
  }
  return {
    hits,
    misses,
    uncacheable: Math.max(0, calls - hits - misses),
    hitRate: hits + misses === 0 ? null : hits / (hits + misses),
  };
}

// Durations have one formatter (format.ts); re-exported for importers of the old place.
export { formatDuration } from './format.ts';

// A compiler command as kbisect may pass it to make (CC=, HOSTCC=), run it
// (`<toolchain> --version`) and keep it in a session log that another machine
// replays: one word, no shell or make metacharacters, not an option.
const TOOLCHAIN_CHAR = /^[A-Za-z0-9_.+/-]$/;
const MAX_TOOLCHAIN_CHARS = 1024;

function describeToolchainChar(c: string): string {
  if (c === ' ') return 'a space';
  return /[\x00-\x1f\x7f]/.test(c) ? `control character ${JSON.stringify(c)}` : JSON.stringify(c);
}

// Problems with a raw --toolchain value (none: fine): a compiler name on
// PATH (gcc, gcc-12, x86_64-linux-gnu-gcc) or an absolute path to one.
export function validateToolchain(raw: string): string[] {
  const expected = 'expected a compiler name (gcc, gcc-12) or an absolute path (/opt/gcc-4.9/bin/gcc) made of letters, digits and _ . + - /';
  const got = JSON.stringify(raw.length > 80 ? `${raw.slice(0, 77)}...` : raw);
  if (raw === '') return [`${expected}, got an empty string`];
  if (raw.length > MAX_TOOLCHAIN_CHARS) return [`${expected}, at most ${MAX_TOOLCHAIN_CHARS} characters, got ${raw.length}`];
  const bad = [...new Set([...raw].filter((c) => !TOOLCHAIN_CHAR.test(c)))];
  if (bad.length > 0) {
    const ccache = bad.includes(' ') ? ' (kbisect adds ccache itself: give only the compiler)' : '';
    return [`${expected}, got ${got} with ${bad.map(describeToolchainChar).join(', ')}${ccache}`];
  }
  if (raw.startsWith('-')) return [`${expected}, got ${got}, which starts with "-" (an option, not a compiler)`];
  if (raw.includes('/') && !raw.startsWith('/')) return [`${expected}, got ${got}, a relative path (make runs in another directory): give the absolute path`];
  if (raw.includes('//') || raw.endsWith('/')) return [`${expected}, got ${got}, which is not a file path (an empty component or a trailing /)`];
  return [];
}
