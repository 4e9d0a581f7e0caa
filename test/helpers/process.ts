// Whether a process still runs, for tests that check nothing outlives a kill.
import { readFile } from 'node:fs/promises';

// The state letter of /proc/PID/stat ('R', 'S', 'Z'...), or 'gone'.
export async function stateOf(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat === '' ? 'gone' : (stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '?');
}

// Running = exists and is not a zombie (this host's init does not reap orphans); waits up to `settleMs` for it to go.
export async function isRunning(pid: number, settleMs = 500): Promise<boolean> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    const state = await stateOf(pid);
    if (state === 'gone' || state === 'Z' || state === 'X') return false;
    if (Date.now() > deadline) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
