// The bundle's ustar reader against what a hostile or damaged archive can
// hold: every case is refused with a message that names it; what kbisect
// writes reads back byte for byte, and GNU tar lists it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkMemberName, decodeTar, encodeTar, type TarLimits } from '../../../src/core/bundle/tar.ts';
import { UserError } from '../../../src/core/errors.ts';
import { rawTar, type RawEntry } from '../../helpers/raw-tar.ts';

const limits: TarLimits = { maxMembers: 8, maxMemberBytes: 4096, maxTotalBytes: 8192 };
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (bytes: Uint8Array, l: TarLimits = limits) => decodeTar(bytes, l, 'b.tar.gz', 'hint');

function refusal(bytes: Uint8Array, l: TarLimits = limits): string {
  try {
    decode(bytes, l);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).hint).toBe('hint');
    return (error as UserError).message;
  }
  throw new Error('the archive was accepted');
}

describe('encodeTar / decodeTar', () => {
  it('reads back what it writes: names, bytes, order; empty and block-sized members; a long name split into prefix', () => {
    const long = `kernels/${'a'.repeat(64)}/${'c'.repeat(60)}`;
    const members = [
      { name: 'manifest.json', data: text('{}\n') },
      { name: 'empty', data: new Uint8Array(0) },
      { name: 'block', data: new Uint8Array(512).fill(7) },
      { name: long, data: text('CONFIG_X=y\n') },
    ];
    const tar = encodeTar(members, 1_700_000_000);
    expect(tar.length % 10240).toBe(0);
    expect(decode(tar).map((m) => [m.name, [...m.data]])).toEqual(members.map((m) => [m.name, [...m.data]]));
  });

  it('writes an archive GNU tar lists, with the same names and sizes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kbisect-tar-'));
    try {
      const file = join(dir, 'a.tar');
      writeFileSync(file, encodeTar([{ name: 'session.json', data: text('{"a":1}\n') }, { name: 'kernels/x/config', data: text('CONFIG_Y=y\n') }], 0));
      expect(execFileSync('tar', ['-tvf', file], { encoding: 'utf8' })).toMatch(/-rw-r--r-- kbisect\/kbisect\s+8 .* session\.json\n.*11 .* kernels\/x\/config/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to write a name it would refuse to read', () => {
    expect(() => encodeTar([{ name: '../x', data: text('') }], 0)).toThrow(/refusing to write member "..\/x"/);
    expect(() => encodeTar([{ name: 'a', data: text('') }, { name: 'a', data: text('') }], 0)).toThrow(/given twice/);
  });
});

describe('checkMemberName', () => {
  it.each([
    ['session.json', null],
    ['kernels/0f/config', null],
    ['../x', /climbs out/],
    ['a/../../x', /climbs out/],
    ['/etc/passwd', /absolute path/],
    ['', /empty name/],
    ['a\\b', /backslash/],
    ['a\0b', /NUL/],
    ['./x', /hidden path component/],
    ['.hidden', /hidden path component/],
    ['a//b', /empty or hidden path component/],
    ['dir/', /trailing/],
    ['na me', /characters outside/],
    ['x'.repeat(300), /300 characters/],
  ])('%j', (name, expected) => {
    const got = checkMemberName(name);
    if (expected === null) expect(got).toBeNull();
    else expect(got).toMatch(expected);
  });
});

const ok: RawEntry = { name: 'session.json', data: '{}\n' };

