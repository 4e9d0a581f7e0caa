// Results on disk: append-only JSONL that is fsync'd record by record (a crash
// loses nothing already appended), and atomic whole-file writes (temp file,
// fsync, rename) for state that is replaced.
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

// Appends one record as a line and fsyncs it before returning.
export async function appendJsonl(path: string, record: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const fh = await open(path, 'a');
  try {
    await fh.write(`${JSON.stringify(record)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export interface JsonlContents<T> {
  records: T[];
  // a last line cut short by a crash mid-write: reported, never parsed
  truncatedTail: string | null;
}

// Reads every complete record; a torn last line (crash during append) is set aside, not fatal.
export async function readJsonl<T = unknown>(path: string): Promise<JsonlContents<T>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], truncatedTail: null };
    throw error;
  }
  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  const records: T[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      records.push(JSON.parse(line) as T);
    } catch {
      throw new Error(`${path}:${i + 1}: not a JSON record: ${line.slice(0, 80)}`);
    }
  });
  return { records, truncatedTail: last.trim() === '' ? null : last };
}

// Replaces a file so that readers see the old or the new content, never a mix.
export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
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
