import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findExecutable } from '../../../src/adapters/host.ts';
import { buildGuestImage, renderInit } from '../../../src/adapters/guest/image.ts';

const haveTools = (await findExecutable('busybox', `${process.env.PATH ?? ''}:/bin`)) !== null && (await findExecutable('netperf')) !== null;
const dir = mkdtempSync(join(tmpdir(), 'kbisect-image-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
  it('builds once, then answers from the cache with stat() calls only', async () => {
    const cold = await buildGuestImage({ cacheDir: dir, compression: 'none' });
    expect(cold.cached).toBe(false);
    expect(cold.bytes).toBeGreaterThan(1_000_000);
    const warm = await buildGuestImage({ cacheDir: dir, compression: 'none' });
    expect(warm).toMatchObject({ cached: true, hash: cold.hash, path: cold.path });
    expect(warm.buildMs).toBeLessThan(cold.buildMs);
    // the archive holds /init, /dev/console, busybox, netperf and the loader
    const text = readFileSync(cold.path).toString('latin1');
    for (const name of ['init\0', 'dev/console\0', 'bin/busybox\0', 'usr/bin/netperf\0', 'usr/bin/netserver\0', 'lib64/ld-linux-x86-64.so.2\0']) expect(text).toContain(name);
  });

  it('rebuilds when an input no longer matches the manifest, to the same content', async () => {
    const first = await buildGuestImage({ cacheDir: dir, compression: 'gzip' });
    const manifest = readdirSync(join(dir, 'guest-images')).find((f) => f.endsWith('.manifest.json') && readFileSync(join(dir, 'guest-images', f), 'utf8').includes(first.path.split('/').at(-1) ?? '?'));
    expect(manifest).toBeDefined();
    const path = join(dir, 'guest-images', manifest ?? '');
    const m = JSON.parse(readFileSync(path, 'utf8')) as { inputs: { mtimeMs: number }[] };
    m.inputs[0] = { ...m.inputs[0], mtimeMs: 1 } as { mtimeMs: number };
    writeFileSync(path, JSON.stringify(m));
    const again = await buildGuestImage({ cacheDir: dir, compression: 'gzip' });
    // the manifest no longer vouched for it, so the inputs were read again; the image itself was still there
    expect(again.hash).toBe(first.hash);
    expect((await buildGuestImage({ cacheDir: dir, compression: 'gzip' })).cached).toBe(true);
  });
});