describe('decodeTar refuses hostile and damaged archives', () => {
  it.each<[string, Uint8Array, RegExp]>([
    ['a path that climbs out', rawTar([ok, { name: '../x', data: 'owned' }]), /member "..\/x" has a path that climbs out of the archive/],
    ['an absolute name', rawTar([{ name: '/etc/cron.d/x', data: '* * * * * root sh' }]), /member "\/etc\/cron.d\/x" has an absolute path/],
    ['a climbing prefix', rawTar([{ name: 'x', prefix: '..', data: '' }]), /member "..\/x" has a path that climbs out/],
    ['a symlink', rawTar([{ name: 'link', type: '2', linkname: '/etc/passwd' }]), /member "link" is a symbolic link; a bundle holds only regular files/],
    ['a hard link', rawTar([ok, { name: 'h', type: '1', linkname: 'session.json' }]), /member "h" is a hard link/],
    ['a character device', rawTar([{ name: 'null', type: '3' }]), /member "null" is a character device/],
    ['a block device', rawTar([{ name: 'sda', type: '4' }]), /member "sda" is a block device/],
    ['a FIFO', rawTar([{ name: 'p', type: '6' }]), /member "p" is a FIFO/],
    ['a directory', rawTar([{ name: 'kernels', type: '5' }]), /member "kernels" is a directory/],
    ['a pax header', rawTar([{ name: 'PaxHeader', type: 'x', data: '30 path=../../../../etc/passwd\n' }]), /is a pax extended header/],
    ['a GNU long name', rawTar([{ name: '././@LongLink', type: 'L', data: '../../x' }]), /is a GNU long name/],
    ['a regular file with a link name', rawTar([{ name: 'a', linkname: 'b' }]), /member a: a regular file with a link name/],
    ['a duplicate name', rawTar([ok, { name: 'session.json', data: '{"evil":1}' }]), /member session.json appears twice/],
    ['a member over its cap', rawTar([{ name: 'big', data: new Uint8Array(4097) }]), /member big is 4097 bytes, more than the 4096 bytes one member may hold/],
    ['a size field that lies (1 GiB)', rawTar([{ name: 'bomb', size: 1 << 30 }]), /member bomb is 1024\.0 MiB, more than/],
    ['members over the total cap', rawTar([1, 2, 3].map((i) => ({ name: `m${i}`, data: new Uint8Array(3000) }))), /more than 8192 bytes in all/],
    ['too many members', rawTar(Array.from({ length: 9 }, (_, i) => ({ name: `m${i}` }))), /expected at most 8 members/],
    ['a wrong header checksum', rawTar([{ ...ok, badChecksum: true }]), /member 1: its header checksum is wrong/],
    ['no end-of-archive marker', rawTar([ok], { end: false }), /cut short after 1 member\(s\) \(no end-of-archive marker\)/],
    ['data cut short', rawTar([{ name: 'a', size: 2000, data: 'x' }], { end: false }), /cut short inside member a/],
  ])('%s', (_what, bytes, message) => {
    expect(refusal(bytes)).toMatch(message);
  });

  it('a single end block, data after the end, bytes hidden in padding, base-256 sizes, not-UTF-8 names, other dialects', () => {
    const good = rawTar([ok]);
    expect(refusal(good.subarray(0, good.length - 512))).toMatch(/cut short inside its end-of-archive marker/);
    const trailing = new Uint8Array(good.length + 512);
    trailing.set(good);
    trailing[good.length + 10] = 1;
    expect(refusal(trailing)).toMatch(/expected only zero padding after the end-of-archive marker, got data/);
    const padded = rawTar([ok]);
    padded[512 + 100] = 0x41;
    expect(refusal(padded)).toMatch(/member session.json: bytes hidden in its padding/);
    const nonUtf8 = rawTar([{ name: 'x' }]);
    nonUtf8[1] = 0xff;
    expect(refusal(fixChecksum(nonUtf8))).toMatch(/its name is not valid UTF-8/);
    const base256 = rawTar([ok]);
    base256[124] = 0x80;
    expect(refusal(fixChecksum(base256))).toMatch(/size field is not an octal number/);
    const v7 = rawTar([ok]);
    v7.fill(0, 257, 265);
    expect(refusal(fixChecksum(v7))).toMatch(/expected a ustar header, got another tar dialect/);
    expect(refusal(new Uint8Array(100))).toMatch(/cut short after 0 member/);
  });
});

// Recomputes the checksum of the first header after a test edited it.
function fixChecksum(tar: Uint8Array): Uint8Array {
  const h = tar.subarray(0, 512);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
  return tar;
}
