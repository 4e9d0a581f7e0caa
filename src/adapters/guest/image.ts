// The guest's initramfs, written by kbisect itself: the host's static busybox
// (with its applet links), netperf and netserver with the shared libraries
// they need, /dev/console, and the /init that speaks kbisect's console
// protocol. Cached by content hash; rebuilt only when an input changes, and
// booted only after the cached file is checked against the manifest's sha256.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { z } from 'zod';
import { MARKER_PREFIX } from '../../core/guest-protocol.ts';
import { UserError } from '../../core/errors.ts';
import { sha256Hex } from '../digest.ts';
import { isStaticElf } from '../elf.ts';
import { runCommand } from '../exec.ts';
import { findExecutable } from '../host.ts';
import { NETSERVER_PORT } from '../netperf.ts';
import { writeFileAtomic } from '../store.ts';
import { parentDirs, writeCpioNewc, type CpioEntry } from './cpio.ts';
import initTemplate from './init.sh?raw';
import { resolveSharedLibraries } from './libs.ts';

// none: ~2x larger, but the guest unpacks it ~0.2 s sooner under TCG (measured); gzip: level 1
export type ImageCompression = 'gzip' | 'none';

export interface GuestImage {
  path: string;
  // sha256 of the uncompressed archive (+ compression): identifies the image
  hash: string;
  cached: boolean;
  buildMs: number;
  bytes: number;
}

export interface GuestImageOptions {
  cacheDir: string;
  compression?: ImageCompression;
}

const SETUP_HINT = 'sudo bash scripts/setup-host.sh installs busybox-static and netperf';

// The /init script with kbisect's marker prefix and netserver port filled in.
export function renderInit(): string {
  return initTemplate
    .replaceAll('@P@', MARKER_PREFIX)
    .replaceAll('@PORT_HEX@', NETSERVER_PORT.toString(16).toUpperCase().padStart(4, '0'))
    .replaceAll('@PORT@', String(NETSERVER_PORT));
}

async function requireTool(name: string, pkg: string): Promise<string> {
  const path = await findExecutable(name, `${process.env.PATH ?? ''}:/usr/sbin:/sbin:/usr/bin:/bin`);
  if (!path) throw new UserError(`${name} not found: the guest image needs it`, `apt-get install -y ${pkg} (${SETUP_HINT})`);
  return path;
}

const inputStatSchema = z.strictObject({ path: z.string().min(1), size: z.number(), mtimeMs: z.number(), ino: z.number() });
type InputStat = z.infer<typeof inputStatSchema>;

// What a cached image was made from, checked with stat() alone so that a hit reads no host
// binary; and what the image file must hold (size, sha256), checked by hashing it, since a
// file on disk may be torn (power cut), stale or altered behind the manifest's back.
const manifestSchema = z.strictObject({
  schema: z.literal(2),
  // the image's file name in the cache directory: derived from `hash`, never a path
  image: z.string().regex(/^[0-9a-f]{32}\.cpio(\.gz)?$/),
  // sha256 of the uncompressed archive, '-raw' when it is stored uncompressed
  hash: z.string().regex(/^[0-9a-f]{64}(-raw)?$/),
  // the image file's size and sha256
  bytes: z.number().int().nonnegative(),
  imageSha256: z.string().regex(/^[0-9a-f]{64}$/),
  inputs: z.array(inputStatSchema).min(1),
});
type Manifest = z.infer<typeof manifestSchema>;

// The image's file name: named by its archive's content, so a name means one content.
function imageFileName(hash: string, compression: ImageCompression): string {
  return `${hash.slice(0, 32)}.cpio${compression === 'gzip' ? '.gz' : ''}`;
}

