// One hotplug cycle against a real QEMU: a paused q35 machine (no guest runs,
// so the empty slot's device is released at once) with kbisect's root port.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cycleNic } from '../../../src/adapters/conditions/hotplug.ts';
import { findExecutable } from '../../../src/adapters/host.ts';
import { buildNicDeviceOption } from '../../../src/adapters/qemu.ts';
import { connectQmp, type QmpClient, type QmpEvent } from '../../../src/adapters/qmp.ts';
import { buildDeviceAddCommand, buildHotplugMachineArgs, HOTPLUG_NIC_ID, HOTPLUG_PORT_ID, NIC_NEVER_CAME_BACK } from '../../../src/core/conditions/hotplug.ts';
import { useTempDir } from '../../helpers/temp-dir.ts';

const tmp = useTempDir('hotplug');
const qemuPath = await findExecutable('qemu-system-x86_64');
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanups.splice(0).reverse()) f();
});

const option = buildNicDeviceOption({ tap: 'unused', mac: '52:54:00:77:00:02', vhost: false, queues: 1, mrgRxbuf: true, offloads: { csum: true } }, 0, { id: HOTPLUG_NIC_ID, bus: HOTPLUG_PORT_ID });

// A paused q35 with the root port, a netdev for the NIC, and the NIC plugged in over QMP.
async function startMachine(): Promise<QmpClient> {
  const socket = join(tmp.path, 'q.qmp');
  const child = spawn(qemuPath ?? 'qemu-system-x86_64', [...buildHotplugMachineArgs(), '-nodefaults', '-display', 'none', '-S', '-netdev', 'user,id=net0', '-qmp', `unix:${socket},server=on,wait=off`], {
    stdio: 'ignore',
  });
  cleanups.push(() => child.kill('SIGKILL'));
  const qmp = await connectQmp(socket);
  cleanups.unshift(() => qmp.close());
  const add = buildDeviceAddCommand(option);
  await qmp.execute(add.execute, add.arguments);
  return qmp;
}

describe.runIf(qemuPath !== null)('cycleNic against a real QEMU', () => {
  it('QEMU takes the typed device_add arguments of the NIC', () => {
    expect(option).toBe('virtio-net-pci,id=knic0,bus=kport0,netdev=net0,mac=52:54:00:77:00:02,romfile=,mrg_rxbuf=on,csum=on');
  });

  it('unplugs (DEVICE_DELETED), plugs the same device back and waits for link-up', async () => {
    const qmp = await startMachine();
    const events: QmpEvent[] = [];
    qmp.onEvent((e) => events.push(e));
    let asked = 0;
    const outcome = await cycleNic(qmp, option, async () => {
      asked++;
      return null;
    });
    expect(outcome.kind).toBe('ok');
    if (outcome.kind === 'ok') {
      expect(outcome.cycle.unplugMs).toBeGreaterThanOrEqual(0);
      expect(outcome.cycle.linkUpMs).toBeGreaterThanOrEqual(0);
    }
    expect(asked).toBe(1);
    expect(events.filter((e) => e.event === 'DEVICE_DELETED').map((e) => e.data?.device ?? null)).toEqual([null, 'knic0']);
    // it is back: a second device_add with the same id is refused
    const again = buildDeviceAddCommand(option);
    await expect(qmp.execute(again.execute, again.arguments)).rejects.toThrow(/Duplicate device ID 'knic0'/);
  });

  it('a guest that does not bring eth0 up: the NIC never came back, with the reason', async () => {
    const qmp = await startMachine();
    const outcome = await cycleNic(qmp, option, async () => 'no eth0 up again after device_add within 1 s (hung?)');
    expect(outcome).toEqual({ kind: 'failed', reason: `${NIC_NEVER_CAME_BACK}: no eth0 up again after device_add within 1 s (hung?)` });
  });

  it('a NIC that is not released within the bound: the NIC never came back, naming the kernel options', async () => {
    // a guest without pciehp never releases the device (the slow test boots one); here a
    // QMP peer that accepts device_del and never sends DEVICE_DELETED stands for it
    const silent: QmpClient = { execute: async <T>() => ({}) as T, onEvent: () => () => {}, close: () => {} };
    const outcome = await cycleNic(silent, option, async () => null, { unplugMs: 50, linkUpMs: 1000 });
    expect(outcome.kind).toBe('failed');
    if (outcome.kind === 'failed') expect(outcome.reason).toMatch(/^NIC never came back after hotplug: the guest did not release the NIC within .* CONFIG_HOTPLUG_PCI_PCIE/);
  });
});
