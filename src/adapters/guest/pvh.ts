// Whether an uncompressed vmlinux can be booted directly (PVH): the kernel
// built with CONFIG_PVH carries a Xen ELF note XEN_ELFNOTE_PHYS32_ENTRY, which
// QEMU's -kernel uses to skip the bzImage decompressor (measured faster).
import { open } from 'node:fs/promises';

const PT_NOTE = 4;
const XEN_ELFNOTE_PHYS32_ENTRY = 18;

function align4(n: number): number {
  return (n + 3) & ~3;
}

// Scans an ELF note area for (name "Xen", type 18).
export function notesHavePvhEntry(notes: Buffer): boolean {
  let off = 0;
  while (off + 12 <= notes.length) {
    const namesz = notes.readUInt32LE(off);
    const descsz = notes.readUInt32LE(off + 4);
    const type = notes.readUInt32LE(off + 8);
    const name = notes.subarray(off + 12, off + 12 + namesz).toString('latin1').replace(/\0+$/, '');
    if (name === 'Xen' && type === XEN_ELFNOTE_PHYS32_ENTRY) return true;
    off += 12 + align4(namesz) + align4(descsz);
  }
  return false;
}

// True when `path` is an x86-64 ELF vmlinux with a PVH entry point; false for anything else.
export async function hasPvhEntry(path: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return false;
  }
  try {
    const header = Buffer.alloc(64);
    await fh.read(header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return false;
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const table = Buffer.alloc(phentsize * phnum);
    await fh.read(table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) {
      const base = i * phentsize;
      if (table.readUInt32LE(base) !== PT_NOTE) continue;
      const offset = Number(table.readBigUInt64LE(base + 8));
      const size = Number(table.readBigUInt64LE(base + 32));
      if (size <= 0 || size > 1 << 20) continue;
      const notes = Buffer.alloc(size);
      await fh.read(notes, 0, size, offset);
      if (notesHavePvhEntry(notes)) return true;
    }
    return false;
  } finally {
    await fh.close();
  }
}
