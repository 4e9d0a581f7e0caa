// Built kernels on disk, content-addressed by (commit, config hash, toolchain
// id): bzImage, vmlinux, the final .config, the build log and meta.json per
// entry. Entries appear whole (built in a temp dir, then renamed) and carry a
// last-used stamp for LRU eviction. Failed builds are entries too (log, first
// error), so a broken commit is not rebuilt for nothing.
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
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

// The cache's root (below the XDG cache dir, or KBISECT_CACHE_DIR); Slurm
// build jobs point KBISECT_KERNEL_CACHE_DIR at the shared directory while
// their worktrees and O= dirs stay in their own KBISECT_CACHE_DIR.
export function kernelCacheDir(): string {
  return process.env.KBISECT_KERNEL_CACHE_DIR || join(cacheDir(), 'kernels');
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
  try {
    for (const name of await readdir(dir)) {
      const s = await stat(join(dir, name));
      sizeBytes += s.size;
      mtimes.set(name, s.mtimeMs);
    }
  } catch (error) {
    // another publisher of the same key moved this entry aside meanwhile: none for now
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
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

let tempSeq = 0;
// `.tmp-<what>-<pid>-<digits>`: removeTempEntries knows the owner by the pid.
function tempName(root: string, what: string): string {
  tempSeq = (tempSeq + 1) % 1000;
  return join(root, `.tmp-${what}-${process.pid}-${Date.now()}${String(tempSeq).padStart(3, '0')}`);
}

// Stores an entry whole: files are copied into a temp dir that is renamed into
// place. Safe with several publishers of one key (two Slurm workers building
// the same commit): see publishDir.
export async function storeEntry(meta: KernelCacheMeta, sources: Partial<EntryFiles>): Promise<KernelCacheEntry> {
  const root = kernelCacheDir();
  const tmp = tempName(root, meta.key);
  await mkdir(tmp, { recursive: true });
  try {
    const files = entryFiles(tmp);
    for (const name of ['bzImage', 'vmlinux', 'config', 'log'] as const) {
      const source = sources[name];
      if (source !== undefined) await copyFile(source, files[name]);
    }
    await writeFileAtomic(join(tmp, META), `${JSON.stringify(meta, null, 2)}\n`);
    await writeFile(join(tmp, LAST_USED), '');
    await publishDir(root, tmp, meta);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  // another publisher may be between its two renames for an instant (see publishDir)
  for (let attempt = 0; ; attempt++) {
    const entry = await lookupEntry(meta.key);
    if (entry !== null) return entry;
    if (attempt >= 50) throw new Error(`kernel cache: entry ${meta.key} vanished right after it was stored in ${root}`);
    await sleep(20);
  }
}

// rename(2) onto a free name is atomic: readers see no entry or a whole one.
// An entry already there (another worker's build of the same key, or a
// rebuild's predecessor) is renamed aside first and removed after, never
// deleted in place: whoever renames last wins, nobody fails, and a reader
// that opened the old files keeps reading them.
async function publishDir(root: string, tmp: string, meta: KernelCacheMeta): Promise<void> {
  const final = join(root, meta.key);
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await rename(tmp, final);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    }
    const aside = tempName(root, `old-${meta.key}`);
    try {
      await rename(final, aside);
    } catch (error) {
      // someone else moved it aside first: try our rename again
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      continue;
    }
    await rm(aside, { recursive: true, force: true });
  }
  throw new Error(`kernel cache: could not publish ${meta.key} in ${root}: other publishers kept replacing it (20 attempts)`);
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


// A store's temp dir lives for seconds; on a shared cache its pid may be of
// another machine (not alive *here*), so only old ones are taken for leftovers.
const STALE_TEMP_MS = 10 * 60_000;

// Leftovers of stores that were interrupted (Ctrl-C, crash): temp dirs whose process is gone.
export async function removeTempEntries(): Promise<number> {
  let names: string[];
  try {
    names = await readdir(kernelCacheDir());
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const pid = Number(/^\.tmp-.+-(\d+)-\d+$/.exec(name)?.[1] ?? Number.NaN);
    if (!name.startsWith('.tmp-') || (Number.isInteger(pid) && isAlive(pid))) continue;
    const path = join(kernelCacheDir(), name);
    const ageMs = await stat(path).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (ageMs < STALE_TEMP_MS) continue;
    await rm(path, { recursive: true, force: true });
    removed++;
  }
  return removed;
}
