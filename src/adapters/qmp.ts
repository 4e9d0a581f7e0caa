// A small QMP (QEMU Machine Protocol) client over the guest's unix socket:
// capabilities handshake, then commands matched to their replies by id.
// Used to pin vCPU threads and to resume a paused guest; later for hotplug
// and live migration.
import { connect, type Socket } from 'node:net';
import { stat } from 'node:fs/promises';

// An asynchronous QMP event: DEVICE_DELETED, MIGRATION, ...
export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
}

export interface QmpClient {
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T>;
  // calls `listener` with every event from now on; returns the function that stops it
  onEvent(listener: (e: QmpEvent) => void): () => void;
  close(): void;
}

export class QmpError extends Error {
  override readonly name = 'QmpError';
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

// Waits until QEMU has created its QMP socket.
export async function waitForSocket(path: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      if ((await stat(path)).isSocket()) return;
    } catch {
      // not there yet
    }
    if (performance.now() > deadline) throw new QmpError(`QMP socket ${path} did not appear within ${timeoutMs} ms`);
    await sleep(5);
  }
}

// Connects, reads the greeting and leaves capabilities negotiation mode.
export async function connectQmp(path: string, timeoutMs = 5000): Promise<QmpClient> {
  await waitForSocket(path, timeoutMs);
  const socket: Socket = connect(path);
  let buffer = '';
  let nextId = 1;
  const eventListeners = new Set<(e: QmpEvent) => void>();
  const pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  // once set, the connection is gone: pending commands got it, later ones get it at once
  let closedError: Error | undefined;
  let greetingDone = false;
  let greeted: (() => void) | undefined;
  let notGreeted: ((e: Error) => void) | undefined;
  const greeting = new Promise<void>((resolve, reject) => {
    greeted = resolve;
    notGreeted = reject;
  });
  const greetingTimer = setTimeout(() => notGreeted?.(new QmpError(`no QMP greeting on ${path} within ${timeoutMs} ms`)), timeoutMs);
  const failAll = (error: Error): void => {
    closedError ??= error;
    notGreeted?.(closedError);
    for (const p of pending.values()) p.reject(closedError);
    pending.clear();
  };
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line === '') continue;
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      // QMP messages are JSON objects; anything else (null, numbers, arrays) is noise to skip, not to crash on
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) continue;
      const fields = msg as Record<string, unknown>;
      if ('QMP' in fields) {
        greeted?.();
        continue;
      }
      if (typeof fields.event === 'string') {
        const event: QmpEvent = { event: fields.event, ...(typeof fields.data === 'object' && fields.data !== null ? { data: fields.data as Record<string, unknown> } : {}) };
        for (const listener of eventListeners) listener(event);
        continue;
      }
      const id = typeof fields.id === 'string' ? fields.id : undefined;
      const waiter = id === undefined ? undefined : pending.get(id);
      if (!waiter || id === undefined) continue; // events and stray replies
      pending.delete(id);
      if ('error' in fields) {
        const e = fields.error as { class?: string; desc?: string };
        waiter.reject(new QmpError(`QMP: ${e.class ?? 'error'}: ${e.desc ?? JSON.stringify(e)}`));
      } else waiter.resolve(fields.return);
    }
  });
  socket.on('close', () => failAll(new QmpError(greetingDone ? 'QMP connection closed (QEMU exited?)' : `QMP connection on ${path} closed before the greeting (QEMU exited?)`)));
  // a connection reset when QEMU dies is the same news as a close; a refused connect (stale socket) is not
  socket.on('error', (error: NodeJS.ErrnoException) => failAll(error.code === 'ECONNRESET' ? new QmpError(`QMP connection closed (QEMU exited?): ${error.message}`) : error));
  try {
    await greeting;
  } catch (error) {
    socket.destroy();
    throw error;
  } finally {
    clearTimeout(greetingTimer);
    greetingDone = true;
    greeted = undefined;
    notGreeted = undefined;
  }

  const execute = <T>(command: string, args?: Record<string, unknown>): Promise<T> => {
    if (closedError) return Promise.reject(closedError);
    const id = String(nextId++);
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: (v) => resolve(v as T), reject });
      socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`);
    });
  };
  await execute('qmp_capabilities');
  return {
    execute,
    onEvent: (listener) => {
      eventListeners.add(listener);
      return () => {
        eventListeners.delete(listener);
      };
    },
    close: () => {
      socket.destroy();
    },
  };
}
