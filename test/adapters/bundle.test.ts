// Bundle files on disk and the evidence this host keeps: gunzip stops at its
// cap (a bomb costs the cap, not the bomb), a cut or damaged stream is named
// as such; host facts come from the results store (torn and foreign lines
// skipped), kernel .configs from the kernel cache.
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { findHostFacts, findKernelEvidence, readGzipFile } from '../../src/adapters/bundle.ts';
import { sha256Hex } from '../../src/adapters/digest.ts';
import { cacheKeyFor, storeEntry } from '../../src/adapters/kernel-cache.ts';
import { BUNDLE_LIMITS } from '../../src/core/bundle/contents.ts';
import { UserError } from '../../src/core/errors.ts';
import { useTempDir } from '../helpers/temp-dir.ts';

const tmp = useTempDir('bundle-io', { env: { KBISECT_CACHE_DIR: 'cache', KBISECT_DATA_DIR: 'data' } });
const small = { maxFileBytes: 1 << 20, maxUnpackedBytes: 64 * 1024 };

async function refusal(file: string, limits = small): Promise<UserError> {
  const error = await readGzipFile(file, limits, 'hint').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

// Writes `mib` MiB of zeros, gzipped, streaming (the file is ~1/1000 of that).
async function writeZeroBomb(file: string, mib: number): Promise<void> {
  const zero = Buffer.alloc(1 << 20);
  let n = 0;
  await pipeline(
    Readable.from(
      (function* () {
        while (n++ < mib) yield zero;
      })(),
    ),
    createGzip({ level: 1 }),
    createWriteStream(file),
  );
}

describe('readGzipFile', () => {
  it('reads a gzip file whole within the caps', async () => {
    const file = join(tmp.path, 'ok.gz');
    writeFileSync(file, gzipSync(Buffer.from('hello bundle')));
    const { data, fileBytes } = await readGzipFile(file, small, 'hint');
    expect(Buffer.from(data).toString()).toBe('hello bundle');
    expect(fileBytes).toBeGreaterThan(0);
  });

  it('stops a decompression bomb at the cap given', async () => {
    const file = join(tmp.path, 'bomb.gz');
    await writeZeroBomb(file, 2);
    expect((await refusal(file)).message).toMatch(/expected at most 65536 bytes once uncompressed, got more \(a decompression bomb, or not a kbisect bundle\); nothing was kept/);
  });

  it('stops a 300 MiB bomb at the default cap (256 MiB) without holding more than the cap', async () => {
    const file = join(tmp.path, 'big-bomb.gz');
    await writeZeroBomb(file, 300);
    const before = process.memoryUsage().arrayBuffers;
    const error = await refusal(file, BUNDLE_LIMITS);
    expect(error.message).toMatch(/expected at most 256 MiB once uncompressed/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(300 * (1 << 20));
  }, 30_000);

  it('names a cut stream, damaged data, a file that is not gzip, a directory, a missing file and one over the file cap', async () => {
    const gz = gzipSync(Buffer.alloc(10_000, 'k'));
    const cut = join(tmp.path, 'cut.gz');
    writeFileSync(cut, gz.subarray(0, gz.length - 10));
    expect((await refusal(cut)).message).toMatch(/cut.gz: expected a complete gzip stream, got one that ends early: the bundle is cut short/);
    const flipped = Buffer.from(gz);
    const at = Math.floor(gz.length / 2);
    flipped[at] = (flipped[at] as number) ^ 0xff;
    const damaged = join(tmp.path, 'damaged.gz');
    writeFileSync(damaged, flipped);
    expect((await refusal(damaged)).message).toMatch(/damaged.gz: expected a gzip stream that decodes, got damaged data/);
    const log = join(tmp.path, 'log.jsonl');
    writeFileSync(log, '{"kind":"session"}\n');
    const notGzip = await refusal(log);
    expect(notGzip.message).toMatch(/expected a gzip-compressed kbisect bundle, got a file that is not gzip \(it starts with "\{\\""\)/);
    expect(notGzip.hint).toMatch(/kbisect replay FILE/);
    expect((await refusal(tmp.path)).message).toMatch(/expected a regular file \(a .tar.gz bundle\), got a directory/);
    expect((await refusal(join(tmp.path, 'nope.gz'))).message).toMatch(/nope.gz: expected a bundle file, got nothing at that path/);
    expect((await refusal(cut, { maxFileBytes: 10, maxUnpackedBytes: 1 << 20 })).message).toMatch(/expected a bundle of at most/);
  });
});

describe('evidence from this host', () => {
  it('finds host facts by fingerprint id in the results store, skipping torn and foreign lines', async () => {
    const store = join(tmp.path, 'data', 'measurements.jsonl');
    mkdirSync(join(tmp.path, 'data'), { recursive: true });
    const host = { id: 'f00dfeedf00dfeed', cpuModel: 'AMD EPYC 7B13', cpuCount: 2, hostKernel: '6.1.0', qemuVersion: 'QEMU emulator version 7.2.0', netperfVersion: 'Netperf version 2.7.0', accel: 'tcg' };
    writeFileSync(
      store,
      [
        'not json "hostId"',
        JSON.stringify({ type: 'boot', key: { hostId: 'other' }, host: { ...host, id: 'other', cpuCount: 'two' } }),
        JSON.stringify({ type: 'boot', key: { hostId: host.id }, host }),
        '{"type":"boot","key":{"hostId":"f00d',
      ].join('\n'),
    );
    const facts = await findHostFacts(store, new Set([host.id, 'other', 'absent']));
    expect([...facts.keys()]).toEqual([host.id]);
    expect(facts.get(host.id)).toEqual({ cpuModel: 'AMD EPYC 7B13', cpuCount: 2, hostKernel: '6.1.0', qemuVersion: 'QEMU emulator version 7.2.0', netperfVersion: 'Netperf version 2.7.0' });
    expect((await findHostFacts(join(tmp.path, 'none.jsonl'), new Set([host.id]))).size).toBe(0);
  });

  it('finds the .config and build identity of a kernel in the cache by image hash, and says why when it cannot', async () => {
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    for (const [name, content] of [
      ['bzImage', 'image'],
      ['vmlinux', 'elf'],
      ['config', 'CONFIG_VIRTIO_NET=y\n'],
    ] as const)
      writeFileSync(join(src, name), content);
    const sha = '1'.repeat(40);
    const imageHash = sha256Hex('image');
    const key = cacheKeyFor({ sha, configHash: 'cfg', toolchainId: 'gcc' });
    await storeEntry(
      { version: 1, key, kind: 'built', sha, configHash: 'cfg', toolchainId: 'gcc', toolchainVersion: 'gcc (Debian 12.2.0-14) 12.2.0', imageHash, durationMs: 1234, builtAt: '2026-01-01T00:00:00.000Z' },
      { bzImage: join(src, 'bzImage'), vmlinux: join(src, 'vmlinux'), config: join(src, 'config') },
    );
    const found = await findKernelEvidence(sha, imageHash);
    expect(Buffer.from(found.config ?? []).toString()).toBe('CONFIG_VIRTIO_NET=y\n');
    expect(found).toMatchObject({ missing: null, build: { key, configHash: 'cfg', toolchainId: 'gcc', toolchainVersion: 'gcc (Debian 12.2.0-14) 12.2.0', durationMs: 1234 } });
    expect(await findKernelEvidence(sha, '0'.repeat(64))).toEqual({ build: null, config: null, missing: expect.stringMatching(/not in the kernel cache/) as unknown });
  });
});
