import { describe, expect, it } from 'vitest';
import { parseLddOutput } from '../../../src/adapters/guest/libs.ts';
import { notesHavePvhEntry } from '../../../src/adapters/guest/pvh.ts';

describe('parseLddOutput', () => {
  it('reads the libraries and the loader of several executables (recorded on Debian 12)', () => {
    const out = [
      '/usr/bin/netperf:',
      '\tlinux-vdso.so.1 (0x00007f0e74b4a000)',
      '\tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007f0e74a15000)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0e74833000)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f0e74b4c000)',
      '/usr/bin/netserver:',
      '\tlinux-vdso.so.1 (0x00007faf80d42000)',
      '\tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007faf80c09000)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007faf80a27000)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007faf80d44000)',
    ].join('\n');
    expect(parseLddOutput(out)).toEqual({
      libraries: ['/lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libm.so.6', '/lib64/ld-linux-x86-64.so.2'],
      missing: [],
    });
  });

  it('reports libraries that are not found', () => {
    expect(parseLddOutput('\tlibsctp.so.1 => not found\n').missing).toEqual(['libsctp.so.1']);
  });
});

describe('notesHavePvhEntry', () => {
  function note(name: string, type: number, desc: number[]): Buffer {
    const nameBytes = Buffer.from(`${name}\0`);
    const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
    const head = Buffer.alloc(12);
    head.writeUInt32LE(nameBytes.length, 0);
    head.writeUInt32LE(desc.length, 4);
    head.writeUInt32LE(type, 8);
    return Buffer.concat([head, pad(nameBytes), pad(Buffer.from(desc))]);
  }

  it('finds the Xen PHYS32_ENTRY note among others', () => {
    expect(notesHavePvhEntry(Buffer.concat([note('GNU', 3, [1, 2, 3, 4]), note('Xen', 18, [0, 0, 0x10, 0])]))).toBe(true);
    expect(notesHavePvhEntry(Buffer.concat([note('GNU', 3, [1, 2, 3, 4]), note('Xen', 6, [1])]))).toBe(false);
  });
});
