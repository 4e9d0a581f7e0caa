import { describe, expect, it } from 'vitest';
import { buildNicArgs, buildQemuArgs, type QemuGuestOptions } from '../../src/adapters/qemu.ts';

const nic = { tap: 'ktap0', mac: '52:54:00:77:00:02', vhost: false, queues: 1, mrgRxbuf: true, offloads: {} };
const base: QemuGuestOptions = { name: 'g', accel: 'tcg', memoryMiB: 256, vcpus: 1, kernel: 'bzImage', initrd: 'initrd', append: 'x', nics: [nic] };

describe('QEMU arguments for the hotplug condition', () => {
  it('without it: the default machine, a NIC without id or bus (unchanged)', () => {
    const args = buildQemuArgs(base);
    expect(args).not.toContain('-machine');
    expect(args).toContain('virtio-net-pci,netdev=net0,mac=52:54:00:77:00:02,romfile=,mrg_rxbuf=on');
  });

  it('with it: q35, native PCIe hotplug, the NIC in the root port with an id', () => {
    const args = buildQemuArgs({ ...base, hotplugNic: true });
    expect(args.slice(2, 8)).toEqual(['-machine', 'q35', '-global', 'ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off', '-device', 'pcie-root-port,id=kport0,chassis=1,slot=1']);
    expect(args).toContain('virtio-net-pci,id=knic0,bus=kport0,netdev=net0,mac=52:54:00:77:00:02,romfile=,mrg_rxbuf=on');
  });

  it('a slot only changes the device, not the netdev', () => {
    expect(buildNicArgs(nic, 0, { id: 'a', bus: 'b' })[1]).toBe(buildNicArgs(nic, 0)[1]);
  });
});
