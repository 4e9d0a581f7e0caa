// Other processes by pid (never by name): is it alive, what is it, stop it.
// Used to tell leftovers of crashed runs from runs still going, and to end
// processes left in a kbisect namespace.
import { readFile } from 'node:fs/promises';

// True when a process with this pid exists (signal 0 probes without sending).
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// The command line of a process ("" when it is gone or unreadable).
export async function commandLineOf(pid: number): Promise<string> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replace(/\0+/g, ' ').trim();
  } catch {
    return '';
  }
}

// SIGTERM, then SIGKILL after `graceMs` if it is still there; resolves when it is gone.
export async function killPid(pid: number, graceMs = 2000): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  if (isAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

// When a process started, in clock ticks since boot (/proc/PID/stat field 22),
// or null when it is gone: with the boot id it tells a pid reused by another
// process from the process that wrote a lock.
export async function processStartTicks(pid: number): Promise<number | null> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // the command name (field 2) is in parentheses and may itself hold spaces or ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[19]);
  return Number.isSafeInteger(ticks) ? ticks : null;
}

// This boot of this machine (changes at every reboot): a pid from another boot names nothing.
export async function bootId(): Promise<string> {
  try {
    return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
  } catch {
    return 'unknown';
  }
}
