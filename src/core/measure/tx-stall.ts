// Why a netperf run stopped moving, told from the guest NIC's transmit queues.
//
// Seen under TCG with QEMU 7.2 (about once in 40 min of streaming, on any
// kernel): the guest keeps queueing packets on a virtio-net transmit queue
// whose device side never takes them again. The guest's avail index is ahead
// of the device's last_avail_idx, which equals the avail_event the device
// published: the notification for the first of those packets was lost, and
// with VIRTIO_RING_F_EVENT_IDX the guest does not notify again (it only
// notifies when its index crosses avail_event). No segment leaves the guest,
// so the run never ends. Two snapshots some time apart tell that from a queue
// that is merely busy: a stalled one has packets waiting and does not move.

export interface TxQueueSnapshot {
  /** Virtqueue index (transmit queues are the odd ones: 1, 3, ...). */
  readonly queue: number;
  /** avail->idx as the guest last wrote it (read from guest memory). */
  readonly guestAvailIdx: number;
  /** The device's next descriptor to take (QEMU's last_avail_idx). */
  readonly lastAvailIdx: number;
}

// The queues of the first snapshot that have packets waiting and took none by the second.
export function findStalledTxQueues(first: readonly TxQueueSnapshot[], second: readonly TxQueueSnapshot[]): { queue: number; waiting: number }[] {
  const stalled: { queue: number; waiting: number }[] = [];
  for (const a of first) {
    const b = second.find((s) => s.queue === a.queue);
    if (b === undefined) continue;
    // 16-bit ring indices wrap
    const waiting = (b.guestAvailIdx - b.lastAvailIdx) & 0xffff;
    if (waiting > 0 && a.lastAvailIdx === b.lastAvailIdx && ((a.guestAvailIdx - a.lastAvailIdx) & 0xffff) > 0) stalled.push({ queue: a.queue, waiting });
  }
  return stalled;
}

// Words for a failure reason, or null when no transmit queue stalled.
export function describeTxStall(stalled: readonly { queue: number; waiting: number }[]): string | null {
  if (stalled.length === 0) return null;
  const queues = stalled.map((s) => `queue ${s.queue}: ${s.waiting} packet${s.waiting === 1 ? '' : 's'} waiting`).join(', ');
  return `the guest's virtio-net transmit queue stalled (${queues}, none taken by the device: a lost notification, a known transient of QEMU under TCG)`;
}
