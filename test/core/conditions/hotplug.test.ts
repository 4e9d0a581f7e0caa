import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildDeviceAddCommand,
  buildDeviceDelCommand,
  buildHotplugMachineArgs,
  deviceOptionToQmpArgs,
  hotplugBeforeRun,
  isDeviceDeleted,
} from '../../../src/core/conditions/hotplug.ts';

// QMP events recorded from QEMU 7.2 (device_del of knic0 in a q35 root port, then quit)
const recorded = readFileSync(join(import.meta.dirname, '../../fixtures/qmp/device-deleted.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { event: string; data?: Record<string, unknown> });

describe('hotplug commands', () => {
  it('puts the NIC behind a PCIe root port of a q35 machine with native hotplug', () => {
    expect(buildHotplugMachineArgs()).toEqual([
      '-machine',
      'q35',
      '-global',
      'ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off',
      '-device',
      'pcie-root-port,id=kport0,chassis=1,slot=1',
    ]);
  });

  it('turns a -device option into typed device_add arguments', () => {
    expect(deviceOptionToQmpArgs('virtio-net-pci,id=knic0,bus=kport0,netdev=net0,mac=52:54:00:77:00:02,romfile=,mrg_rxbuf=off,mq=on,vectors=6,csum=off')).toEqual({
      driver: 'virtio-net-pci',
      id: 'knic0',
      bus: 'kport0',
      netdev: 'net0',
      mac: '52:54:00:77:00:02',
      romfile: '',
      mrg_rxbuf: false,
      mq: true,
      vectors: 6,
      csum: false,
    });
  });

  it.each([
    ['device_del', buildDeviceDelCommand(), { execute: 'device_del', arguments: { id: 'knic0' } }],
    ['device_add', buildDeviceAddCommand('virtio-net-pci,id=knic0,netdev=net0'), { execute: 'device_add', arguments: { driver: 'virtio-net-pci', id: 'knic0', netdev: 'net0' } }],
  ])('%s', (_name, command, expected) => {
    expect(command).toEqual(expected);
  });

  it('recognizes the DEVICE_DELETED of the device itself, not of its virtio backend or other events', () => {
    expect(recorded.map((e) => isDeviceDeleted(e))).toEqual([false, true, false]);
    expect(isDeviceDeleted(recorded[1]!, 'other')).toBe(false);
  });

  it.each([
    [0, 1, true],
    [1, 1, true],
    [0, 2, true],
    [1, 2, false],
    [2, 2, true],
    [5, 3, false],
    [6, 3, true],
  ])('run %i with every=%i: cycle %s', (runIndex, every, expected) => {
    expect(hotplugBeforeRun(runIndex, every)).toBe(expected);
  });
});
