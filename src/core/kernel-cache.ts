// Decisions over the kernel cache's entries: which to evict when it is over
// its size limit (least recently used first), which a prune removes, which
// other commit built a byte-identical image; and byte sizes as users write
// them. Pure.

export interface CacheEntrySummary {
  key: string;
  sizeBytes: number;
  lastUsedMs: number;
}

export const DEFAULT_KERNEL_CACHE_MAX_BYTES = 5 * 1024 ** 3;

// Picks the least recently used entries to delete until the total fits in
// `maxBytes`; entries in `keep` (the one just built) are never picked.
export function selectEvictions(
  entries: readonly CacheEntrySummary[],
  maxBytes: number,
  keep: ReadonlySet<string> = new Set(),
): string[] {
  let total = entries.reduce((sum, e) => sum + e.sizeBytes, 0);
  const evict: string[] = [];
  const oldestFirst = [...entries].sort((a, b) => a.lastUsedMs - b.lastUsedMs || a.key.localeCompare(b.key));
  for (const entry of oldestFirst) {
    if (total <= maxBytes) break;
    if (keep.has(entry.key)) continue;
    evict.push(entry.key);
    total -= entry.sizeBytes;
  }
  return evict;
}

// What the decisions below read of an entry's meta.json.
export interface CachedBuildSummary extends CacheEntrySummary {
  meta: { kind: 'built' | 'build-failed'; sha: string; imageHash?: string; builtAt: string };
}

// Another commit whose bzImage is byte-identical (the oldest such entry).
export function findIdenticalImage(entries: readonly CachedBuildSummary[], imageHash: string, sha: string): string | undefined {
  const same = entries
    .filter((e) => e.meta.kind === 'built' && e.meta.imageHash === imageHash && e.meta.sha !== sha)
    .sort((a, b) => a.meta.builtAt.localeCompare(b.meta.builtAt));
  return same[0]?.meta.sha;
}

export interface PrunePlanOptions {
  // evict least recently used entries until the cache fits
  maxBytes?: number;
  // remove every entry
  all?: boolean;
  // remove recorded build failures (so they are built again)
  failed?: boolean;
}

// What `kbisect cache prune` removes: everything (all), recorded failures
// (failed), then the least recently used of the rest until it fits (maxBytes).
export function planPrune<E extends CachedBuildSummary>(entries: readonly E[], opts: PrunePlanOptions): { removed: E[]; freedBytes: number; remainingBytes: number } {
  const keys = new Set<string>();
  if (opts.all) for (const e of entries) keys.add(e.key);
  if (opts.failed) for (const e of entries) if (e.meta.kind === 'build-failed') keys.add(e.key);
  if (opts.maxBytes !== undefined) {
    const rest = entries.filter((e) => !keys.has(e.key));
    for (const key of selectEvictions(rest, opts.maxBytes)) keys.add(key);
  }
  const removed = entries.filter((e) => keys.has(e.key));
  const freedBytes = removed.reduce((sum, e) => sum + e.sizeBytes, 0);
  const remainingBytes = entries.reduce((sum, e) => sum + e.sizeBytes, 0) - freedBytes;
  return { removed, freedBytes, remainingBytes };
}

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

// Reads "5G", "500MiB", "2.5GB", "1048576" as bytes; null when it is not a size.
export function parseByteSize(raw: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(raw);
  if (!m?.[1]) return null;
  const factor = UNITS[(m[2] ?? '').toLowerCase()];
  if (factor === undefined) return null;
  return Math.round(Number(m[1]) * factor);
}

// "1.4 GiB", "812 MiB", "96 KiB": sizes for humans.
export function formatByteSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}
