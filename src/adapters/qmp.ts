// A small QMP (QEMU Machine Protocol) client over the guest's unix socket:
// capabilities handshake, then commands matched to their replies by id.
// Used to pin vCPU threads and to resume a paused guest; later for hotplug
// and live migration.
import { connect, type Socket } from 'node:net';
import { stat } from 'node:fs/promises';

export interface QmpClient {
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T>;
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
  const pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let greeted: (() => void) | undefined;
  const greeting = new Promise<void>((resolve, reject) => {
    greeted = resolve;
    socket.once('error', reject);
    setTimeout(() => reject(new QmpError(`no QMP greeting on ${path} within ${timeoutMs} ms`)), timeoutMs).unref();
  });
  const failAll = (error: Error): void => {
    for (const p of pending.values()) p.reject(error);
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
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if ('QMP' in msg) {
        greeted?.();
        continue;
      }
      const id = typeof msg.id === 'string' ? msg.id : undefined;
      const waiter = id === undefined ? undefined : pending.get(id);
      if (!waiter || id === undefined) continue; // events and stray replies
      pending.delete(id);
      if ('error' in msg) {
        const e = msg.error as { class?: string; desc?: string };
        waiter.reject(new QmpError(`QMP: ${e.class ?? 'error'}: ${e.desc ?? JSON.stringify(e)}`));
      } else waiter.resolve(msg.return);
    }
  });
  socket.on('close', () => failAll(new QmpError('QMP connection closed (QEMU exited?)')));
  socket.on('error', (error) => failAll(error));
  await greeting;

  const execute = <T>(command: string, args?: Record<string, unknown>): Promise<T> => {
    const id = String(nextId++);
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: (v) => resolve(v as T), reject });
      socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`);
    });
  };
  await execute('qmp_capabilities');
  return {
    execute,
    close: () => {
      socket.destroy();
    },
  };
}
