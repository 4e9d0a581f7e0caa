// Minimal ELF reading: enough to tell a static binary from a dynamic one
// (the guest needs a static busybox) without running `file` or `ldd`.
import { open } from 'node:fs/promises';

const PT_INTERP = 3;

// True when the ELF file has no program interpreter (statically linked), null when it is not ELF64 LE.
export async function isStaticElf(path: string): Promise<boolean | null> {
  const fh = await open(path, 'r');
  try {
    const header = Buffer.alloc(64);
    await fh.read(header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return null;
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const table = Buffer.alloc(phentsize * phnum);
    await fh.read(table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) {
      if (table.readUInt32LE(i * phentsize) === PT_INTERP) return false;
    }
    return true;
  } finally {
    await fh.close();
  }
}
