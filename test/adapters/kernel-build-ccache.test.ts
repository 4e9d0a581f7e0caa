// One ccache keying for local builds and Slurm build jobs, run for real: an
// object compiled by a local build (its environment from buildEnvVars) in one
// directory is a hit for a build job's environment in another directory,
// which is what lets a worker's first build take
// the objects a local build left (or the remote storage got from it).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildEnvVars, type BuildEnvironment } from '../../src/adapters/kernel-build.ts';
import { buildJobEnvironment } from '../../src/core/slurm/kernel-job.ts';

const dir = mkdtempSync(join(tmpdir(), 'kbisect-ccache-keying-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const gcc = spawnSync('sh', ['-c', 'command -v gcc'], { encoding: 'utf8' }).stdout.trim();
const haveTools = gcc !== '' && spawnSync('ccache', ['--version']).status === 0;

// Compiles root/src/x.c as Kbuild would (from the tree, -I relative to base_dir) with `cc`; the stats log's lines.
function compile(root: string, cc: string, env: Record<string, string>): string[] {
  const statsLog = join(root, 'stats.log');
  const r = spawnSync('ccache', [cc, '-g', '-O2', '-I', join(root, 'src', 'include'), '-c', 'x.c', '-o', 'x.o'], {
    cwd: join(root, 'src'),
    env: { PATH: process.env.PATH ?? '', ...env, CCACHE_STATSLOG: statsLog, CCACHE_BASEDIR: root },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(statsLog, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

// buildEnvVars for a build with ccache in `dir` (base dir and stats log are set per compile below).
function makeEnv(c: { dir: string }): Record<string, string> {
  const env = buildEnvVars({ toolchain: {} as BuildEnvironment['toolchain'], ccache: { dir: c.dir, baseDir: '/', statsLog: '/dev/null' } });
  const { CCACHE_STATSLOG: _log, CCACHE_BASEDIR: _base, ...rest } = env;
  return rest;
}

function tree(name: string): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'src', 'include'), { recursive: true });
  writeFileSync(join(root, 'src', 'include', 'v.h'), '#define V 42\n');
  writeFileSync(join(root, 'src', 'x.c'), '#include "v.h"\nint f(int a) { return a * V; }\n');
  return root;
}

describe.skipIf(!haveTools)('ccache keying, local build and build job alike', () => {
  it('a local build’s object (compiled with -g) is a hit for a build job in another directory', () => {
    const cacheDir = join(dir, 'ccache');
    // make's environment in a local build, and on a worker: the job's environment, then the worker's own kbisect build's
    const local = makeEnv({ dir: cacheDir });
    expect(compile(tree('slot-0'), gcc, local)).toContain('cache_miss');
    const job = buildJobEnvironment({ kernelCacheDir: join(dir, 'kernels'), workerRoot: join(dir, 'workers') });
    const stats = compile(tree('workers-node1'), gcc, { ...job.env, ...makeEnv({ dir: cacheDir }) });
    expect(stats.some((l) => l.includes('hit')), stats.join(' ')).toBe(true);
  });
});
