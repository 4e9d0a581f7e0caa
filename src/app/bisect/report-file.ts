// Report files the user asked for (--html FILE): the path is checked before
// any work starts, and a failure to write it after the work is a clear error,
// never a lost result (the result is printed first).
import { access, constants, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { writeFileAtomic } from '../../adapters/store.ts';

// Throws a UserError unless a file can be written at `path`.
export async function checkOutputPath(path: string, option: string): Promise<void> {
  const full = resolve(path);
  const dir = dirname(full);
  const info = await stat(dir).catch(() => null);
  if (info === null) throw new UserError(`${option} ${path}: expected a file in an existing directory, got a directory that does not exist (${dir})`, `create it first: mkdir -p ${dir}`);
  if (!info.isDirectory()) throw new UserError(`${option} ${path}: ${dir} is not a directory`, 'give a path inside a directory');
  const target = await stat(full).catch(() => null);
  if (target?.isDirectory()) throw new UserError(`${option} ${path}: expected a file name, got a directory`, `e.g. ${option} ${path.replace(/\/$/, '')}/report.html`);
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw new UserError(`${option} ${path}: the directory ${dir} is not writable by this user`, 'choose another path');
  }
}

// Writes a report file; any failure is a UserError naming the option and the path.
export async function writeOutputFile(path: string, option: string, content: string): Promise<void> {
  try {
    await writeFileAtomic(resolve(path), content);
  } catch (error) {
    throw new UserError(`${option} ${path}: could not write the file: ${(error as Error).message}`, 'the result above is complete; choose another path and run `kbisect report --html FILE`');
  }
}
