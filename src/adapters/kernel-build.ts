// Running Kbuild: make commands as data (config targets, the bzImage build),
// the toolchain's identity, the streaming build log, and ccache's per-build
// statistics. Decides nothing about what a failure means (core/kernel-build does).
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { UserError } from '../core/errors.ts';
import { CCACHE_SHARING_ENV, parseCcacheStatsLog, REPRODUCIBLE_BUILD_ENV, type CcacheStats } from '../core/kernel-build.ts';
import { cacheDir } from './paths.ts';
import { runCommand, startCommand, type CommandSpec } from './exec.ts';
import { findExecutable } from './host.ts';

export interface Toolchain {
  // the compiler command as make gets it (CC=...), without ccache
  cc: string;
  // e.g. "gcc-12.2.0": part of every cache key
  id: string;
  // first line of `cc --version`
  versionText: string;
  // first line of `ld --version` (Kconfig records the linker's version too)
  linkerVersionText: string;
}

export interface BuildEnvironment {
  toolchain: Toolchain;
  // null: build without ccache
  ccache: { dir: string; baseDir: string; statsLog: string } | null;
}

export interface MakeOutcome {
  exitCode: number | undefined;
  signal: string | undefined;
  durationMs: number;
  aborted: boolean;
  command: string;
}

// Where ccache keeps its objects for kbisect builds (CCACHE_DIR when the user set one).
export async function ensureCcacheDir(): Promise<string> {
  const dir = process.env.CCACHE_DIR ?? join(cacheDir(), 'ccache');
  await mkdir(dir, { recursive: true });
  return dir;
}

// make -j for one build: every CPU, shared between the builds that run at once.
export function defaultMakeJobs(parallelBuilds = 1): number {
  return Math.max(1, Math.floor(availableParallelism() / Math.max(1, parallelBuilds)));
}

// Resolves a compiler name ("gcc", "gcc-8", "/opt/gcc-4.9/bin/gcc", "ccache gcc") to its identity.
export async function probeToolchain(raw: string): Promise<Toolchain> {
  const words = raw.trim().split(/\s+/).filter((w) => w !== '');
  if (words[0] === 'ccache') words.shift();
  const cc = words[0];
  if (cc === undefined || words.length > 1) {
    throw new UserError(
      `--toolchain: expected one compiler command such as gcc, gcc-8 or /opt/gcc-4.9/bin/gcc, got ${JSON.stringify(raw)}`,
      'kbisect adds ccache itself; pass only the compiler',
    );
  }
  const found = cc.includes('/') ? cc : await findExecutable(cc);
  if (found === null) {
    throw new UserError(
      `toolchain '${cc}' not found on PATH`,
      `install it (e.g. apt-get install ${cc}) or give its full path with --toolchain; old kernels (2.6.x) need an old gcc`,
    );
  }
  const versionOut = await runCommand({ file: cc, args: ['--version'], timeoutMs: 30_000 });
  const dumped = await runCommand({ file: cc, args: ['-dumpfullversion', '-dumpversion'], timeoutMs: 30_000 }, { reject: false });
  const versionText = versionOut.stdout.split('\n')[0]?.trim() ?? '';
  const version = dumped.stdout.trim().split('\n')[0]?.trim() || /(\d+\.\d+(?:\.\d+)?)/.exec(versionText)?.[1] || 'unknown';
  const ld = await runCommand({ file: 'ld', args: ['--version'], timeoutMs: 30_000 }, { reject: false }).catch(() => null);
  const linkerVersionText = ld?.stdout.split('\n')[0]?.trim() ?? '';
  const kind = /clang/i.test(versionText) ? 'clang' : /gcc|GCC/.test(versionText) || basename(cc).includes('gcc') ? 'gcc' : basename(cc);
  return { cc, id: `${kind}-${version}`, versionText, linkerVersionText };
}

// Make variables that select the compiler (and ccache) for both kernel and host tools:
// old kernels' host tools fail with new compilers too.
export function compilerVariables(env: BuildEnvironment): string[] {
  const cc = env.ccache ? `ccache ${env.toolchain.cc}` : env.toolchain.cc;
  return [`CC=${cc}`, `HOSTCC=${cc}`];
}

// Environment of every make run: reproducible build identity, C locale for
// parseable messages, and ccache's shared directory and base dir.
export function buildEnvVars(env: BuildEnvironment): Record<string, string> {
  return {
    ...REPRODUCIBLE_BUILD_ENV,
    // Kbuild unexports LC_ALL: set the categories that shape compiler messages
    LC_ALL: 'C',
    LANG: 'C',
    LC_CTYPE: 'C',
    LC_MESSAGES: 'C',
    ...(env.ccache
      ? {
          ...CCACHE_SHARING_ENV,
          CCACHE_DIR: env.ccache.dir,
          // worktrees of all slots live below this dir: their objects hit the same cache entries
          CCACHE_BASEDIR: env.ccache.baseDir,
          CCACHE_STATSLOG: env.ccache.statsLog,
        }
      : {}),
  };
}

// `make O=<out> <target>` for a configuration target (tinyconfig, olddefconfig...).
export function makeConfigCommand(opts: {
  srcDir: string;
  outDir: string;
  target: string;
  env: BuildEnvironment;
  input?: string;
}): CommandSpec {
  return {
    file: 'make',
    args: ['-C', opts.srcDir, `O=${opts.outDir}`, ...compilerVariables(opts.env), opts.target],
    env: buildEnvVars(opts.env),
    timeoutMs: 10 * 60_000,
    ...(opts.input === undefined ? {} : { input: opts.input }),
  };
}

