// A minimal ustar (POSIX.1-1988 tar) writer and a strict reader, in memory,
// for evidence bundles only. Hand-written rather than the `tar` package
// (isaacs/node-tar) on purpose: a bundle may come from anyone, and what we
// need from hostile input is *refusal*, not careful extraction. node-tar is
// built to extract to disk (its defences strip `..` and absolute prefixes,
// follow its own symlink rules, and warn and go on), it understands pax, GNU
// long names and sparse files we never write, and it would be one more
// dependency in the single executable. Here the whole format we accept is the
// ~150 lines below: regular files with portable names, nothing else; every
// header checksum, size, padding byte and the end marker checked; caps on the
// member count, each member's size and the total. Nothing touches a disk.
// Format: IEEE Std 1003.1-1988 "ustar Interchange Format" (also POSIX.1-2001
// pax, section "ustar Interchange Format", for the field layout).
import { UserError } from '../errors.ts';

export interface TarMember {
  readonly name: string;
  readonly data: Uint8Array;
}

export interface TarLimits {
  // members in one archive
  readonly maxMembers: number;
  // bytes of one member's data
  readonly maxMemberBytes: number;
  // bytes of all members' data together
  readonly maxTotalBytes: number;
}

const BLOCK = 512;
// GNU and BSD tar write archives in records of 20 blocks; readers accept shorter ones, we pad for them
const RECORD = 20 * BLOCK;
const NAME_MAX = 100;
const PREFIX_MAX = 155;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

// The member names a bundle may hold: relative, '/'-separated, each part
// made of letters, digits, '.', '_' and '-', never starting with '.'.
const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

// Why a member name is unacceptable, or null when it is fine (also used by the writer on its own names).
export function checkMemberName(name: string): string | null {
  if (name === '') return 'an empty name';
  if (name.length > NAME_MAX + 1 + PREFIX_MAX) return `a name of ${name.length} characters (at most ${NAME_MAX + 1 + PREFIX_MAX})`;
  if (name.startsWith('/')) return 'an absolute path';
  if (name.split('/').includes('..')) return 'a path that climbs out of the archive (..)';
  if (name.includes('\\')) return 'a backslash in the name';
  if (name.includes('\0')) return 'a NUL byte in the name';
  if (!SAFE_NAME.test(name)) return 'characters outside [A-Za-z0-9._-/], an empty or hidden path component, or a trailing /';
  return null;
}

function writeText(header: Uint8Array, offset: number, length: number, text: string): void {
  const bytes = encoder.encode(text);
  if (bytes.length > length) throw new RangeError(`tar field of ${length} bytes cannot hold ${JSON.stringify(text)}`);
  header.set(bytes, offset);
}

function writeOctal(header: Uint8Array, offset: number, length: number, value: number): void {
  // length-1 octal digits and a NUL, as ustar wants
  const digits = value.toString(8).padStart(length - 1, '0');
  if (digits.length > length - 1) throw new RangeError(`${value} does not fit a ${length}-byte tar field`);
  writeText(header, offset, length, `${digits}\0`);
}

function checksumOf(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] as number);
  return sum;
}

function splitName(name: string): { prefix: string; name: string } {
  if (encoder.encode(name).length <= NAME_MAX) return { prefix: '', name };
  // ustar keeps long paths as prefix '/' name, split at a slash
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (encoder.encode(prefix).length <= PREFIX_MAX && encoder.encode(rest).length <= NAME_MAX) return { prefix, name: rest };
  }
  throw new RangeError(`tar: the name ${JSON.stringify(name)} cannot be stored in a ustar header`);
}

function encodeHeader(name: string, size: number, mtimeS: number): Uint8Array {
  const header = new Uint8Array(BLOCK);
  const parts = splitName(name);
  writeText(header, 0, NAME_MAX, parts.name);
  writeOctal(header, 100, 8, 0o644);
  writeOctal(header, 108, 8, 0);
  writeOctal(header, 116, 8, 0);
  writeOctal(header, 124, 12, size);
  writeOctal(header, 136, 12, mtimeS);
  header[156] = 0x30; // '0': a regular file
  writeText(header, 257, 6, 'ustar\0');
  writeText(header, 263, 2, '00');
  writeText(header, 265, 32, 'kbisect');
  writeText(header, 297, 32, 'kbisect');
  writeText(header, 345, PREFIX_MAX, parts.prefix);
  writeText(header, 148, 8, `${checksumOf(header).toString(8).padStart(6, '0')}\0 `);
  return header;
}

// Packs regular files into a ustar archive (mode 0644, owner 0, the given mtime).
export function encodeTar(members: readonly TarMember[], mtimeS: number): Uint8Array {
  const seen = new Set<string>();
  for (const m of members) {
    const problem = checkMemberName(m.name);
    if (problem !== null) throw new RangeError(`tar: refusing to write member ${JSON.stringify(m.name)}: ${problem}`);
    if (seen.has(m.name)) throw new RangeError(`tar: member ${m.name} given twice`);
    seen.add(m.name);
  }
  let size = 0;
  for (const m of members) size += BLOCK + Math.ceil(m.data.length / BLOCK) * BLOCK;
  size = Math.ceil((size + 2 * BLOCK) / RECORD) * RECORD;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const m of members) {
    out.set(encodeHeader(m.name, m.data.length, Math.max(0, Math.floor(mtimeS))), offset);
    offset += BLOCK;
    out.set(m.data, offset);
    offset += Math.ceil(m.data.length / BLOCK) * BLOCK;
  }
  return out;
}

