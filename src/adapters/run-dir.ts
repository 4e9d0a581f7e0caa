// A run's private scratch directory (QMP sockets), named after its network
// namespace so `doctor --cleanup` can find the ones crashed runs left behind.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerUndo } from './cleanup.ts';
import { NETNS_PREFIX } from './net.ts';

export interface RunDir {
  path: string;
  remove(): Promise<void>;
}

// Creates /tmp/<ns>-XXXXXX, removed on remove(), exit, error and Ctrl-C.
export async function createRunDir(ns: string): Promise<RunDir> {
  const path = await mkdtemp(join(tmpdir(), `${ns}-`));
  const remove = registerUndo(`run directory ${path}`, () => rm(path, { recursive: true, force: true }));
  return { path, remove };
}

// mkdtemp's six characters after the namespace name; nothing else in /tmp matches
const RUN_DIR_RE = new RegExp(`^${NETNS_PREFIX}\\d+-[0-9a-f]+-[A-Za-z0-9]{6}$`);

// Run directories of any kbisect run on this host (exactly the names createRunDir makes).
export async function listRunDirs(): Promise<string[]> {
  try {
    return (await readdir(tmpdir())).filter((n) => RUN_DIR_RE.test(n)).map((n) => join(tmpdir(), n));
  } catch {
    return [];
  }
}

export async function removeRunDir(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}
