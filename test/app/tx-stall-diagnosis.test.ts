// diagnoseTxStall over a real unix socket against a fake QMP monitor: a guest
// whose transmit queue stalled, one whose queue moves, a monitor that never
// answers (a hung QEMU must not hold the stopped boot) and no monitor at all.
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { diagnoseTxStall } from '../../src/app/measure-boot.ts';
import { useTempDir } from '../helpers/temp-dir.ts';

const tmp = useTempDir('tx-stall');
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanups.splice(0).reverse()) f();
});

// A monitor on SOCK: greets, takes qmp_capabilities, and answers the rest with
// `answer` (undefined: never). Every look at the avail ring reads the next value of `guestAvail`.
async function startMonitor(name: string, answer: (command: string, args: Record<string, unknown>) => unknown): Promise<string> {
  const socket = join(tmp.path, name);
  const server = createServer((conn: Socket) => {
    conn.write('{"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 0}}, "capabilities": []}}\n');
    let buffer = '';
    conn.on('data', (chunk) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buffer.slice(0, nl)) as { execute: string; arguments?: Record<string, unknown>; id: string };
        buffer = buffer.slice(nl + 1);
        const result = msg.execute === 'qmp_capabilities' ? {} : answer(msg.execute, msg.arguments ?? {});
        if (result !== undefined) conn.write(`${JSON.stringify({ return: result, id: msg.id })}\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  cleanups.push(() => server.close());
  return socket;
}

function ring(guestAvail: number[], lastAvail: number[]): (command: string) => unknown {
  let xp = 0;
  let status = 0;
  return (command) => {
    if (command === 'x-query-virtio') return [{ path: '/machine/peripheral-anon/device[0]/virtio-backend', name: 'virtio-net' }];
    if (command === 'x-query-virtio-queue-status') return { 'last-avail-idx': lastAvail[status++] ?? 0, 'vring-avail': 0xc75000 };
    return `0000000000c75002: 0x${(guestAvail[xp++] ?? 0).toString(16).padStart(4, '0')}\r\n`;
  };
}

describe('diagnoseTxStall', () => {
  it('names a transmit queue that has packets waiting and takes none', async () => {
    const socket = await startMonitor('stalled.qmp', ring([386, 393], [367, 367]));
    expect(await diagnoseTxStall(socket, 1)).toMatch(/^the guest's virtio-net transmit queue stalled \(queue 1: 26 packets waiting/);
  });

  it('says nothing of a queue that moves', async () => {
    const socket = await startMonitor('busy.qmp', ring([49842, 58857], [49802, 58819]));
    expect(await diagnoseTxStall(socket, 1)).toBeNull();
  });

  it('gives up within 3 s on a monitor that never answers, and without one', async () => {
    const socket = await startMonitor('hung.qmp', () => undefined);
    const started = performance.now();
    expect(await diagnoseTxStall(socket, 1)).toBeNull();
    expect(performance.now() - started).toBeLessThan(4000);
    expect(await diagnoseTxStall(join(tmp.path, 'none.qmp'), 1)).toBeNull();
  });
});
