import { describe, expect, it } from 'vitest';
import { buildQemuArgs, type QemuGuestOptions } from '../../src/adapters/qemu.ts';

const base: QemuGuestOptions = {
  name: 'kbisect-1-ab-b0-g0',
  accel: 'tcg',
  memoryMiB: 128,
  vcpus: 1,
  kernel: '/k/bzImage',
  initrd: '/c/img.cpio',
  append: 'console=ttyS0 quiet',
  nics: [{ tap: 'kmtap0', mac: '52:54:00:77:00:02', vhost: false, queues: 1, mrgRxbuf: true, offloads: {} }],
  qmpSocket: '/run/x/g0-m1.qmp',
};

describe('a live migration destination', () => {
  it('is the same guest on the standby tap, waiting with -incoming on a unix socket', () => {
    const args = buildQemuArgs({ ...base, incoming: 'unix:/run/x/mig1.sock' });
    expect(args.slice(-2)).toEqual(['-incoming', 'unix:/run/x/mig1.sock']);
    expect(args).toContain('tap,id=net0,ifname=kmtap0,script=no,downscript=no,vhost=off');
    expect(args).toContain('virtio-net-pci,netdev=net0,mac=52:54:00:77:00:02,romfile=,mrg_rxbuf=on');
  });

  it('has no -incoming otherwise', () => {
    expect(buildQemuArgs(base)).not.toContain('-incoming');
  });
});
