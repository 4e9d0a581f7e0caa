import { describe, expect, it } from 'vitest';
import { describeTxStall, findStalledTxQueues } from '../../../src/core/measure/tx-stall.ts';

describe('findStalledTxQueues', () => {
  it('finds the stall seen here: the guest 19 packets ahead of the device, then 26, and the device never moves', () => {
    // recorded 2026-12-01 (QMP virtio-queue-status and xp of avail->idx), 1 s apart
    const first = [{ queue: 1, guestAvailIdx: 386, lastAvailIdx: 367 }];
    const second = [{ queue: 1, guestAvailIdx: 393, lastAvailIdx: 367 }];
    expect(findStalledTxQueues(first, second)).toEqual([{ queue: 1, waiting: 26 }]);
    expect(describeTxStall(findStalledTxQueues(first, second))).toMatch(/^the guest's virtio-net transmit queue stalled \(queue 1: 26 packets waiting, none taken by the device: a lost notification/);
  });

  it('a busy queue is not stalled: the device took packets between the looks', () => {
    expect(findStalledTxQueues([{ queue: 1, guestAvailIdx: 49842, lastAvailIdx: 49802 }], [{ queue: 1, guestAvailIdx: 58857, lastAvailIdx: 58819 }])).toEqual([]);
  });

  it('an idle queue is not stalled: nothing waits (the guest is stuck elsewhere)', () => {
    expect(findStalledTxQueues([{ queue: 1, guestAvailIdx: 367, lastAvailIdx: 367 }], [{ queue: 1, guestAvailIdx: 367, lastAvailIdx: 367 }])).toEqual([]);
    expect(describeTxStall([])).toBeNull();
  });

  it('counts across the 16-bit wrap of the ring indices, per queue', () => {
    const first = [
      { queue: 1, guestAvailIdx: 3, lastAvailIdx: 65534 },
      { queue: 3, guestAvailIdx: 10, lastAvailIdx: 10 },
    ];
    const second = [
      { queue: 1, guestAvailIdx: 4, lastAvailIdx: 65534 },
      { queue: 3, guestAvailIdx: 12, lastAvailIdx: 12 },
    ];
    expect(findStalledTxQueues(first, second)).toEqual([{ queue: 1, waiting: 6 }]);
    expect(describeTxStall([{ queue: 1, waiting: 1 }])).toContain('queue 1: 1 packet waiting');
  });
});
