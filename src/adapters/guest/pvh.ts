// Whether an uncompressed vmlinux can be booted directly (PVH): the kernel
// built with CONFIG_PVH carries a Xen ELF note XEN_ELFNOTE_PHYS32_ENTRY, which
// QEMU's -kernel uses to skip the bzImage decompressor (measured faster).
import { open } from 'node:fs/promises';
import { PT_NOTE, readProgramHeaders } from '../elf.ts';

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
    for (const h of (await readProgramHeaders(fh)) ?? []) {
      if (h.type !== PT_NOTE || h.fileSize <= 0 || h.fileSize > 1 << 20) continue;
      const notes = Buffer.alloc(h.fileSize);
      await fh.read(notes, 0, h.fileSize, h.offset);
      if (notesHavePvhEntry(notes)) return true;
    }
    return false;
  } finally {
    await fh.close();
  }
}
