// One kbisect per repository at a time, safe under races and crashes.
//
// The lock is a directory. A process that wants it first *announces* itself:
// it writes a file of its own (pid, process start time, boot id, host) into
// the directory, complete before it appears (written aside, then renamed).
// Then it lists the directory: if any other live announcement is there, it
// withdraws. Of two racers at least one sees the other (each looks only after
// its own file is in place), so at most one ever holds the lock; a racer that
// saw only a candidate, not a holder, backs off for a random moment and tries
// again, so one of them gets it. A file whose writer is dead (same boot, and
// that pid is gone or started at another time) is ignored and removed, which
// is the stale takeover: no remove-then-create step that two could both pass.
//
// Why not proper-lockfile: it judges staleness by an mtime a timer refreshes
// (a long synchronous step or a suspended laptop looks dead) and takes a stale
// lock over by removing it and creating it again, a window in which a second
// racer removes the winner's fresh lock.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../core/errors.ts';
import { registerUndo } from './cleanup.ts';
import { bootId, processStartTicks } from './process.ts';

export interface LockHolder {
  pid: number;
  // /proc/PID/stat start time: a reused pid does not look like the holder
  startTicks: number | null;
  bootId: string;
  host: string;
  startedAt: string;
  command: string;
  state: 'candidate' | 'held';
}

export interface HeldLock {
  path: string;
  // set when a lock of a dead process was found and removed
  tookOverFrom: LockHolder | null;
  release(): Promise<void>;
}

export interface LockOptions {
  // announce/withdraw rounds before giving up when others keep racing
  attempts?: number;
}

const ENTRY = /^(holder-\d+-[0-9a-f]{12})\.json$/;

type Liveness = 'alive' | 'dead' | 'unknown-host';

// Whether the process that wrote `holder` still runs (a reused pid does not count).
async function judge(holder: LockHolder, me: { host: string; bootId: string }): Promise<Liveness> {
  if (holder.host !== me.host) return 'unknown-host';
  if (holder.bootId !== me.bootId) return 'dead';
  const ticks = await processStartTicks(holder.pid);
  if (ticks === null) return 'dead';
  return holder.startTicks === null || ticks === holder.startTicks ? 'alive' : 'dead';
}

async function readHolder(file: string): Promise<LockHolder | null | 'gone'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? h : null;
  } catch {
    return null;
  }
}

function randomId(): string {
  return Array.from({ length: 12 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
}

async function writeEntry(dir: string, name: string, holder: LockHolder): Promise<void> {
  const tmp = join(dir, `.tmp-${name}`);
  await writeFile(tmp, `${JSON.stringify(holder)}\n`);
  await rename(tmp, join(dir, name));
}

function busyError(path: string, holder: LockHolder, liveness: Liveness): UserError {
  if (liveness === 'unknown-host') {
    return new UserError(
      `the repository is locked by kbisect on host ${holder.host} (pid ${holder.pid}, \`${holder.command}\`, started ${holder.startedAt})`,
      `if that run is gone, remove the directory ${path}`,
    );
  }
  return new UserError(
    `another kbisect (pid ${holder.pid}, \`${holder.command}\`, started ${holder.startedAt}) is running on this repository`,
    `wait for it to finish, or stop it (kill ${holder.pid}); its lock is ${path}`,
  );
}

// Takes the lock at `path` (a directory) or throws a UserError naming the live holder.
export async function acquireLock(path: string, command: string, opts: LockOptions = {}): Promise<HeldLock> {
  await mkdir(path, { recursive: true });
  const host = hostname();
  const me = { host, bootId: await bootId() };
  const name = `holder-${process.pid}-${randomId()}.json`;
  const mine: LockHolder = {
    pid: process.pid,
    startTicks: await processStartTicks(process.pid),
    bootId: me.bootId,
    host,
    startedAt: new Date().toISOString(),
    command,
    state: 'candidate',
  };
  let tookOverFrom: LockHolder | null = null;
  const attempts = opts.attempts ?? 60;
  for (let attempt = 0; attempt < attempts; attempt++) {
    await writeEntry(path, name, mine);
    let rival: { holder: LockHolder; liveness: Liveness } | null = null;
    for (const entry of await readdir(path)) {
      if (!ENTRY.test(entry) || entry === name) continue;
      const file = join(path, entry);
      const holder = await readHolder(file);
      if (holder === 'gone') continue;
      if (holder === null) {
        // entries appear complete (written aside, then renamed): an unreadable one is no holder
        await rm(file, { force: true });
        continue;
      }
      const liveness = await judge(holder, me);
      if (liveness === 'dead') {
        tookOverFrom = holder;
        await rm(file, { force: true });
        continue;
      }
      if (rival === null || holder.state === 'held') rival = { holder, liveness };
    }
    if (rival === null) {
      await writeEntry(path, name, { ...mine, state: 'held' });
      return heldLock(path, join(path, name), tookOverFrom);
    }
    await rm(join(path, name), { force: true });
    if (rival.holder.state === 'held' || rival.liveness === 'unknown-host') throw busyError(path, rival.holder, rival.liveness);
    // another candidate: one of us must back off; a random pause breaks the symmetry
    await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 10 * Math.min(attempt + 1, 4)));
  }
  throw new UserError(`could not take the lock ${path}: other kbisect processes kept racing for it`, 'try again in a moment');
}

function heldLock(path: string, file: string, tookOverFrom: LockHolder | null): HeldLock {
  const release = registerUndo(`lock ${path}`, () => rm(file, { force: true }));
  return { path, tookOverFrom, release };
}
