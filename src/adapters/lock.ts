// One kbisect run per repository: a lock file holding the owner's pid. A lock
// whose pid is dead (a crash, kill -9) is taken over, with a note.
import { open, readFile, rm } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { UserError } from '../core/errors.ts';
import { registerCleanup } from './cleanup.ts';
import { isAlive } from './process.ts';

export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

export interface HeldLock {
  path: string;
  // set when a stale lock of a dead process was taken over
  tookOverFrom: LockHolder | null;
  release(): Promise<void>;
}


async function readHolder(path: string): Promise<LockHolder | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockHolder;
  } catch {
    return null;
  }
}

// Takes the lock or throws a UserError naming the live holder.
export async function acquireLock(path: string, command: string): Promise<HeldLock> {
  await mkdir(dirname(path), { recursive: true });
  const me: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command };
  let tookOverFrom: LockHolder | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(`${JSON.stringify(me)}\n`);
      await fh.sync();
      await fh.close();
      let released = false;
      const release = async (): Promise<void> => {
        if (released) return;
        released = true;
        unregister();
        const holder = await readHolder(path);
        if (holder?.pid === process.pid) await rm(path, { force: true });
      };
      const unregister = registerCleanup(`lock ${path}`, release);
      return { path, tookOverFrom, release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readHolder(path);
    if (holder && holder.host === me.host && isAlive(holder.pid) && holder.pid !== process.pid) {
      throw new UserError(
        `another kbisect (pid ${holder.pid}, \`${holder.command}\`, started ${holder.startedAt}) is running on this repository`,
        `wait for it to finish, or stop it (kill ${holder.pid}); its lock is ${path}`,
      );
    }
    if (holder && holder.host !== me.host) {
      throw new UserError(
        `the repository is locked by kbisect on host ${holder.host} (pid ${holder.pid})`,
        `if that run is gone, remove ${path}`,
      );
    }
    tookOverFrom = holder;
    await rm(path, { force: true });
  }
  throw new UserError(`could not take the lock ${path}`, 'another kbisect keeps racing for it; try again');
}
