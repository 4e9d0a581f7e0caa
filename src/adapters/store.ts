// Results on disk: append-only JSONL that is fsync'd record by record (a crash
// loses nothing already appended), and atomic whole-file writes (temp file,
// fsync, rename) for state that is replaced.
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import { UserError } from '../core/errors.ts';

// Appends one record as a line and fsyncs it before returning. A last line
// torn by a crash (no newline) is first cut off and kept aside, so that the
// new record never glues onto a fragment; `tornTail` says where it went.
export async function appendJsonl(path: string, record: unknown): Promise<{ tornTail: TornTail | null }> {
  await mkdir(dirname(path), { recursive: true });
  const tornTail = await cutTornTail(path);
  const fh = await open(path, 'a');
  try {
    await fh.write(`${JSON.stringify(record)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return { tornTail };
}

export interface TornTail {
  bytes: number;
  // where the fragment was saved
  savedAs: string;
}

// Cuts an unterminated last line off a JSONL file (saving it beside the file); null if there was none.
export async function cutTornTail(path: string): Promise<TornTail | null> {
  let fh;
  try {
    fh = await open(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const { size } = await fh.stat();
    if (size === 0) return null;
    const last = Buffer.alloc(1);
    await fh.read(last, 0, 1, size - 1);
    if (last[0] === 0x0a) return null;
    // find the last newline, reading backwards a block at a time
    let end = size;
    let keep = 0;
    const block = Buffer.alloc(64 * 1024);
    while (end > 0) {
      const start = Math.max(0, end - block.length);
      const { bytesRead } = await fh.read(block, 0, end - start, start);
      const nl = block.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (nl >= 0) {
        keep = start + nl + 1;
        break;
      }
      end = start;
    }
    const fragment = Buffer.alloc(size - keep);
    await fh.read(fragment, 0, fragment.length, keep);
    const savedAs = `${path}.torn-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await writeFileAtomic(savedAs, fragment);
    await fh.truncate(keep);
    await fh.sync();
    return { bytes: fragment.length, savedAs };
  } finally {
    await fh.close();
  }
}

export interface JsonlContents {
  // every complete line, parsed, with its line number
  records: { line: number; value: unknown }[];
  // a last line cut short by a crash mid-write: reported, never parsed
  truncatedTail: string | null;
}

// Reads every complete record; a torn last line (crash during append) is set
// aside, not fatal; a damaged line in the middle is a UserError naming it.
export async function readJsonl(path: string, hintOnDamage = `fix or remove that line of ${path}`): Promise<JsonlContents> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], truncatedTail: null };
    throw error;
  }
  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  const records: JsonlContents['records'] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      records.push({ line: i + 1, value: JSON.parse(line) as unknown });
    } catch {
      throw new UserError(`${path}:${i + 1}: expected a JSON record, got ${JSON.stringify(line.slice(0, 60))}${line.length > 60 ? '...' : ''}`, hintOnDamage);
    }
  });
  return { records, truncatedTail: last.trim() === '' ? null : last };
}

// Replaces a file so that readers see the old or the new content, never a mix.
export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomUUID()}`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(content);
    await fh.sync();
  } catch (error) {
    await fh.close();
    await rm(tmp, { force: true });
    throw error;
  }
  await fh.close();
  await rename(tmp, path);
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

// True when something exists at `path` (any kind, following symlinks).
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
