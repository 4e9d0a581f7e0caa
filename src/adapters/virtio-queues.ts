// The transmit queues of a guest's virtio-net device, as QEMU and the guest
// see them, over QMP: QEMU's side from x-query-virtio-queue-status (QEMU ≥
// 7.2), the guest's avail index read from guest memory with the monitor's
// `xp`. Used to say why a netperf run stopped moving (core/measure/tx-stall.ts).
import type { QmpClient } from './qmp.ts';
import type { TxQueueSnapshot } from '../core/measure/tx-stall.ts';

// `xp /1hx ADDR` prints "0000000000c75002: 0x0186".
export function parseXpHalfword(text: string): number | null {
  const m = /:\s*0x([0-9a-f]{1,4})\b/i.exec(text);
  return m?.[1] === undefined ? null : Number.parseInt(m[1], 16);
}

interface VirtioDevice {
  path: string;
  name: string;
}

interface VirtQueueStatus {
  'last-avail-idx': number;
  'vring-avail': number;
}

// One snapshot of the first virtio-net device's transmit queues (`pairs` queue pairs).
export async function readTxQueues(qmp: QmpClient, pairs: number): Promise<TxQueueSnapshot[]> {
  const devices = await qmp.execute<VirtioDevice[]>('x-query-virtio');
  const nic = devices.find((d) => d.name === 'virtio-net');
  if (nic === undefined) return [];
  const snapshots: TxQueueSnapshot[] = [];
  for (let pair = 0; pair < pairs; pair++) {
    const queue = 2 * pair + 1;
    const status = await qmp.execute<VirtQueueStatus>('x-query-virtio-queue-status', { path: nic.path, queue });
    // struct vring_avail { le16 flags; le16 idx; ... }
    const xp = await qmp.execute<string>('human-monitor-command', { 'command-line': `xp /1hx 0x${(status['vring-avail'] + 2).toString(16)}` });
    const guestAvailIdx = parseXpHalfword(xp);
    if (guestAvailIdx !== null) snapshots.push({ queue, guestAvailIdx, lastAvailIdx: status['last-avail-idx'] });
  }
  return snapshots;
}