const TYPE_NAMES: Record<string, string> = {
  '1': 'a hard link',
  '2': 'a symbolic link',
  '3': 'a character device',
  '4': 'a block device',
  '5': 'a directory',
  '6': 'a FIFO',
  '7': 'a contiguous file',
  x: 'a pax extended header',
  g: 'a pax global header',
  L: 'a GNU long name',
  K: 'a GNU long link name',
  S: 'a GNU sparse file',
};

function isZero(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

// A NUL-terminated text field; bytes after the terminator must be NUL too (nothing hidden).
function readText(header: Uint8Array, offset: number, length: number): string | null {
  const field = header.subarray(offset, offset + length);
  const end = field.indexOf(0);
  const used = end < 0 ? field : field.subarray(0, end);
  if (end >= 0 && !isZero(field, end, length)) return null;
  try {
    return decoder.decode(used);
  } catch {
    return null;
  }
}

// An octal number field: optional leading spaces, octal digits, then NULs or spaces. Base-256 (GNU) is refused.
function readOctal(header: Uint8Array, offset: number, length: number): number | null {
  const field = header.subarray(offset, offset + length);
  if (((field[0] as number) & 0x80) !== 0) return null;
  let text = '';
  for (const b of field) text += String.fromCharCode(b);
  const m = /^ *([0-7]+)[ \0]*$/.exec(text);
  return m ? Number.parseInt(m[1] as string, 8) : null;
}

function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${n} bytes`;
}

// Reads an archive made only of regular files with safe, distinct names, within the limits; anything else is a UserError.
export function decodeTar(bytes: Uint8Array, limits: TarLimits, where: string, hint?: string): TarMember[] {
  function refuse(message: string): never {
    throw new UserError(`${where}: ${message}`, hint);
  }
  const members: TarMember[] = [];
  const names = new Set<string>();
  let total = 0;
  let offset = 0;
  for (;;) {
    if (offset + BLOCK > bytes.length) refuse(`the archive is cut short after ${members.length} member(s) (no end-of-archive marker)`);
    const header = bytes.subarray(offset, offset + BLOCK);
    if (isZero(header, 0, BLOCK)) {
      // the end: a second zero block, then nothing but zero padding
      if (offset + 2 * BLOCK > bytes.length) refuse('the archive is cut short inside its end-of-archive marker');
      if (!isZero(bytes, offset + BLOCK, bytes.length)) refuse('expected only zero padding after the end-of-archive marker, got data');
      return members;
    }
    const index = members.length + 1;
    const stored = readOctal(header, 148, 8);
    const computed = checksumOf(header);
    if (stored === null || stored !== computed) refuse(`member ${index}: its header checksum is wrong (expected ${computed.toString(8)}, got ${stored === null ? 'no number' : stored.toString(8)}): the archive is damaged or not a tar archive`);
    const magic = readText(header, 257, 6);
    const ustarVersion = `${String.fromCharCode(header[263] as number)}${String.fromCharCode(header[264] as number)}`;
    const posix = magic === 'ustar' && ustarVersion === '00';
    // GNU tar's "ustar  \0" (its default --format=gnu) has the same layout for plain files
    const gnu = String.fromCharCode(...header.subarray(257, 265)) === 'ustar  \0';
    if (!posix && !gnu) refuse(`member ${index}: expected a ustar header, got another tar dialect`);
    const rawName = readText(header, 0, NAME_MAX);
    const prefix = gnu ? '' : readText(header, 345, PREFIX_MAX);
    if (rawName === null || prefix === null) refuse(`member ${index}: its name is not valid UTF-8 text ending in NULs`);
    const name = prefix ? `${prefix}/${rawName}` : rawName;
    const type = String.fromCharCode(header[156] as number);
    if (type !== '0' && type !== '\0') {
      refuse(`member ${JSON.stringify(name)} is ${TYPE_NAMES[type] ?? `of tar type ${JSON.stringify(type)}`}; a bundle holds only regular files`);
    }
    const problem = checkMemberName(name);
    if (problem !== null) refuse(`member ${JSON.stringify(name)} has ${problem}; a bundle holds only plain relative names`);
    if (readText(header, 157, 100) !== '') refuse(`member ${name}: a regular file with a link name`);
    if (names.has(name)) refuse(`member ${name} appears twice; a bundle holds each name once`);
    if (members.length + 1 > limits.maxMembers) refuse(`expected at most ${limits.maxMembers} members, got more`);
    const size = readOctal(header, 124, 12);
    const n = size ?? refuse(`member ${name}: its size field is not an octal number`);
    if (n > limits.maxMemberBytes) refuse(`member ${name} is ${formatBytes(n)}, more than the ${formatBytes(limits.maxMemberBytes)} one member may hold`);
    total += n;
    if (total > limits.maxTotalBytes) refuse(`its members hold more than ${formatBytes(limits.maxTotalBytes)} in all`);
    const start = offset + BLOCK;
    const padded = Math.ceil(n / BLOCK) * BLOCK;
    if (start + padded > bytes.length) refuse(`the archive is cut short inside member ${name}`);
    if (!isZero(bytes, start + n, start + padded)) refuse(`member ${name}: bytes hidden in its padding`);
    members.push({ name, data: bytes.subarray(start, start + n) });
    names.add(name);
    offset = start + padded;
  }
}
