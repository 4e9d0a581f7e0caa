// Evidence bundles on disk: gzip (node:zlib) around the in-memory ustar of
// core/bundle/tar.ts, written atomically, read back by streaming gunzip that
// stops at a byte cap (a decompression bomb costs at most the cap, never the
// bomb); and the evidence this host still has that a log only names: host
// fingerprints in the results store, kernel .configs in the kernel cache.
// Nothing is ever extracted to disk.
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGunzip, gunzipSync, gzipSync } from 'node:zlib';
import { UserError } from '../core/errors.ts';
import type { HostRecord, KernelRecord } from '../core/bundle/contents.ts';
import { sha256Hex } from './digest.ts';
import { entryFiles, listEntries } from './kernel-cache.ts';
import { writeFileAtomic } from './store.ts';

// sha256 (hex) of member bytes, for core/bundle/manifest.ts.
export const sha256OfBytes = (data: Uint8Array): string => sha256Hex(data);

// Compresses an archive for the bundle file.
export function gzipBundle(tar: Uint8Array): Uint8Array {
  return gzipSync(tar, { level: 9 });
}

// Uncompresses a bundle this process just compressed (to read it back before writing it).
export function gunzipBundle(gz: Uint8Array, maxUnpackedBytes: number): Uint8Array {
  return gunzipSync(gz, { maxOutputLength: maxUnpackedBytes });
}

// Writes the bundle whole or not at all.
export async function writeBundleFile(path: string, gz: Uint8Array): Promise<void> {
  await writeFileAtomic(path, gz);
}

export interface GunzipLimits {
  // bytes of the .tar.gz file
  maxFileBytes: number;
  // bytes the gunzipped stream may reach before it is abandoned
  maxUnpackedBytes: number;
}

function mib(n: number): string {
  return n < 1 << 20 ? `${n} bytes` : `${(n / (1 << 20)).toFixed(n % (1 << 20) === 0 ? 0 : 1)} MiB`;
}

// Gunzips `path` into memory, refusing a file or a stream beyond the limits, a truncated or damaged one, or not gzip at all.
export async function readGzipFile(path: string, limits: GunzipLimits, hint: string): Promise<{ data: Uint8Array; fileBytes: number }> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new UserError(`${path}: expected a bundle file, got ${missing ? 'nothing at that path' : `an error: ${(error as Error).message}`}`, missing ? 'check the path' : hint);
  }
  if (!info.isFile()) throw new UserError(`${path}: expected a regular file (a .tar.gz bundle), got ${info.isDirectory() ? 'a directory' : 'a special file'}`, hint);
  if (info.size > limits.maxFileBytes) throw new UserError(`${path}: expected a bundle of at most ${mib(limits.maxFileBytes)}, got ${mib(info.size)}`, hint);
  const head = Buffer.alloc(2);
  const fh = await open(path, 'r');
  try {
    await fh.read(head, 0, 2, 0);
  } finally {
    await fh.close();
  }
  if (head[0] !== 0x1f || head[1] !== 0x8b) {
    throw new UserError(
      `${path}: expected a gzip-compressed kbisect bundle, got ${info.size === 0 ? 'an empty file' : `a file that is not gzip (it starts with ${JSON.stringify(head.toString('latin1'))})`}`,
      `${hint}; a \`kbisect log\` file is restored with: kbisect replay FILE`,
    );
  }
  const chunks: Buffer[] = [];
  let total = 0;
  let tooLarge = false;
  try {
    await pipeline(createReadStream(path), createGunzip({ chunkSize: 64 * 1024 }), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) {
        total += chunk.length;
        if (total > limits.maxUnpackedBytes) {
          // pipeline() reports an abort, not this error: the flag says why
          tooLarge = true;
          throw new RangeError('bundle: over the unpacked-size cap');
        }
        chunks.push(chunk);
      }
    });
  } catch (error) {
    if (tooLarge) {
      throw new UserError(`${path}: expected at most ${mib(limits.maxUnpackedBytes)} once uncompressed, got more (a decompression bomb, or not a kbisect bundle); nothing was kept`, hint);
    }
    const code = (error as NodeJS.ErrnoException).code;
    const message = (error as Error).message;
    if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(message)) throw new UserError(`${path}: expected a complete gzip stream, got one that ends early: the bundle is cut short (truncated while copying?)`, hint);
    if (code === 'Z_DATA_ERROR' || (error as { errno?: number }).errno === zlibConstants.Z_DATA_ERROR) {
      throw new UserError(`${path}: expected a gzip stream that decodes, got damaged data (${message}): the bundle was altered or corrupted`, hint);
    }
    throw new UserError(`${path}: cannot read the bundle: ${message}`, hint);
  }
  return { data: Buffer.concat(chunks, total), fileBytes: info.size };
}

