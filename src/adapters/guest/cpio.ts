// A cpio "newc" archive writer (the format the kernel unpacks as an
// initramfs; see Documentation/driver-api/early-userspace/buffer-format.rst),
// so kbisect needs no external cpio. Pure: entries in, bytes out.

export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; mode?: number; data: Uint8Array }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'chardev'; path: string; mode?: number; major: number; minor: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const encoder = new TextEncoder();

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

function header(fields: {
  ino: number;
  mode: number;
  nlink: number;
  size: number;
  rdevMajor: number;
  rdevMinor: number;
  nameSize: number;
}): string {
  // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
  return (
    '070701' +
    [fields.ino, fields.mode, 0, 0, fields.nlink, 0, fields.size, 0, 0, fields.rdevMajor, fields.rdevMinor, fields.nameSize, 0]
      .map(hex8)
      .join('')
  );
}

// Serializes entries in the given order (parents before children), owner 0:0, mtime 0,
// so the same entries always give the same bytes.
export function writeCpioNewc(entries: readonly CpioEntry[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const push = (bytes: Uint8Array): void => {
    chunks.push(bytes);
    total += bytes.length;
  };
  const zeros = (n: number): void => {
    if (n > 0) push(new Uint8Array(n));
  };
  const record = (name: string, mode: number, data: Uint8Array, ino: number, rdev: [number, number] = [0, 0]): void => {
    const nameBytes = encoder.encode(`${name}\0`);
    const head = encoder.encode(
      header({ ino, mode, nlink: (mode & 0o170000) === S_IFDIR ? 2 : 1, size: data.length, rdevMajor: rdev[0], rdevMinor: rdev[1], nameSize: nameBytes.length }),
    );
    push(head);
    push(nameBytes);
    zeros(pad4(head.length + nameBytes.length));
    if (data.length > 0) {
      push(data);
      zeros(pad4(data.length));
    }
  };
  let ino = 1;
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, '');
    if (name === '' || name.split('/').includes('..')) throw new Error(`cpio: bad entry path ${JSON.stringify(e.path)}`);
    switch (e.kind) {
      case 'dir':
        record(name, S_IFDIR | (e.mode ?? 0o755), new Uint8Array(0), ino++);
        break;
      case 'file':
        record(name, S_IFREG | (e.mode ?? 0o644), e.data, ino++);
        break;
      case 'symlink':
        record(name, S_IFLNK | 0o777, encoder.encode(e.target), ino++);
        break;
      case 'chardev':
        record(name, S_IFCHR | (e.mode ?? 0o600), new Uint8Array(0), ino++, [e.major, e.minor]);
        break;
    }
  }
  record('TRAILER!!!', 0, new Uint8Array(0), 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

// Every parent directory of the given paths, shallowest first ("a", "a/b" for "a/b/c").
export function parentDirs(paths: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const p of paths) {
    const parts = p.replace(/^\/+/, '').split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [...dirs].sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : a > b ? 1 : 0));
}
