import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parentDirs, writeCpioNewc, type CpioEntry } from '../../../src/adapters/guest/cpio.ts';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const entries: CpioEntry[] = [
  { kind: 'dir', path: 'bin' },
  { kind: 'dir', path: 'dev' },
  { kind: 'chardev', path: 'dev/console', mode: 0o600, major: 5, minor: 1 },
  { kind: 'file', path: 'init', mode: 0o755, data: text('#!/bin/sh\necho hi\n') },
  { kind: 'file', path: 'bin/odd', data: text('abcde') },
  { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
];

describe('writeCpioNewc', () => {
  const archive = writeCpioNewc(entries);
  const ascii = new TextDecoder('latin1').decode(archive);

  it('writes newc headers, 4-byte alignment and the trailer', () => {
    expect(ascii.startsWith('070701')).toBe(true);
    expect(archive.length % 4).toBe(0);
    expect(ascii).toContain('TRAILER!!!\0');
    // the first header: ino 1, a directory 040755, uid/gid 0, nlink 2, mtime 0
    expect(ascii.slice(0, 6 + 8 * 6)).toBe('070701' + '00000001' + '000041ed' + '00000000' + '00000000' + '00000002' + '00000000');
  });

  it('is deterministic', () => {
    expect(writeCpioNewc(entries)).toEqual(archive);
  });

  it('rejects paths that escape the archive', () => {
    expect(() => writeCpioNewc([{ kind: 'dir', path: '../etc' }])).toThrow(/bad entry path/);
  });

  it('is read back by GNU cpio with modes, device numbers and link targets intact', () => {
    const dir = makeTempDir('cpio');
    try {
      const listing = execFileSync('cpio', ['-t', '-v', '--quiet'], { input: archive }).toString();
      expect(listing).toMatch(/crw-------\s+1 root\s+root\s+5,\s+1 .* dev\/console/);
      execFileSync('cpio', ['-i', '-d', '--quiet', '--no-absolute-filenames', '--nonmatching', 'dev/console'], { cwd: dir, input: archive });
      expect(readFileSync(join(dir, 'init'), 'utf8')).toBe('#!/bin/sh\necho hi\n');
      expect(statSync(join(dir, 'init')).mode & 0o777).toBe(0o755);
      expect(readFileSync(join(dir, 'bin/odd'), 'utf8')).toBe('abcde');
      expect(readlinkSync(join(dir, 'bin/sh'))).toBe('busybox');
    } finally {
      removeTempDir(dir);
    }
  });
});

describe('parentDirs', () => {
  it('lists every parent, shallowest first', () => {
    expect(parentDirs(['lib/x86_64-linux-gnu/libc.so.6', 'lib64/ld.so', 'init'])).toEqual(['lib', 'lib64', 'lib/x86_64-linux-gnu']);
  });
});
