// The transmit queues of a virtio-net device over QMP: a fake monitor for the
// commands and the address arithmetic, and a real (paused) QEMU 7.2 for the
// command names and the `xp` output.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findExecutable } from '../../src/adapters/host.ts';
import { connectQmp, type QmpClient } from '../../src/adapters/qmp.ts';
import { parseXpHalfword, readTxQueues } from '../../src/adapters/virtio-queues.ts';
import { useTempDir } from '../helpers/temp-dir.ts';

const tmp = useTempDir('virtio-queues');
const qemuPath = await findExecutable('qemu-system-x86_64');
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanups.splice(0).reverse()) f();
});

describe('parseXpHalfword', () => {
  it('reads the monitor’s one-halfword dump', () => {
    expect(parseXpHalfword('0000000000c75002: 0x0186\r\n')).toBe(0x186);
    expect(parseXpHalfword('0000000000000002: 0xffff')).toBe(0xffff);
    expect(parseXpHalfword('Invalid parameter')).toBeNull();
  });
});

describe('readTxQueues', () => {
  it('asks for every pair’s transmit queue and reads avail->idx 2 bytes into the avail ring', async () => {
    const asked: string[] = [];
    const fake: QmpClient = {
      execute: <T>(command: string, args?: Record<string, unknown>): Promise<T> => {
        asked.push(`${command} ${JSON.stringify(args ?? {})}`);
        if (command === 'x-query-virtio') return Promise.resolve([{ path: '/blk', name: 'virtio-blk' }, { path: '/nic', name: 'virtio-net' }] as T);
        if (command === 'x-query-virtio-queue-status') {
          const queue = Number(args?.queue);
          return Promise.resolve({ 'last-avail-idx': 100 * queue, 'vring-avail': 0x1000 * queue } as T);
        }
        const addr = String(args?.['command-line']).split(' ')[2];
        return Promise.resolve(`00000000${addr}: 0x00${addr === '0x1002' ? '7f' : '01'}` as T);
      },
      onEvent: () => () => {},
      close: () => {},
    };
    expect(await readTxQueues(fake, 2)).toEqual([
      { queue: 1, guestAvailIdx: 0x7f, lastAvailIdx: 100 },
      { queue: 3, guestAvailIdx: 1, lastAvailIdx: 300 },
    ]);
    expect(asked).toEqual([
      'x-query-virtio {}',
      'x-query-virtio-queue-status {"path":"/nic","queue":1}',
      'human-monitor-command {"command-line":"xp /1hx 0x1002"}',
      'x-query-virtio-queue-status {"path":"/nic","queue":3}',
      'human-monitor-command {"command-line":"xp /1hx 0x3002"}',
    ]);
  });

  it.runIf(qemuPath !== null)('works against a real QEMU: a paused machine’s NIC, whose queues the guest never set up', async () => {
    const socket = join(tmp.path, 'q.qmp');
    const child = spawn(qemuPath ?? 'qemu-system-x86_64', ['-nodefaults', '-display', 'none', '-S', '-netdev', 'user,id=net0', '-device', 'virtio-net-pci,netdev=net0', '-qmp', `unix:${socket},server=on,wait=off`], { stdio: 'ignore' });
    cleanups.push(() => child.kill('SIGKILL'));
    const qmp = await connectQmp(socket);
    cleanups.unshift(() => qmp.close());
    expect(await readTxQueues(qmp, 1)).toEqual([{ queue: 1, guestAvailIdx: expect.any(Number) as number, lastAvailIdx: 0 }]);
  });
});
