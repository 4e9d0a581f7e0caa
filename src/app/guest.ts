// One running guest: QEMU started, its console folded line by line into the
// protocol state (core/guest-protocol), and waits that end on the awaited
// condition, on a panic/oops/guest error, on a fatal QEMU message, on QEMU's
// exit, on a timeout or on Ctrl-C. QEMU is stopped by its pid, never by name.
import { registerCleanup } from '../adapters/cleanup.ts';
import type { CommandSpec, ProcessResult } from '../adapters/exec.ts';
import { startQemu } from '../adapters/qemu.ts';
import { InterruptedError } from '../core/errors.ts';
import {
  applyConsoleEvent,
  initialConsoleState,
  isFatalQemuMessage,
  parseConsoleLine,
  type ConsoleEvent,
  type ConsoleState,
  type GuestStop,
} from '../core/guest-protocol.ts';

const TAIL_LINES = 60;
const STOP_GRACE_MS = 3000;

export interface GuestProcess {
  label: string;
  pid: number | undefined;
  // performance.now() at launch and at the ready marker
  startedAt: number;
  readyAt(): number | null;
  state(): ConsoleState;
  // the last console lines, then QEMU's own messages
  consoleTail(lines?: number): string;
  // resolves null once `until(state)` holds, or why the guest stopped first
  waitUntil(until: (s: ConsoleState) => boolean, timeoutMs: number, waitingFor: string, signal?: AbortSignal): Promise<GuestStop | null>;
  // resolves true when QEMU exited within the time
  waitExit(timeoutMs: number): Promise<boolean>;
  exitResult(): ProcessResult | null;
  // SIGTERM, then SIGKILL after a grace period; resolves when QEMU is gone
  stop(): Promise<void>;
}

// Launches QEMU (already wrapped in `ip netns exec` when it needs the namespace).
export function launchGuest(label: string, spec: CommandSpec, onEvent?: (event: ConsoleEvent) => void): GuestProcess {
  let state = initialConsoleState;
  let readyAt: number | null = null;
  let qemuFatal: string | null = null;
  let exit: ProcessResult | null = null;
  const tail: string[] = [];
  const qemuMessages: string[] = [];
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const l of [...listeners]) l();
  };

  const startedAt = performance.now();
  const handle = startQemu(
    spec,
    (raw) => {
      const line = raw.replace(/\r/g, '');
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      const wasReady = state.ready !== null;
      const event = parseConsoleLine(line);
      state = applyConsoleEvent(state, event);
      onEvent?.(event);
      if (!wasReady && state.ready !== null) readyAt = performance.now();
      notify();
    },
    (line) => {
      qemuMessages.push(line);
      if (qemuMessages.length > TAIL_LINES) qemuMessages.shift();
      if (qemuFatal === null && isFatalQemuMessage(line)) {
        qemuFatal = line.trim();
        notify();
      }
    },
  );
  const unregister = registerCleanup(`QEMU ${label} (pid ${handle.pid ?? '?'})`, () => stop());
  const done = handle.done.then((r) => {
    exit = r;
    unregister();
    notify();
    return r;
  });

  const consoleTail = (lines = 30): string => {
    const parts = [tail.slice(-lines).join('\n')];
    if (qemuMessages.length > 0) parts.push(`[qemu] ${qemuMessages.slice(-8).join('\n[qemu] ')}`);
    return parts.filter((p) => p !== '').join('\n');
  };

  const waitUntil = (
    until: (s: ConsoleState) => boolean,
    timeoutMs: number,
    waitingFor: string,
    signal?: AbortSignal,
  ): Promise<GuestStop | null> =>
    new Promise<GuestStop | null>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => finish(() => reject(new InterruptedError('interrupted')));
      const finish = (settle: () => void): void => {
        listeners.delete(check);
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        settle();
      };
      const check = (): void => {
        if (until(state)) finish(() => resolve(null));
        else if (state.failure) {
          const failure = state.failure;
          finish(() => resolve({ kind: 'failure', failure }));
        } else if (qemuFatal !== null) {
          const message = qemuFatal;
          finish(() => resolve({ kind: 'qemu-fatal', message }));
        } else if (exit) {
          const r = exit;
          finish(() => resolve({ kind: 'exited', exitCode: r.exitCode, signal: r.signal, qemuStderr: r.stderr }));
        }
      };
      if (signal?.aborted) {
        reject(new InterruptedError('interrupted'));
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      timer = setTimeout(() => finish(() => resolve({ kind: 'timeout', waitedMs: timeoutMs, waitingFor })), timeoutMs);
      listeners.add(check);
      check();
    });

  const waitExit = async (timeoutMs: number): Promise<boolean> => {
    if (exit) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const ended = await Promise.race([done.then(() => true as const), timeout]);
    if (timer) clearTimeout(timer);
    return ended;
  };

  const stop = async (): Promise<void> => {
    if (exit) return;
    handle.kill('SIGTERM');
    if (!(await waitExit(STOP_GRACE_MS))) {
      handle.kill('SIGKILL');
      await done;
    }
  };

  return {
    label,
    pid: handle.pid,
    startedAt,
    readyAt: () => readyAt,
    state: () => state,
    consoleTail,
    waitUntil,
    waitExit,
    exitResult: () => exit,
    stop,
  };
}
