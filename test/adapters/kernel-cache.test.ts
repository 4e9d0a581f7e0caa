// The kernel cache on a real temporary directory.
import { readFileSync, rmSync, utimesSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cacheKeyFor,
  kernelCacheDir,
  listEntries,
  lookupEntry,
  removeEntry,
  removeTempEntries,
  storeEntry,
  touchEntry,
  type KernelCacheMeta,
} from '../../src/adapters/kernel-cache.ts';
import { useTempDir } from '../helpers/temp-dir.ts';

// a fresh cache dir for every test, KBISECT_CACHE_DIR pointing at it
const cache = useTempDir('cache', { env: { KBISECT_CACHE_DIR: '.' } });

const SHA = 'a'.repeat(40);

function meta(over: Partial<KernelCacheMeta> = {}): KernelCacheMeta {
  const id = { sha: over.sha ?? SHA, configHash: over.configHash ?? '0123456789abcdef', toolchainId: over.toolchainId ?? 'gcc-12.2.0' };
  return {
    version: 1,
    key: cacheKeyFor(id),
    kind: 'built',
    ...id,
    toolchainVersion: 'gcc (Debian 12.2.0-14+deb12u1) 12.2.0',
    imageHash: 'f'.repeat(64),
    durationMs: 1234,
    builtAt: '2024-01-01T00:00:00.000Z',
    ...over,
  };
}

function sources(tag: string) {
  const src = join(cache.path, `src-${tag}`);
  mkdirSync(src, { recursive: true });
  const files = { bzImage: join(src, 'bzImage'), vmlinux: join(src, 'vmlinux'), config: join(src, 'config'), log: join(src, 'build.log') };
  for (const [name, path] of Object.entries(files)) writeFileSync(path, `${name} of ${tag}\n`);
  return files;
}

describe('cacheKeyFor', () => {
  it('is readable and changes with each part of the identity', () => {
    const base = { sha: SHA, configHash: 'c1', toolchainId: 'gcc-12.2.0' };
    const key = cacheKeyFor(base);
    expect(key).toMatch(/^aaaaaaaaaaaa-[0-9a-f]{16}$/);
    expect(cacheKeyFor({ ...base, configHash: 'c2' })).not.toBe(key);
    expect(cacheKeyFor({ ...base, toolchainId: 'gcc-8.4.0' })).not.toBe(key);
    expect(cacheKeyFor({ ...base, sha: 'b'.repeat(40) })).not.toBe(key);
    expect(cacheKeyFor(base)).toBe(key);
  });
});

describe('store, lookup, list, evict', () => {
  it('stores an entry whole and finds it again', async () => {
    const m = meta();
    expect(await lookupEntry(m.key)).toBeNull();
    const entry = await storeEntry(m, sources('one'));
    expect(entry.dir).toBe(join(kernelCacheDir(), m.key));
    expect(readFileSync(join(entry.dir, 'bzImage'), 'utf8')).toBe('bzImage of one\n');
    expect(readFileSync(join(entry.dir, 'build.log'), 'utf8')).toBe('log of one\n');
    expect(JSON.parse(readFileSync(join(entry.dir, 'meta.json'), 'utf8'))).toEqual(m);
    const found = await lookupEntry(m.key);
    expect(found?.meta).toEqual(m);
    expect(found?.sizeBytes).toBeGreaterThan(0);
  });

  it('keeps a failed build as an entry with its log only', async () => {
    const m = meta({ kind: 'build-failed', firstError: 'x.c:1:1: error: bad', logTail: '...' });
    delete m.imageHash;
    const files = sources('failed');
    const entry = await storeEntry(m, { log: files.log });
    expect(entry.meta.kind).toBe('build-failed');
    expect(existsSync(join(entry.dir, 'bzImage'))).toBe(false);
    expect((await lookupEntry(m.key))?.meta.firstError).toBe('x.c:1:1: error: bad');
  });

  it('does not return a built entry whose image is missing', async () => {
    const m = meta();
    const entry = await storeEntry(m, sources('x'));
    rmSync(join(entry.dir, 'vmlinux'));
    expect(await lookupEntry(m.key)).toBeNull();
    expect(await listEntries()).toEqual([]);
  });

  it('replaces an entry that is stored again (a rebuild)', async () => {
    const m = meta();
    await storeEntry(m, sources('first'));
    await storeEntry({ ...m, durationMs: 99 }, sources('second'));
    const found = await lookupEntry(m.key);
    expect(found?.meta.durationMs).toBe(99);
    expect(readFileSync(join(found?.dir ?? '', 'bzImage'), 'utf8')).toBe('bzImage of second\n');
  });

  it('lists entries with their last use, which touchEntry renews', async () => {
    const a = meta({ sha: 'a'.repeat(40) });
    const b = meta({ sha: 'b'.repeat(40) });
    await storeEntry(a, sources('a'));
    await storeEntry(b, sources('b'));
    const old = new Date('2024-01-01T00:00:00Z');
    for (const m of [a, b]) utimesSync(join(kernelCacheDir(), m.key, 'last-used'), old, old);
    await touchEntry(a.key);
    const listed = await listEntries();
    expect(listed.map((e) => e.key).sort()).toEqual([a.key, b.key].sort());
    const byKey = new Map(listed.map((e) => [e.key, e.lastUsedMs]));
    expect(byKey.get(a.key)).toBeGreaterThan(old.getTime() + 1000);
    expect(byKey.get(b.key)).toBe(old.getTime());
    await removeEntry(a.key);
    expect((await listEntries()).map((e) => e.key)).toEqual([b.key]);
  });

  it('removes temp dirs of dead stores but not of live ones', async () => {
    mkdirSync(join(kernelCacheDir(), '.tmp-key-999999-1'), { recursive: true });
    mkdirSync(join(kernelCacheDir(), `.tmp-key-${process.pid}-1`), { recursive: true });
    // an hour old: a store takes seconds (a young one may belong to another machine of a shared cache)
    const old = new Date(Date.now() - 3600_000);
    utimesSync(join(kernelCacheDir(), '.tmp-key-999999-1'), old, old);
    utimesSync(join(kernelCacheDir(), `.tmp-key-${process.pid}-1`), old, old);
    expect(await removeTempEntries()).toBe(1);
    expect(existsSync(join(kernelCacheDir(), `.tmp-key-${process.pid}-1`))).toBe(true);
  });
});
