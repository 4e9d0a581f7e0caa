// Tar archives the way a hostile sender could make them: any name, type,
// size field or link, with a correct header checksum unless told otherwise.
// kbisect's own writer refuses to make these; tests need them.
export interface RawEntry {
  name: string;
  // ustar type flag: '0' file, '1' hard link, '2' symlink, '3' char device, '5' directory, 'x' pax...
  type?: string;
  data?: Uint8Array | string;
  // the size field, when it should lie about the data
  size?: number;
  linkname?: string;
  // the ustar prefix field (long names)
  prefix?: string;
  badChecksum?: boolean;
}

const BLOCK = 512;

function put(h: Uint8Array, offset: number, text: string): void {
  h.set(new TextEncoder().encode(text), offset);
}

function octal(h: Uint8Array, offset: number, length: number, value: number): void {
  put(h, offset, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

// One ustar header block.
export function rawHeader(e: RawEntry, dataLength: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  put(h, 0, e.name);
  octal(h, 100, 8, 0o644);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  octal(h, 124, 12, e.size ?? dataLength);
  octal(h, 136, 12, 0);
  put(h, 156, e.type ?? '0');
  put(h, 157, e.linkname ?? '');
  put(h, 257, 'ustar\0');
  put(h, 263, '00');
  put(h, 345, e.prefix ?? '');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] as number);
  put(h, 148, `${(sum + (e.badChecksum ? 1 : 0)).toString(8).padStart(6, '0')}\0 `);
  return h;
}

// A whole archive: headers, data padded to blocks, then the two zero blocks (unless `end` is false).
export function rawTar(entries: readonly RawEntry[], opts: { end?: boolean } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const data = typeof e.data === 'string' ? new TextEncoder().encode(e.data) : (e.data ?? new Uint8Array(0));
    parts.push(rawHeader(e, data.length));
    const padded = new Uint8Array(Math.ceil(data.length / BLOCK) * BLOCK);
    padded.set(data);
    parts.push(padded);
  }
  if (opts.end !== false) parts.push(new Uint8Array(2 * BLOCK));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
