// Real kernel builds of the fixture repo (Linux 6.1 + 4 commits): one clean
// build, one incremental step, one broken commit, cache hits, and identical
// images from identical sources (same O= dir after a failure, and a second
// slot with its own worktree and O= dir, fed by the shared ccache).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/adapters/digest.ts';
import { listKernelCache, resetBuildWorkspace } from '../../src/app/build-cache.ts';
import { buildRevision, type BuildResult, type BuildSuccess } from '../../src/app/build-revision.ts';
import type { KernelConfigSpec } from '../../src/core/kernel-config.ts';
import { ensureKernelFixture, type KernelFixture } from '../fixtures/kernel-repo.ts';

let fx: KernelFixture;
let cache: string;
let savedCacheDir: string | undefined;
let savedCcacheDir: string | undefined;
const timings: Record<string, string> = {};
const config: KernelConfigSpec = { base: 'tinyconfig', fragments: [] };

function success(r: BuildResult): BuildSuccess {
  if (r.kind === 'build-failed') throw new Error(`expected a kernel, got a failed build: ${r.firstError}\n${r.logTail}`);
  return r;
}

const userTree = () => ({
  head: execFileSync('git', ['-C', fx.repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim(),
  status: execFileSync('git', ['-C', fx.repo, 'status', '--porcelain'], { encoding: 'utf8' }),
});

beforeAll(async () => {
  fx = await ensureKernelFixture();
  // a fresh cache (kernels, worktrees, O= dirs, ccache): the first build is really clean
  cache = mkdtempSync('/var/tmp/kbisect-build-test-');
  savedCacheDir = process.env.KBISECT_CACHE_DIR;
  process.env.KBISECT_CACHE_DIR = cache;
  // its own cold ccache too (the slow project shares one through CCACHE_DIR)
  savedCcacheDir = process.env.CCACHE_DIR;
  delete process.env.CCACHE_DIR;
});

afterAll(async () => {
  if (fx && cache) {
    await resetBuildWorkspace(fx.repo).catch(() => undefined);
    rmSync(cache, { recursive: true, force: true });
  }
  if (savedCacheDir === undefined) delete process.env.KBISECT_CACHE_DIR;
  else process.env.KBISECT_CACHE_DIR = savedCacheDir;
  if (savedCcacheDir !== undefined) process.env.CCACHE_DIR = savedCcacheDir;
  console.log(`build timings (2-core host):\n${Object.entries(timings).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
});

describe('building the fixture repo', () => {
  let good: BuildSuccess;
  let small: BuildSuccess;

  it('builds GOOD from scratch in a private worktree, leaving the user\'s tree alone', async () => {
    const before = userTree();
    const phases = new Set<string>();
    let maxObjects = 0;
    good = success(
      await buildRevision({
        repo: fx.repo,
        rev: fx.commits.good,
        config,
        slot: 0,
        onProgress: (p) => {
          phases.add(p.phase);
          maxObjects = Math.max(maxObjects, p.objectsDone);
        },
      }),
    );
    timings['clean build'] = `${(good.durationMs / 1000).toFixed(1)} s (${good.objectsCompiled} objects, ccache hit rate ${pct(good)})`;
    expect(good).toMatchObject({ kind: 'built', sha: fx.commits.good, reusedOutDir: false, slot: 0 });
    expect([...phases]).toEqual(['checkout', 'config', 'compile', 'store']);
    expect(maxObjects).toBeGreaterThan(500);
    expect(good.objectsCompiled).toBe(maxObjects);
    expect(await sha256File(good.bzImage)).toBe(good.imageHash);
    expect(readFileSync(good.vmlinux).subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    const dotConfig = readFileSync(good.configPath, 'utf8');
    for (const line of ['CONFIG_VIRTIO_NET=y', 'CONFIG_PVH=y', 'CONFIG_SERIAL_8250_CONSOLE=y', '# CONFIG_KERNEL_XZ is not set']) {
      expect(dotConfig).toContain(line);
    }
    expect(readFileSync(good.logPath, 'utf8')).toMatch(/Kernel: arch\/x86\/boot\/bzImage is ready/);
    expect(good.ccache?.misses).toBeGreaterThan(0);
    expect(userTree()).toEqual(before);
  });

  it('rebuilds after a one-line virtio_net.c change in the same O= dir, much faster', async () => {
    small = success(await buildRevision({ repo: fx.repo, rev: fx.commits.small, config, slot: 0 }));
    timings['incremental step'] = `${(small.durationMs / 1000).toFixed(1)} s (${small.objectsCompiled} objects)`;
    expect(small).toMatchObject({ kind: 'built', sha: fx.commits.small, reusedOutDir: true });
    expect(small.objectsCompiled).toBeLessThan(10);
    expect(small.durationMs).toBeLessThan(good.durationMs / 4);
    expect(small.imageHash).not.toBe(good.imageHash);
    expect(small.identicalTo).toBeUndefined();
  });

  it('reports the broken commit as build-failed with its first error (a skip, not an exception)', async () => {
    const r = await buildRevision({ repo: fx.repo, rev: fx.commits.broken, config, slot: 0 });
    expect(r.kind).toBe('build-failed');
    if (r.kind !== 'build-failed') return;
    timings['failed build'] = `${(r.durationMs / 1000).toFixed(1)} s`;
    expect(r.firstError).toMatch(/drivers\/net\/virtio_net\.c:\d+:\d+: error: expected/);
    expect(r.logTail).toMatch(/Error \d/);
    expect(r.cached).toBe(false);
    expect(r.hint).toBeUndefined();
    expect(existsSync(r.logPath)).toBe(true);
  });

  it('gives identical sources an identical image in the same O= dir (after the failure)', async () => {
    const fixed = success(await buildRevision({ repo: fx.repo, rev: fx.commits.fixed, config, slot: 0 }));
    timings['fix after failure'] = `${(fixed.durationMs / 1000).toFixed(1)} s`;
    expect(fixed.reusedOutDir).toBe(true);
    expect(fixed.imageHash).toBe(small.imageHash);
    expect(fixed.identicalTo).toBe(fx.commits.small);
  });

  it('finds built kernels and failures in the cache on the second call', async () => {
    const again = await buildRevision({ repo: fx.repo, rev: fx.commits.good, config });
    timings['cache hit'] = `${again.elapsedMs} ms`;
    expect(again).toMatchObject({ kind: 'cached', sha: fx.commits.good, bzImage: good.bzImage, imageHash: good.imageHash, durationMs: good.durationMs });
    expect(again.elapsedMs).toBeLessThan(5000);
    const broken = await buildRevision({ repo: fx.repo, rev: fx.commits.broken, config });
    expect(broken).toMatchObject({ kind: 'build-failed', cached: true });
  });

  it('answers from the cache through the CLI bundle too', () => {
    const root = join(import.meta.dirname, '..', '..');
    if (!existsSync(join(root, 'dist', 'kbisect.mjs'))) execFileSync(process.execPath, [join(root, 'build.mjs'), '--no-sea']);
    const run = (args: string[]) =>
      JSON.parse(
        execFileSync(process.execPath, [join(root, 'dist', 'kbisect.mjs'), '-C', fx.repo, ...args, '--json'], {
          encoding: 'utf8',
          env: { ...process.env, KBISECT_CACHE_DIR: cache },
        }),
      ) as Record<string, unknown>;
    expect(run(['build', fx.commits.good.slice(0, 12)])).toMatchObject({ kind: 'cached', sha: fx.commits.good, bzImage: good.bzImage });
    const listing = run(['cache', 'ls']) as { entries: { sha: string; kind: string }[] };
    expect(listing.entries.map((e) => `${e.sha}:${e.kind}`).sort()).toEqual(
      [`${fx.commits.good}:built`, `${fx.commits.small}:built`, `${fx.commits.broken}:build-failed`, `${fx.commits.fixed}:built`].sort(),
    );
  });

  it('builds identical sources to the same image on a second slot (own worktree and O= dir, shared ccache)', async () => {
    const docs = success(await buildRevision({ repo: fx.repo, rev: fx.commits.docs, config, slot: 1 }));
    timings['fresh O= dir, warm ccache (slot 1)'] = `${(docs.durationMs / 1000).toFixed(1)} s (ccache hit rate ${pct(docs)})`;
    expect(docs).toMatchObject({ kind: 'built', slot: 1, reusedOutDir: false });
    expect(docs.imageHash).toBe(small.imageHash);
    expect(docs.identicalTo).toBe(fx.commits.small);
    // a few host tools (objtool, kconfig) miss: their compile lines name the slot
    expect(docs.ccache?.hitRate).toBeGreaterThan(0.9);
    expect(docs.durationMs).toBeLessThan(good.durationMs / 2);
    const listing = await listKernelCache();
    expect(listing.entries.map((e) => e.meta.sha).sort()).toEqual(
      [fx.commits.good, fx.commits.small, fx.commits.broken, fx.commits.fixed, fx.commits.docs].sort(),
    );
  });
});

function pct(r: BuildSuccess): string {
  return r.ccache?.hitRate == null ? 'n/a' : `${(r.ccache.hitRate * 100).toFixed(1)}%`;
}
