// Minimal ELF reading: the program headers of an x86-64 ELF file, enough to
// tell a static binary from a dynamic one (the guest needs a static busybox)
// and to find a vmlinux's notes, without running `file` or `ldd`.
import { open, type FileHandle } from 'node:fs/promises';

export const PT_INTERP = 3;
export const PT_NOTE = 4;

export interface ProgramHeader {
  type: number;
  offset: number;
  fileSize: number;
}

// The program headers of an open ELF64 little-endian file, or null when it is not one.
export async function readProgramHeaders(fh: FileHandle): Promise<ProgramHeader[] | null> {
  const header = Buffer.alloc(64);
  await fh.read(header, 0, 64, 0);
  if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return null;
  const phoff = Number(header.readBigUInt64LE(0x20));
  const phentsize = header.readUInt16LE(0x36);
  const phnum = header.readUInt16LE(0x38);
  const table = Buffer.alloc(phentsize * phnum);
  await fh.read(table, 0, table.length, phoff);
  return Array.from({ length: phnum }, (_, i) => ({
    type: table.readUInt32LE(i * phentsize),
    offset: Number(table.readBigUInt64LE(i * phentsize + 8)),
    fileSize: Number(table.readBigUInt64LE(i * phentsize + 32)),
  }));
}

// True when the ELF file has no program interpreter (statically linked), null when it is not ELF64 LE.
export async function isStaticElf(path: string): Promise<boolean | null> {
  const fh = await open(path, 'r');
  try {
    const headers = await readProgramHeaders(fh);
    return headers === null ? null : !headers.some((h) => h.type === PT_INTERP);
  } finally {
    await fh.close();
  }
}
