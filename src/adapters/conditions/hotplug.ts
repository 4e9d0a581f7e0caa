// One hotplug cycle of a running guest's NIC over QMP: device_del, wait until
// QEMU reports the device deleted (the guest released it), device_add of the
// same device, wait until the guest's /init says eth0 is up again. A NIC that
// does not come back is a value with the reason, never an exception.
import {
  buildDeviceAddCommand,
  buildDeviceDelCommand,
  HOTPLUG_NIC_ID,
  isDeviceDeleted,
  LINK_UP_TIMEOUT_MS,
  NIC_NEVER_CAME_BACK,
  UNPLUG_TIMEOUT_MS,
  type HotplugCycle,
} from '../../core/conditions/hotplug.ts';
import { formatDuration } from '../../core/format.ts';
import type { QmpClient } from '../qmp.ts';

export type HotplugOutcome = { kind: 'ok'; cycle: HotplugCycle } | { kind: 'failed'; reason: string };

export interface HotplugTimeouts {
  unplugMs: number;
  linkUpMs: number;
}

// Unplugs and re-plugs the NIC; `waitLinkUp` resolves null once the guest says eth0 is up, or why not.
export async function cycleNic(
  qmp: QmpClient,
  deviceOption: string,
  waitLinkUp: (timeoutMs: number) => Promise<string | null>,
  timeouts: HotplugTimeouts = { unplugMs: UNPLUG_TIMEOUT_MS, linkUpMs: LINK_UP_TIMEOUT_MS },
): Promise<HotplugOutcome> {
  let deleted: () => void = () => {};
  const gone = new Promise<boolean>((resolve) => {
    deleted = () => resolve(true);
  });
  // listening before device_del: the event may come before its reply
  const stop = qmp.onEvent((e) => {
    if (isDeviceDeleted(e, HOTPLUG_NIC_ID)) deleted();
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const del = buildDeviceDelCommand();
    const t0 = performance.now();
    await qmp.execute(del.execute, del.arguments);
    const released = await Promise.race([gone, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeouts.unplugMs)))]);
    if (!released) {
      return {
        kind: 'failed',
        reason: `${NIC_NEVER_CAME_BACK}: the guest did not release the NIC within ${formatDuration(timeouts.unplugMs)} of device_del (does its kernel have PCIe hotplug: CONFIG_PCIEPORTBUS, CONFIG_HOTPLUG_PCI_PCIE?)`,
      };
    }
    const t1 = performance.now();
    const add = buildDeviceAddCommand(deviceOption);
    await qmp.execute(add.execute, add.arguments);
    const notUp = await waitLinkUp(timeouts.linkUpMs);
    if (notUp !== null) return { kind: 'failed', reason: `${NIC_NEVER_CAME_BACK}: ${notUp}` };
    return { kind: 'ok', cycle: { unplugMs: t1 - t0, linkUpMs: performance.now() - t1 } };
  } catch (error) {
    return { kind: 'failed', reason: `${NIC_NEVER_CAME_BACK}: ${(error as Error).message}` };
  } finally {
    clearTimeout(timer);
    stop();
  }
}
