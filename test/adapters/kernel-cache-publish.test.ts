// Several processes publish the same kernel cache key at once, as two Slurm
// workers that built the same commit into a shared cache do: none fails,
// every lookup finds a whole entry, no temp dir is left behind.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { cacheKeyFor } from '../../src/adapters/kernel-cache.ts';
import { useTempDir } from '../helpers/temp-dir.ts';

const run = promisify(execFile);
const dir = useTempDir('cache-publish', { per: 'file' });
let publisher: string;

beforeAll(async () => {
  publisher = join(dir.path, 'cache-publisher.mjs');
  await build({ entryPoints: [join(import.meta.dirname, '..', 'fixtures', 'slurm', 'cache-publisher.ts')], bundle: true, platform: 'node', format: 'esm', outfile: publisher, logLevel: 'warning' });
});

async function publishAll(cache: string, tags: readonly string[], rounds: number): Promise<{ errors: string[]; seen: string[] }[]> {
  const key = cacheKeyFor({ sha: 'a'.repeat(40), configHash: '0123456789abcdef', toolchainId: 'gcc-12.2.0' });
  const env = { ...process.env, KBISECT_KERNEL_CACHE_DIR: cache };
  const outs = await Promise.all(tags.map((tag) => run(process.execPath, [publisher, key, tag, String(rounds), join(dir.path, 'scratch')], { env })));
  const entry = join(cache, key);
  // the entry left is whole: its files all come from the one publisher its meta names
  const tag = (JSON.parse(readFileSync(join(entry, 'meta.json'), 'utf8')) as { imageHash: string }).imageHash;
  expect(tags).toContain(tag);
  for (const name of ['bzImage', 'vmlinux', 'config', 'build.log']) expect(readFileSync(join(entry, name), 'utf8')).toContain(` of ${tag}\n`);
  expect(readdirSync(cache).filter((n) => n.startsWith('.')), 'temp dirs left').toEqual([]);
  return outs.map((o) => JSON.parse(o.stdout) as { errors: string[]; seen: string[] });
}

describe('storeEntry with concurrent publishers of one key', () => {
  it('two workers with the same image: both succeed, each finds a whole entry', async () => {
    const results = await publishAll(join(dir.path, 'same'), ['img', 'img'], 30);
    for (const r of results) {
      expect(r.errors).toEqual([]);
      expect(r.seen).toEqual(Array(30).fill('img'));
    }
  }, 60_000);

  it('four workers with different images (rebuilds): none fails, every lookup finds a whole entry', async () => {
    const tags = ['i1', 'i2', 'i3', 'i4'];
    const results = await publishAll(join(dir.path, 'different'), tags, 30);
    for (const r of results) {
      expect(r.errors).toEqual([]);
      expect(r.seen).toHaveLength(30);
      for (const s of r.seen) expect(tags).toContain(s);
    }
  }, 60_000);
});