// `make O=<out> -j<N> bzImage`: also links vmlinux (kept for PVH boots).
// `prefix` runs make under other programs (a background build: nice, taskset).
export function makeBuildCommand(opts: { srcDir: string; outDir: string; jobs: number; env: BuildEnvironment; prefix?: readonly string[] }): CommandSpec {
  const make = ['make', '-C', opts.srcDir, `O=${opts.outDir}`, `-j${opts.jobs}`, ...compilerVariables(opts.env), 'bzImage'];
  const [file, ...args] = [...(opts.prefix ?? []), ...make] as [string, ...string[]];
  return { file, args, env: buildEnvVars(opts.env) };
}

// Runs one config target; its exit is a value (a commit can break Kconfig too).
export async function runConfigTarget(spec: CommandSpec): Promise<MakeOutcome & { output: string }> {
  const r = await runCommand(spec, { reject: false });
  return {
    exitCode: r.exitCode,
    signal: r.signal,
    durationMs: r.durationMs,
    aborted: false,
    command: r.command,
    output: `${r.stdout}${r.stderr}`,
  };
}

// The config step's output stands in for the build log when it fails.
export async function writeBuildLog(path: string, text: string): Promise<void> {
  await writeFile(path, text);
}

// Which configuration targets this kernel's Kbuild knows (tinyconfig from 3.17, olddefconfig from 3.7).
export async function detectConfigTargets(srcDir: string): Promise<{ tinyconfig: boolean; olddefconfig: boolean }> {
  let text = '';
  try {
    text = await readFile(join(srcDir, 'scripts', 'kconfig', 'Makefile'), 'utf8');
  } catch {
    text = '';
  }
  return { tinyconfig: /^tinyconfig:/m.test(text), olddefconfig: /\bolddefconfig\b/.test(text) };
}

// Runs the build, writing every output line to `logPath` and handing it to `onLine`;
// an abort kills make and resolves with `aborted`.
export async function runMakeBuild(
  spec: CommandSpec,
  opts: { logPath: string; onLine?: (line: string) => void; signal?: AbortSignal },
): Promise<MakeOutcome> {
  const log = createWriteStream(opts.logPath, { flags: 'w' });
  const onLine = (line: string): void => {
    log.write(`${line}\n`);
    opts.onLine?.(line);
  };
  const running = startCommand(spec, { onStdoutLine: onLine, onStderrLine: onLine });
  let aborted = false;
  const abort = (): void => {
    aborted = true;
    running.kill('SIGTERM');
  };
  if (opts.signal?.aborted) abort();
  opts.signal?.addEventListener('abort', abort, { once: true });
  try {
    const result = await running.done;
    return { exitCode: result.exitCode, signal: result.signal, durationMs: result.durationMs, aborted, command: running.command };
  } finally {
    opts.signal?.removeEventListener('abort', abort);
    await new Promise<void>((resolve, reject) => log.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
}

// Forgets the previous build's ccache log so the next one counts only its own calls.
export async function resetCcacheStatsLog(path: string): Promise<void> {
  await rm(path, { force: true });
}

// ccache's hit/miss counts for the build that wrote `path` (null without a log).
export async function readCcacheStatsLog(path: string): Promise<CcacheStats | null> {
  try {
    return parseCcacheStatsLog(await readFile(path, 'utf8'));
  } catch {
    return null;
  }
}

// Reads a config file the user named (--config, --fragment), with a clear error when it is missing.
export async function readConfigFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      `${what}: cannot read ${JSON.stringify(path)} (${code ?? String(error)})`,
      'give the path of a kernel .config or of a fragment (CONFIG_FOO=y lines)',
    );
  }
}

// The whole log of the last make run in a slot (for classifying a failure).
export async function readBuildLog(path: string): Promise<string> {
  return readFile(path, 'utf8');
}

// The .config that a config target left in an O= dir.
export async function readDotConfig(dir: string): Promise<string> {
  return readFile(join(dir, '.config'), 'utf8');
}

// Puts a .config where the next config target or build reads it.
export async function writeDotConfig(dir: string, text: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, '.config'), text);
}

// Puts a generated .config into the build's O= dir only when it differs, so an
// unchanged config leaves the O= dir's timestamps (and the next build) alone.
export async function installDotConfig(outDir: string, text: string): Promise<boolean> {
  const current = await readDotConfig(outDir).catch(() => null);
  if (current === text) return false;
  await writeDotConfig(outDir, text);
  return true;
}

// True when a build already ran in the O= dir (the next one is incremental).
export async function hasPreviousBuild(outDir: string): Promise<boolean> {
  try {
    return (await stat(join(outDir, 'include', 'config', 'auto.conf'))).isFile();
  } catch {
    return false;
  }
}

// Where Kbuild leaves what kbisect keeps.
export function builtFiles(outDir: string): { bzImage: string; vmlinux: string; config: string } {
  return { bzImage: join(outDir, 'arch', 'x86', 'boot', 'bzImage'), vmlinux: join(outDir, 'vmlinux'), config: join(outDir, '.config') };
}
