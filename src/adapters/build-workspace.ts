// Build slots on disk: per repository, slot k = a private worktree (src), its
// O= dir (out, reused across commits so a step rebuilds only what changed), a
// small O= dir for generating configs, and a lock so that two kbisect
// processes never share a slot. All slots of all repositories live below one
// directory, which is ccache's base dir: "../src/..." reads the same from every
// slot's O= dir, so every slot hits the same ccache entries.
import { mkdir, open, readdir, readFile, realpath, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../core/errors.ts';
import { registerCleanup } from './cleanup.ts';
import { sha256Hex } from './digest.ts';
import { cacheDir } from './paths.ts';
import { writeFileAtomic } from './store.ts';
import { isAlive } from './process.ts';

export interface SlotPaths {
  slot: number;
  root: string;
  src: string;
  out: string;
  config: string;
  state: string;
  lock: string;
  log: string;
  ccacheStatsLog: string;
}

export interface SlotState {
  repo: string;
  sha: string;
  configHash: string;
  toolchainId: string;
  // objects compiled by the last build that started from an empty O= dir
  fullObjects: number | null;
  builtAt: string;
}

export interface WorkspaceRecord {
  repo: string;
  gitCommonDir: string;
}

// Resolved, because the kernel's Makefile resolves its paths too and ccache
// only rewrites paths that start with its base dir as written.
export async function workRoot(): Promise<string> {
  const dir = join(cacheDir(), 'work');
  await mkdir(dir, { recursive: true });
  return realpath(dir);
}

// One directory per repository, named after it and its git dir.
export async function repoWorkDir(repo: string, gitCommonDir: string): Promise<string> {
  const name = basename(gitCommonDir) === '.git' ? basename(dirname(gitCommonDir)) : basename(gitCommonDir).replace(/\.git$/, '');
  const dir = join(await workRoot(), `${name.replace(/[^\w.-]/g, '_')}-${sha256Hex(gitCommonDir).slice(0, 10)}`);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, 'repo.json'), `${JSON.stringify({ repo, gitCommonDir } satisfies WorkspaceRecord)}\n`);
  return dir;
}

// Where slot k of a work dir keeps its worktree, O= dirs, state and lock.
export function slotPaths(workDir: string, slot: number): SlotPaths {
  const root = join(workDir, `slot-${slot}`);
  return {
    slot,
    root,
    src: join(root, 'src'),
    out: join(root, 'out'),
    config: join(root, 'config'),
    state: join(root, 'state.json'),
    lock: join(root, 'lock'),
    log: join(root, 'build.log'),
    ccacheStatsLog: join(root, 'ccache-stats.log'),
  };
}


// Takes the slot's lock (a file holding our pid; a dead owner's lock is taken
// over). Returns the function that releases it.
export async function lockSlot(paths: SlotPaths): Promise<() => Promise<void>> {
  await mkdir(paths.root, { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(paths.lock, 'wx');
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      const unregister = registerCleanup(`build slot lock ${paths.lock}`, () => rm(paths.lock, { force: true }));
      return async () => {
        unregister();
        await rm(paths.lock, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(paths.lock, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new UserError(
          `build slot ${paths.slot} (${paths.root}) is in use by process ${owner}`,
          'wait for that kbisect to finish, or build on another slot (--slot N)',
        );
      }
      if (owner === process.pid) {
        throw new UserError(`build slot ${paths.slot} is already building in this process`, 'use a build pool, which hands out free slots');
      }
      await rm(paths.lock, { force: true });
    }
  }
  throw new UserError(`could not lock build slot ${paths.slot} (${paths.lock})`, 'remove the lock file if no kbisect is running');
}

// What the slot built last (commit, config, object count), or null for a new slot.
export async function readSlotState(paths: SlotPaths): Promise<SlotState | null> {
  try {
    return JSON.parse(await readFile(paths.state, 'utf8')) as SlotState;
  } catch {
    return null;
  }
}

// Records what the slot built, atomically (a crash leaves the old state).
export async function writeSlotState(paths: SlotPaths, state: SlotState): Promise<void> {
  await writeFileAtomic(paths.state, `${JSON.stringify(state, null, 2)}\n`);
}

// Slot states of every slot of a repository (for progress estimates).
export async function readAllSlotStates(workDir: string): Promise<SlotState[]> {
  let names: string[];
  try {
    names = await readdir(workDir);
  } catch {
    return [];
  }
  const states: SlotState[] = [];
  for (const name of names) {
    const m = /^slot-(\d+)$/.exec(name);
    if (!m?.[1]) continue;
    const state = await readSlotState(slotPaths(workDir, Number(m[1])));
    if (state) states.push(state);
  }
  return states;
}

// The per-repository work dirs, with the repository each belongs to.
export async function listWorkspaces(): Promise<{ dir: string; record: WorkspaceRecord | null; slots: number[] }[]> {
  const root = await workRoot();
  const result: { dir: string; record: WorkspaceRecord | null; slots: number[] }[] = [];
  for (const name of await readdir(root)) {
    const dir = join(root, name);
    let record: WorkspaceRecord | null = null;
    try {
      record = JSON.parse(await readFile(join(dir, 'repo.json'), 'utf8')) as WorkspaceRecord;
    } catch {
      record = null;
    }
    const slots = (await readdir(dir).catch(() => [] as string[]))
      .map((n) => /^slot-(\d+)$/.exec(n)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    result.push({ dir, record, slots });
  }
  return result;
}

// Creates the slot's directories (the worktree itself is made by git).
export async function prepareSlotDirs(paths: SlotPaths): Promise<void> {
  await mkdir(paths.out, { recursive: true });
  await mkdir(paths.config, { recursive: true });
}

// Deletes a slot's worktree directory (not a worktree of the repo any more, or broken).
export async function removeSlotSource(paths: SlotPaths): Promise<void> {
  await rm(paths.src, { recursive: true, force: true });
}

// Deletes everything of a slot but its lock; the caller prunes git's worktree list.
export async function removeSlotFiles(paths: SlotPaths): Promise<void> {
  for (const name of await readdir(paths.root).catch(() => [] as string[])) {
    if (join(paths.root, name) !== paths.lock) await rm(join(paths.root, name), { recursive: true, force: true });
  }
}

// Deletes a repository's whole work dir (its slots must be removed or unlocked).
export async function removeWorkDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

// A .config generated earlier for the same request, toolchain and Kconfig
// inputs (generating one costs two make runs, as long as an incremental build).
export async function readMemoConfig(workDir: string, key: string): Promise<string | null> {
  return readFile(join(workDir, 'config-memo', `${key}.config`), 'utf8').catch(() => null);
}

// Remembers a generated .config under its key.
export async function writeMemoConfig(workDir: string, key: string, text: string): Promise<void> {
  await writeFileAtomic(join(workDir, 'config-memo', `${key}.config`), text);
}