function sameInput(a: InputStat, b: InputStat): boolean {
  return a.path === b.path && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

async function statInput(path: string): Promise<InputStat> {
  const s = await stat(path);
  return { path, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
}

async function findTools(): Promise<{ busybox: string; netperf: string; netserver: string }> {
  const [busybox, netperf, netserver] = await Promise.all([
    requireTool('busybox', 'busybox-static'),
    requireTool('netperf', 'netperf'),
    requireTool('netserver', 'netperf'),
  ]);
  return { busybox, netperf, netserver };
}

// Collects the archive's entries from this host's binaries, and every host file they came from.
export async function collectGuestImageEntries(): Promise<{ entries: CpioEntry[]; inputs: string[] }> {
  const { busybox, netperf, netserver } = await findTools();
  if ((await isStaticElf(busybox)) !== true) {
    throw new UserError(`${busybox} is not a statically linked x86-64 busybox; the guest needs one`, 'apt-get install -y busybox-static');
  }
  const [applets, libraries] = await Promise.all([
    runCommand({ file: busybox, args: ['--list'], timeoutMs: 10_000 }).then((r) => r.stdout.split('\n').map((x) => x.trim()).filter((x) => /^[\w.[\]-]+$/.test(x))),
    resolveSharedLibraries([netperf, netserver]),
  ]);
  const files = new Map<string, { data: Uint8Array; mode: number }>();
  const read = async (hostPath: string, guestPath: string, mode: number): Promise<void> => {
    files.set(guestPath, { data: await readFile(hostPath), mode });
  };
  await Promise.all([
    read(busybox, 'bin/busybox', 0o755),
    read(netperf, 'usr/bin/netperf', 0o755),
    read(netserver, 'usr/bin/netserver', 0o755),
    ...libraries.map((lib) => read(lib, lib.replace(/^\/+/, ''), 0o755)),
  ]);
  const text = (x: string): Uint8Array => new TextEncoder().encode(x);
  files.set('init', { data: text(renderInit()), mode: 0o755 });
  files.set('etc/passwd', { data: text('root:x:0:0:root:/root:/bin/sh\n'), mode: 0o644 });
  files.set('etc/group', { data: text('root:x:0:\n'), mode: 0o644 });
  files.set('etc/hosts', { data: text('127.0.0.1 localhost\n'), mode: 0o644 });

  const links = applets.filter((a) => a !== 'busybox').map((a) => `bin/${a}`);
  const dirs = new Set([...parentDirs([...files.keys(), ...links]), 'dev', 'proc', 'sys', 'tmp', 'root', 'sbin', 'usr/sbin']);
  const entries: CpioEntry[] = [];
  for (const d of parentDirs([...dirs].map((x) => `${x}/x`))) entries.push({ kind: 'dir', path: d, mode: d === 'tmp' ? 0o1777 : 0o755 });
  // the kernel opens /dev/console for init before anything is mounted
  entries.push({ kind: 'chardev', path: 'dev/console', mode: 0o600, major: 5, minor: 1 });
  for (const [path, f] of [...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) entries.push({ kind: 'file', path, mode: f.mode, data: f.data });
  for (const l of links.sort()) entries.push({ kind: 'symlink', path: l, target: 'busybox' });
  return { entries, inputs: [busybox, netperf, netserver, ...libraries] };
}

// The file's content if it is exactly `bytes` long, else null (missing, unreadable, or another size).
async function readSized(path: string, bytes: number): Promise<Buffer | null> {
  try {
    if ((await stat(path)).size !== bytes) return null;
    const data = await readFile(path);
    return data.length === bytes ? data : null;
  } catch {
    return null;
  }
}

// The manifest if it still vouches for its image: its inputs are unchanged and the image file
// holds exactly what it recorded. Anything else (torn, stale, unknown shape) is a miss.
async function readValidManifest(path: string, dir: string, compression: ImageCompression): Promise<Manifest | null> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return null;
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) return null;
  const m = parsed.data;
  if (m.hash.endsWith('-raw') !== (compression === 'none') || m.image !== imageFileName(m.hash, compression)) return null;
  try {
    const now = await Promise.all(m.inputs.map((i) => statInput(i.path)));
    if (!m.inputs.every((was, k) => now[k] !== undefined && sameInput(now[k], was))) return null;
  } catch {
    return null;
  }
  // ~5 ms for the 5.5 MB image, and it leaves the file in the page cache for QEMU
  const image = await readSized(join(dir, m.image), m.bytes);
  return image !== null && sha256Hex(image) === m.imageSha256 ? m : null;
}

// Builds (or finds in the cache) the guest initramfs. A hit costs a few stat() calls and one
// sha256 of the image; a miss adopts a file already at the image's path only if it holds
// exactly the bytes just built, else writes them anew (temp file, fsync, rename), and writes
// the manifest only after that. Processes building at once each write whole files by rename,
// all with the same content, so whichever lands last is correct.
export async function buildGuestImage(opts: GuestImageOptions): Promise<GuestImage> {
  const started = performance.now();
  const compression = opts.compression ?? 'gzip';
  const dir = join(opts.cacheDir, 'guest-images');
  const tools = await findTools();
  const top = await Promise.all([tools.busybox, tools.netperf, tools.netserver].map(statInput));
  const key = sha256Hex(JSON.stringify([renderInit(), compression, top])).slice(0, 32);
  const manifestPath = join(dir, `${key}.manifest.json`);
  const hit = await readValidManifest(manifestPath, dir, compression);
  if (hit) return { path: join(dir, hit.image), hash: hit.hash, cached: true, buildMs: performance.now() - started, bytes: hit.bytes };

  const { entries, inputs } = await collectGuestImageEntries();
  const archive = writeCpioNewc(entries);
  const hash = sha256Hex(archive) + (compression === 'gzip' ? '' : '-raw');
  const image = imageFileName(hash, compression);
  const path = join(dir, image);
  // level 1: fast to write; whether to compress at all is the caller's choice (see ImageCompression)
  const data = compression === 'gzip' ? gzipSync(archive, { level: 1 }) : archive;
  const existing = await readSized(path, data.length);
  const cached = existing !== null && existing.equals(data);
  if (!cached) await writeFileAtomic(path, data);
  const manifest: Manifest = { schema: 2, image, hash, bytes: data.length, imageSha256: sha256Hex(data), inputs: await Promise.all(inputs.map(statInput)) };
  await writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return { path, hash, cached, buildMs: performance.now() - started, bytes: data.length };
}