// The host facts behind each fingerprint id, from the results store (measurements.jsonl); ids it lacks are absent.
export async function findHostFacts(resultsPath: string, ids: ReadonlySet<string>): Promise<Map<string, NonNullable<HostRecord['facts']>>> {
  const found = new Map<string, NonNullable<HostRecord['facts']>>();
  if (ids.size === 0) return found;
  let stream;
  try {
    await stat(resultsPath);
    stream = createReadStream(resultsPath, { encoding: 'utf8' });
  } catch {
    return found;
  }
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      // the store may hold torn or foreign lines: take only well-formed boot records
      if (!line.includes('"hostId"')) continue;
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        continue;
      }
      const host = (record as { host?: Record<string, unknown> } | null)?.host;
      const id = host?.id;
      if (typeof id !== 'string' || !ids.has(id) || found.has(id)) continue;
      const { cpuModel, cpuCount, hostKernel, qemuVersion, netperfVersion } = host as Record<string, unknown>;
      if (typeof cpuModel !== 'string' || typeof cpuCount !== 'number' || typeof hostKernel !== 'string' || typeof qemuVersion !== 'string' || typeof netperfVersion !== 'string') continue;
      found.set(id, { cpuModel: cpuModel.slice(0, 256), cpuCount, hostKernel: hostKernel.slice(0, 256), qemuVersion: qemuVersion.slice(0, 256), netperfVersion: netperfVersion.slice(0, 256) });
      if (found.size === ids.size) break;
    }
  } finally {
    lines.close();
    stream.destroy();
  }
  return found;
}

// A .config larger than this is not one (a full x86 allyesconfig is ~300 KB).
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

export interface KernelEvidence {
  build: KernelRecord['build'];
  config: Uint8Array | null;
  missing: string | null;
}

// The kernel cache entry whose image hashes to `imageHash` (built from `commit`): its build identity and final .config.
export async function findKernelEvidence(commit: string, imageHash: string): Promise<KernelEvidence> {
  const entries = (await listEntries()).filter((e) => e.meta.kind === 'built' && e.meta.imageHash === imageHash);
  const entry = entries.find((e) => e.meta.sha === commit) ?? entries[0];
  if (entry === undefined) return { build: null, config: null, missing: 'not in the kernel cache of the host that wrote the bundle (evicted, or measured elsewhere)' };
  const m = entry.meta;
  // meta.json is a file: kept to the lengths a bundle accepts
  const cut = (v: unknown, n: number): string => String(v).slice(0, n);
  const build = {
    key: cut(entry.key, 128),
    configHash: cut(m.configHash, 128),
    toolchainId: cut(m.toolchainId, 512),
    toolchainVersion: cut(m.toolchainVersion, 512),
    builtAt: cut(m.builtAt, 64),
    durationMs: Math.max(0, Number(m.durationMs) || 0),
  };
  const path = entryFiles(entry.dir).config;
  try {
    const size = (await stat(path)).size;
    if (size > MAX_CONFIG_BYTES) return { build, config: null, missing: `its .config is ${size} bytes, more than the ${MAX_CONFIG_BYTES} a bundle takes` };
    const fh = await open(path, 'r');
    try {
      return { build, config: new Uint8Array(await fh.readFile()), missing: null };
    } finally {
      await fh.close();
    }
  } catch {
    return { build, config: null, missing: 'its cache entry has no .config' };
  }
}
