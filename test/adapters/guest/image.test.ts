import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it, onTestFinished } from 'vitest';
import { sha256Hex } from '../../../src/adapters/digest.ts';
import { findExecutable } from '../../../src/adapters/host.ts';
import { buildGuestImage, renderInit } from '../../../src/adapters/guest/image.ts';
import { useTempDir } from '../../helpers/temp-dir.ts';

const haveTools = (await findExecutable('busybox', `${process.env.PATH ?? ''}:/bin`)) !== null && (await findExecutable('netperf')) !== null;
const tmp = useTempDir('image-test', { per: 'file' });

describe('renderInit', () => {
  it("fills in kbisect's marker prefix and netserver port, leaving no placeholder", () => {
    const init = renderInit();
    expect(init.startsWith('#!/bin/sh\n')).toBe(true);
    expect(init).toContain('echo "KBISECT-READY uptime=$UP role=server"');
    expect(init).toContain('netserver -D -f -4 -p 12865');
    expect(init).toContain('= 3241 ]'); // 12865 in /proc/net/tcp's hex
    expect(init).not.toMatch(/@[A-Z_]+@/);
  });
});

describe.runIf(haveTools)('buildGuestImage (host binaries)', () => {
  it('builds once, then answers from the cache with stat() calls and one hash of the image', async () => {
    const cold = await buildGuestImage({ cacheDir: tmp.path, compression: 'none' });
    expect(cold.cached).toBe(false);
    expect(cold.bytes).toBeGreaterThan(1_000_000);
    const warm = await buildGuestImage({ cacheDir: tmp.path, compression: 'none' });
    expect(warm).toMatchObject({ cached: true, hash: cold.hash, path: cold.path });
    expect(warm.buildMs).toBeLessThan(cold.buildMs);
    // the archive holds /init, /dev/console, busybox, netperf and the loader
    const text = readFileSync(cold.path).toString('latin1');
    for (const name of ['init\0', 'dev/console\0', 'bin/busybox\0', 'usr/bin/netperf\0', 'usr/bin/netserver\0', 'lib64/ld-linux-x86-64.so.2\0']) expect(text).toContain(name);
  });

  // The manifest that vouches for an image (found by the image's file name in it).
  const manifestOf = (image: string, cacheDir = tmp.path): string => {
    const images = join(cacheDir, 'guest-images');
    const name = readdirSync(images).find((f) => f.endsWith('.manifest.json') && readFileSync(join(images, f), 'utf8').includes(image.split('/').at(-1) ?? '?'));
    if (name === undefined) throw new Error(`no manifest names ${image}`);
    return join(images, name);
  };

  interface RawManifest {
    schema: number;
    image: string;
    bytes: number;
    imageSha256: string;
    inputs: { path: string; size: number; mtimeMs: number; ino: number }[];
  }

  const input = (m: RawManifest, k: number): RawManifest['inputs'][number] => {
    const found = m.inputs.at(k);
    if (!found) throw new Error(`the manifest lists no input ${k}`);
    return found;
  };

  // A hit is decided by the manifest alone, so a manifest that no longer matches must be
  // thrown away and written again from the real inputs; if validation were skipped, the
  // tampered manifest would survive the next build unchanged.
  it.each<[string, (m: RawManifest) => void]>([
    ["an input's mtime changed", (m) => void (input(m, 0).mtimeMs = 1)],
    ["an input's size changed", (m) => void (input(m, -1).size += 1)],
    ['an input was replaced (another inode)', (m) => void (input(m, 1).ino += 1)],
    ["the image's size disagrees", (m) => void (m.bytes += 1)],
    ["the image's sha256 disagrees", (m) => void (m.imageSha256 = '0'.repeat(64))],
    ['it names a file outside the cache as the image', (m) => void (m.image = '../../../../etc/hostname')],
    ['its schema is unknown', (m) => void (m.schema += 1)],
  ])('does not trust a manifest when %s: it reads the inputs again and rewrites it', async (_what, tamper) => {
    const first = await buildGuestImage({ cacheDir: tmp.path, compression: 'gzip' });
    const path = manifestOf(first.path);
    const original = JSON.parse(readFileSync(path, 'utf8')) as RawManifest;
    const tampered = structuredClone(original);
    tamper(tampered);
    expect(tampered).not.toEqual(original);
    writeFileSync(path, JSON.stringify(tampered));
    // the next case starts from a true manifest even when this one fails
    onTestFinished(() => writeFileSync(path, JSON.stringify(original)));
    const again = await buildGuestImage({ cacheDir: tmp.path, compression: 'gzip' });
    // the same content, and a manifest that says again what the host's files really are
    expect(again).toMatchObject({ hash: first.hash, path: first.path, bytes: first.bytes });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(original);
    expect((await buildGuestImage({ cacheDir: tmp.path, compression: 'gzip' })).cached).toBe(true);
  });

  // A power cut (or anything else) can leave the cached image short. The manifest no longer
  // matches, so the image is built again; the file already at its path must then be checked,
  // not adopted: the rebuild writes the full image, and the manifest vouches for that one only.
  it('rebuilds a cached image truncated on disk, and the build after that is a hit on the full image', async () => {
    const cacheDir = join(tmp.path, 'torn');
    const first = await buildGuestImage({ cacheDir, compression: 'none' });
    const image = readFileSync(first.path);
    const manifest = readFileSync(manifestOf(first.path, cacheDir), 'utf8');
    truncateSync(first.path, 1_000);
    const rebuilt = await buildGuestImage({ cacheDir, compression: 'none' });
    expect(rebuilt).toMatchObject({ cached: false, path: first.path, hash: first.hash, bytes: image.length });
    const again = await buildGuestImage({ cacheDir, compression: 'none' });
    expect(again).toMatchObject({ cached: true, path: first.path, hash: first.hash, bytes: image.length });
    expect(sha256Hex(readFileSync(first.path))).toBe(sha256Hex(image));
    expect(readFileSync(manifestOf(first.path, cacheDir), 'utf8')).toBe(manifest);
  });

  // Same size, same mtime, other bytes: only the content tells, so a hit hashes the image.
  it('rebuilds a cached image whose bytes changed in place (size and mtime kept)', async () => {
    const cacheDir = join(tmp.path, 'flipped');
    const first = await buildGuestImage({ cacheDir, compression: 'gzip' });
    const image = readFileSync(first.path);
    const { atime, mtime } = statSync(first.path);
    const damaged = Buffer.from(image);
    damaged[damaged.length >> 1] = (damaged[damaged.length >> 1] ?? 0) ^ 0xff;
    writeFileSync(first.path, damaged);
    utimesSync(first.path, atime, mtime);
    const rebuilt = await buildGuestImage({ cacheDir, compression: 'gzip' });
    expect(rebuilt).toMatchObject({ cached: false, path: first.path, hash: first.hash, bytes: image.length });
    expect(readFileSync(first.path).equals(image)).toBe(true);
    expect((await buildGuestImage({ cacheDir, compression: 'gzip' })).cached).toBe(true);
  });

  // Separate processes (two `kbisect measure` at once) build into one cache, from nothing and
  // over a truncated image with its stale manifest: each must return the full image, and what
  // is left on disk must be the full image and the manifest that vouches for it.
  it('4 processes building at once, from nothing and then over a truncated image: every one returns the full image, and the cache ends correct', async () => {
    const reference = await buildGuestImage({ cacheDir: join(tmp.path, 'reference'), compression: 'none' });
    const image = readFileSync(reference.path);
    const manifest = readFileSync(manifestOf(reference.path, join(tmp.path, 'reference')), 'utf8');
    const worker = join(tmp.path, 'image-worker.mjs');
    await build({
      stdin: {
        contents: [
          `import { buildGuestImage } from './src/adapters/guest/image.ts';`,
          `import { readFileSync } from 'node:fs';`,
          `import { createHash } from 'node:crypto';`,
          `const [cacheDir, startAt] = process.argv.slice(2);`,
          `while (Date.now() < Number(startAt)) await new Promise((r) => setTimeout(r, 1));`,
          `const got = await buildGuestImage({ cacheDir, compression: 'none' });`,
          `const sha256 = createHash('sha256').update(readFileSync(got.path)).digest('hex');`,
          `console.log(JSON.stringify({ ...got, sha256 }));`,
        ].join('\n'),
        resolveDir: join(import.meta.dirname, '..', '..', '..'),
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: worker,
      logLevel: 'warning',
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
      plugins: [
        {
          name: 'raw',
          setup(b) {
            b.onResolve({ filter: /\?raw$/ }, (a) => ({ path: join(a.resolveDir, a.path.replace(/\?raw$/, '')), namespace: 'raw' }));
            b.onLoad({ filter: /.*/, namespace: 'raw' }, (a) => ({ contents: readFileSync(a.path, 'utf8'), loader: 'text' }));
          },
        },
      ],
    });
    const runWorker = (cacheDir: string, startAt: number): Promise<{ path: string; bytes: number; sha256: string }> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [worker, cacheDir, String(startAt)], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as { path: string; bytes: number; sha256: string }) : reject(new Error(`worker exited ${code}`))));
      });
    const cacheDir = join(tmp.path, 'race');
    const imagePath = join(cacheDir, 'guest-images', reference.path.split('/').at(-1) ?? '?');
    for (let round = 0; round < 2; round++) {
      // round 0 starts from nothing, round 1 from a torn image that its manifest no longer matches
      if (round > 0) truncateSync(imagePath, 1_000);
      const startAt = Date.now() + 600;
      const results = await Promise.all([0, 1, 2, 3].map(() => runWorker(cacheDir, startAt)));
      for (const r of results) expect(r).toMatchObject({ path: imagePath, bytes: image.length, sha256: sha256Hex(image) });
      expect(sha256Hex(readFileSync(imagePath))).toBe(sha256Hex(image));
      expect(readFileSync(manifestOf(imagePath, cacheDir), 'utf8')).toBe(manifest);
      expect(readdirSync(join(cacheDir, 'guest-images')).filter((f) => f.includes('.tmp-'))).toEqual([]);
    }
  }, 30_000);

  it('trusts an untouched manifest: the next build is a hit that leaves it as it was', async () => {
    const first = await buildGuestImage({ cacheDir: tmp.path, compression: 'gzip' });
    const path = manifestOf(first.path);
    const before = readFileSync(path, 'utf8');
    const again = await buildGuestImage({ cacheDir: tmp.path, compression: 'gzip' });
    expect(again).toMatchObject({ cached: true, hash: first.hash, path: first.path, bytes: first.bytes });
    expect(readFileSync(path, 'utf8')).toBe(before);
  });
});
