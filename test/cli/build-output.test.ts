// How `kbisect build` and `kbisect cache` print results (the data comes from real runs' shapes).
import { describe, expect, it } from 'vitest';
import { formatBuildProgress, formatBuildResult } from '../../src/cli/commands/build.ts';
import { formatCacheListing, formatPruneResult } from '../../src/cli/commands/cache.ts';
import type { BuildFailure, BuildSuccess } from '../../src/core/kernel-build.ts';
import type { KernelCacheEntry } from '../../src/adapters/kernel-cache.ts';

const SHA = '0e9b7776a3b9285b0e10caa8d8f6378f205b3f04';
const dir = '/c/kernels/0e9b7776a3b9-2d22edc66a49bc7e';
const built: BuildSuccess = {
  kind: 'built',
  sha: SHA,
  configHash: '8b3782d086bb2e6c',
  toolchainId: 'gcc-12.2.0',
  logPath: `${dir}/build.log`,
  durationMs: 16_400,
  elapsedMs: 16_500,
  cacheKey: '0e9b7776a3b9-2d22edc66a49bc7e',
  slot: 0,
  bzImage: `${dir}/bzImage`,
  vmlinux: `${dir}/vmlinux`,
  configPath: `${dir}/config`,
  imageHash: '4294da42f0c99118e3c623fb24a1194fd9012e258317915dc7e636bb9b361c3d',
  reusedOutDir: true,
  objectsCompiled: 4,
  ccache: { hits: 0, misses: 4, uncacheable: 1, hitRate: 0 },
};

describe('formatBuildResult', () => {
  it('prints a built kernel with its paths', () => {
    expect(formatBuildResult(built)).toBe(
      [
        '0e9b7776a3b9  built in 16 s (slot 0, incremental, 4 objects compiled, ccache hits 0%)',
        `  bzImage  ${dir}/bzImage`,
        `  vmlinux  ${dir}/vmlinux`,
        `  config   ${dir}/config`,
        `  log      ${dir}/build.log`,
        '  image    sha256:4294da42f0c99118e3c623fb24a1194fd9012e258317915dc7e636bb9b361c3d',
      ].join('\n'),
    );
  });

  it('says when a kernel came from the cache and what it is identical to', () => {
    const text = formatBuildResult({ ...built, kind: 'cached', elapsedMs: 120, identicalTo: '8f87aee7befc274ee67da4b6a088826f7f561fdb' });
    expect(text.split('\n')[0]).toBe('0e9b7776a3b9  cached (built in 16 s; found in 0.12 s)');
    expect(text).toMatch(/\(identical to 8f87aee7befc\)$/);
  });

  it('prints a failed build with its first error and hint', () => {
    const failed: BuildFailure = {
      kind: 'build-failed',
      sha: SHA,
      configHash: 'c',
      toolchainId: 'gcc-12.2.0',
      logPath: '/c/build.log',
      durationMs: 10_000,
      elapsedMs: 10_000,
      cacheKey: 'k',
      slot: 0,
      firstError: "drivers/net/virtio_net.c:1902:9: error: expected ',' or ';' before 'bool'",
      logTail: '',
      hint: 'use an older compiler',
      cached: false,
    };
    expect(formatBuildResult(failed)).toBe(
      [
        "0e9b7776a3b9  BUILD FAILED after 10 s: drivers/net/virtio_net.c:1902:9: error: expected ',' or ';' before 'bool'",
        '  hint: use an older compiler',
        '  log  /c/build.log',
      ].join('\n'),
    );
    expect(formatBuildResult({ ...failed, cached: true })).toMatch(/BUILD FAILED \(recorded earlier; --rebuild to try again\)/);
  });
});

describe('formatBuildProgress', () => {
  const p = { sha: SHA, slot: 1, objectsDone: 612, objectsExpected: 886, elapsedMs: 83_000, step: 'CC kernel/fork.o' };
  it.each([
    [{ ...p, phase: 'compile' as const, percent: 69 }, '0e9b7776a3b9 slot 1 compile 69% (612/886 objects) 1m23s  CC kernel/fork.o'],
    [{ ...p, phase: 'compile' as const, percent: null, objectsExpected: null }, '0e9b7776a3b9 slot 1 compile 612 objects 1m23s  CC kernel/fork.o'],
    [{ ...p, phase: 'checkout' as const, percent: null, step: null, elapsedMs: 1200 }, '0e9b7776a3b9 slot 1 checkout 1.2 s'],
  ])('%j', (progress, text) => {
    expect(formatBuildProgress(progress)).toBe(text);
  });
});

describe('cache listing', () => {
  const entry = (sha: string, kind: 'built' | 'build-failed', imageHash: string | undefined, builtAt: string): KernelCacheEntry => ({
    key: `${sha.slice(0, 12)}-k`,
    dir: `/c/kernels/${sha.slice(0, 12)}-k`,
    sizeBytes: 21 * 1024 ** 2,
    lastUsedMs: Date.parse('2024-05-01T10:00:00Z'),
    meta: {
      version: 1,
      key: `${sha.slice(0, 12)}-k`,
      kind,
      sha,
      configHash: '8b3782d086bb2e6c',
      toolchainId: 'gcc-12.2.0',
      toolchainVersion: 'gcc 12',
      durationMs: 204_000,
      builtAt,
      ...(imageHash ? { imageHash } : { firstError: 'x.c:1:1: error: bad' }),
    },
  });

  it('prints a table with failures and identical images', () => {
    const text = formatCacheListing({
      dir: '/c/kernels',
      totalBytes: 63 * 1024 ** 2,
      entries: [
        entry('a'.repeat(40), 'built', 'h1', '2024-01-01T00:00:00Z'),
        entry('b'.repeat(40), 'build-failed', undefined, '2024-01-02T00:00:00Z'),
        entry('c'.repeat(40), 'built', 'h1', '2024-01-03T00:00:00Z'),
      ],
    });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^COMMIT\s+STATUS\s+CONFIG\s+TOOLCHAIN\s+SIZE\s+BUILD\s+LAST USED\s+NOTE$/);
    expect(lines[1]).toMatch(/^aaaaaaaaaaaa\s+built\s+8b3782d0\s+gcc-12\.2\.0\s+21 MiB\s+3m24s\s+2024-05-01 10:00\s*$/);
    expect(lines[2]).toMatch(/^bbbbbbbbbbbb\s+FAILED .*x\.c:1:1: error: bad$/);
    expect(lines[3]).toMatch(/identical to aaaaaaaaaaaa$/);
    expect(lines[5]).toBe('3 kernel(s), 63 MiB in /c/kernels');
    expect(formatCacheListing({ dir: '/c/kernels', totalBytes: 0, entries: [] })).toBe('kernel cache /c/kernels: empty');
  });

  it('summarizes a prune', () => {
    expect(formatPruneResult({ removed: [{ key: 'k', sha: 'a', sizeBytes: 1024 }], freedBytes: 1024, remainingBytes: 0, removedSlots: 2, busySlots: ['/w/slot-1'] })).toBe(
      'removed 1 kernel(s), freed 1.0 KiB; 0 B remain\nremoved 2 build slot(s) (worktrees and O= dirs)\nleft 1 build slot(s) in use by another kbisect: /w/slot-1',
    );
  });
});
