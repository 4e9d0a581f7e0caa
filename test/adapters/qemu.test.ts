import { describe, expect, it } from 'vitest';
import { buildNicArgs, buildQemuArgs, buildQemuCommand, type QemuGuestOptions } from '../../src/adapters/qemu.ts';

const nic = { tap: 'ktap0', mac: '52:54:00:77:00:02', vhost: false, queues: 1, mrgRxbuf: true, offloads: {} };
const base: QemuGuestOptions = {
  name: 'kbisect-1-ab-b0-g0',
  accel: 'tcg',
  memoryMiB: 256,
  vcpus: 1,
  kernel: '/k/vmlinux',
  initrd: '/c/img.cpio',
  append: 'console=ttyS0 quiet',
  nics: [nic],
};

describe('buildQemuArgs', () => {
  it('builds a TCG guest with a virtio-net NIC on a tap, console on stdout, power-off = exit', () => {
    expect(buildQemuArgs({ ...base, qmpSocket: '/run/x/g0.qmp' })).toEqual([
      '-name', 'kbisect-1-ab-b0-g0',
      '-accel', 'tcg', '-cpu', 'max',
      '-m', '256', '-smp', '1',
      '-nodefaults', '-no-user-config', '-display', 'none',
      '-serial', 'stdio',
      '-no-reboot',
      '-kernel', '/k/vmlinux', '-initrd', '/c/img.cpio', '-append', 'console=ttyS0 quiet',
      '-netdev', 'tap,id=net0,ifname=ktap0,script=no,downscript=no,vhost=off',
      '-device', 'virtio-net-pci,netdev=net0,mac=52:54:00:77:00:02,romfile=,mrg_rxbuf=on',
      '-qmp', 'unix:/run/x/g0.qmp,server=on,wait=off',
    ]);
  });

  it('passes the host CPU through under KVM', () => {
    const args = buildQemuArgs({ ...base, accel: 'kvm' });
    expect(args.slice(2, 5)).toEqual(['-enable-kvm', '-cpu', 'host']);
    expect(args).not.toContain('tcg');
  });

  it('uses the configured TCG CPU model and starts paused when asked', () => {
    const args = buildQemuArgs({ ...base, tcgCpu: 'qemu64', paused: true });
    expect(args).toContain('qemu64');
    expect(args.at(-1)).toBe('-S');
  });

  it('loads the given firmware', () => {
    const args = buildQemuArgs({ ...base, firmware: '/usr/share/qemu/qboot.rom' });
    expect(args.slice(6, 8)).toEqual(['-bios', '/usr/share/qemu/qboot.rom']);
  });

  it('boots without any NIC (the KVM probe)', () => {
    expect(buildQemuArgs({ ...base, nics: [] })).not.toContain('-netdev');
  });

  it('is a command for qemu-system-x86_64', () => {
    expect(buildQemuCommand(base).file).toBe('qemu-system-x86_64');
  });
});

describe('buildNicArgs', () => {
  it('turns on multiqueue with one MSI-X vector per queue plus config and control', () => {
    expect(buildNicArgs({ ...nic, queues: 4, vhost: true }, 1)).toEqual([
      '-netdev', 'tap,id=net1,ifname=ktap0,script=no,downscript=no,vhost=on,queues=4',
      '-device', 'virtio-net-pci,netdev=net1,mac=52:54:00:77:00:02,romfile=,mrg_rxbuf=on,mq=on,vectors=10',
    ]);
  });

  it('switches mergeable buffers and offloads by their QEMU property names, sorted', () => {
    const [, , , device] = buildNicArgs({ ...nic, mrgRxbuf: false, offloads: { guest_tso4: false, csum: true } }, 0);
    expect(device).toBe('virtio-net-pci,netdev=net0,mac=52:54:00:77:00:02,romfile=,mrg_rxbuf=off,csum=on,guest_tso4=off');
  });
});
