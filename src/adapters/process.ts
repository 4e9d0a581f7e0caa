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
