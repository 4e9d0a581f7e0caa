// Built kernels on disk, content-addressed by (commit, config hash, toolchain
// id): bzImage, vmlinux, the final .config, the build log and meta.json per
// entry. Entries appear whole (built in a temp dir, then renamed) and carry a
// last-used stamp for LRU eviction. Failed builds are entries too (log, first
// error), so a broken commit is not rebuilt for nothing.
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CcacheStats } from '../core/kernel-build.ts';
import { sha256Hex } from './digest.ts';
import { cacheDir } from './paths.ts';
import { writeFileAtomic } from './store.ts';
import { isAlive } from './process.ts';
import { exists } from './store.ts';

export interface KernelCacheMeta {
  version: 1;
  key: string;
  kind: 'built' | 'build-failed';
  sha: string;
  configHash: string;
  toolchainId: string;
  toolchainVersion: string;
  // sha256 of bzImage (built entries)
  imageHash?: string;
  durationMs: number;
  builtAt: string;
  objectsCompiled?: number;
  ccache?: CcacheStats;
  reusedOutDir?: boolean;
  // failed entries
  firstError?: string;
  logTail?: string;
  hint?: string;
}

export interface KernelCacheEntry {
  key: string;
  dir: string;
  meta: KernelCacheMeta;
  sizeBytes: number;
  lastUsedMs: number;
}

export interface EntryFiles {
  bzImage: string;
  vmlinux: string;
  config: string;
  log: string;
}

const META = 'meta.json';
const LAST_USED = 'last-used';

// The cache's root (below the XDG cache dir, or KBISECT_CACHE_DIR).
export function kernelCacheDir(): string {
  return join(cacheDir(), 'kernels');
}

// The entry's directory name: readable commit prefix, then a hash of the full identity.
export function cacheKeyFor(id: { sha: string; configHash: string; toolchainId: string }): string {
  return `${id.sha.slice(0, 12)}-${sha256Hex(`${id.sha}\n${id.configHash}\n${id.toolchainId}`).slice(0, 16)}`;
}

// The files of an entry, by name.
export function entryFiles(dir: string): EntryFiles {
  return { bzImage: join(dir, 'bzImage'), vmlinux: join(dir, 'vmlinux'), config: join(dir, 'config'), log: join(dir, 'build.log') };
}

async function readMeta(dir: string): Promise<KernelCacheMeta | null> {
  try {
    const meta = JSON.parse(await readFile(join(dir, META), 'utf8')) as KernelCacheMeta;
    return meta.version === 1 ? meta : null;
  } catch {
    return null;
  }
}


async function loadEntry(dir: string, key: string): Promise<KernelCacheEntry | null> {
  const meta = await readMeta(dir);
  if (meta === null) return null;
  const files = entryFiles(dir);
  if (meta.kind === 'built' && !((await exists(files.bzImage)) && (await exists(files.vmlinux)))) return null;
  let sizeBytes = 0;
  const mtimes = new Map<string, number>();
  for (const name of await readdir(dir)) {
    const s = await stat(join(dir, name));
    sizeBytes += s.size;
    mtimes.set(name, s.mtimeMs);
  }
  return { key, dir, meta, sizeBytes, lastUsedMs: mtimes.get(LAST_USED) ?? mtimes.get(META) ?? 0 };
}

// The entry for a key, or null when there is none (or it is incomplete).
export async function lookupEntry(key: string): Promise<KernelCacheEntry | null> {
  return loadEntry(join(kernelCacheDir(), key), key);
}

// Marks an entry as used now (LRU).
export async function touchEntry(key: string): Promise<void> {
  const path = join(kernelCacheDir(), key, LAST_USED);
  const now = new Date();
  try {
    await utimes(path, now, now);
  } catch {
    await writeFile(path, '');
  }
}

// Stores an entry whole: files are copied into a temp dir that is renamed into
// place. When another process stored the same key meanwhile, theirs is kept.
export async function storeEntry(meta: KernelCacheMeta, sources: Partial<EntryFiles>): Promise<KernelCacheEntry> {
  const root = kernelCacheDir();
  const final = join(root, meta.key);
  const tmp = join(root, `.tmp-${meta.key}-${process.pid}-${Date.now()}`);
  await mkdir(tmp, { recursive: true });
  try {
    const files = entryFiles(tmp);
    for (const name of ['bzImage', 'vmlinux', 'config', 'log'] as const) {
      const source = sources[name];
      if (source !== undefined) await copyFile(source, files[name]);
    }
    await writeFileAtomic(join(tmp, META), `${JSON.stringify(meta, null, 2)}\n`);
    await writeFile(join(tmp, LAST_USED), '');
    await rm(final, { recursive: true, force: true });
    try {
      await rename(tmp, final);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const entry = await lookupEntry(meta.key);
  if (entry === null) throw new Error(`kernel cache: entry ${meta.key} vanished right after it was stored in ${root}`);
  return entry;
}

// Every complete entry (incomplete or foreign directories are skipped).
export async function listEntries(): Promise<KernelCacheEntry[]> {
  let names: string[];
  try {
    names = await readdir(kernelCacheDir());
  } catch {
    return [];
  }
  const entries: KernelCacheEntry[] = [];
  for (const name of names.filter((n) => !n.startsWith('.')).sort()) {
    const entry = await loadEntry(join(kernelCacheDir(), name), name);
    if (entry !== null) entries.push(entry);
  }
  return entries;
}

// Deletes one entry (LRU eviction, `cache prune`).
export async function removeEntry(key: string): Promise<void> {
  await rm(join(kernelCacheDir(), key), { recursive: true, force: true });
}


// Leftovers of stores that were interrupted (Ctrl-C, crash): temp dirs whose process is gone.
export async function removeTempEntries(): Promise<number> {
  let names: string[];
  try {
    names = await readdir(kernelCacheDir());
  } catch {
    return 0;
  }
  const stale = names.filter((n) => {
    const pid = Number(/^\.tmp-.+-(\d+)-\d+$/.exec(n)?.[1] ?? Number.NaN);
    return n.startsWith('.tmp-') && !(Number.isInteger(pid) && isAlive(pid));
  });
  for (const name of stale) await rm(join(kernelCacheDir(), name), { recursive: true, force: true });
  return stale.length;
}
