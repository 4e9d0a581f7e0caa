// Which built kernels to evict when the cache is over its size limit (least
// recently used first), and byte sizes as users write them. Pure.

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
