// The hotplug condition, the pure parts: the machine a hot-pluggable NIC
// needs, the QMP commands that unplug and re-plug it, which event says QEMU
// let go of it, and when in a boot the cycle runs.
//
// The guest's NIC sits in a PCIe root port of a q35 machine and is removed
// and added with native PCIe hotplug (the guest's pciehp driver:
// CONFIG_PCIEPORTBUS, CONFIG_HOTPLUG_PCI, CONFIG_HOTPLUG_PCI_PCIE). The guest
// kernel has no ACPI, so QEMU's ACPI hotplug of root ports is turned off.
// pciehp waits 5 s after the attention button before it powers the slot
// off (a chance to cancel): every unplug takes at least that long.

export const HOTPLUG_NIC_ID = 'knic0';
export const HOTPLUG_PORT_ID = 'kport0';
// unplug: pciehp's 5 s button delay, then the driver's removal (~7 s in all under TCG here)
export const UNPLUG_TIMEOUT_MS = 15_000;
// from device_add to /init saying eth0 is configured again
export const LINK_UP_TIMEOUT_MS = 30_000;
export const NIC_NEVER_CAME_BACK = 'NIC never came back after hotplug';

// The machine and the slot: q35 with native PCIe hotplug, one root port for the NIC.
export function buildHotplugMachineArgs(): string[] {
  return [
    '-machine',
    'q35',
    '-global',
    'ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off',
    '-device',
    `pcie-root-port,id=${HOTPLUG_PORT_ID},chassis=1,slot=1`,
  ];
}

// A QEMU -device option string (driver,key=value,...) as device_add arguments,
// so that the NIC plugged back is the very device the command line made.
export function deviceOptionToQmpArgs(option: string): Record<string, unknown> {
  const [driver, ...props] = option.split(',');
  const args: Record<string, unknown> = { driver };
  for (const prop of props) {
    const eq = prop.indexOf('=');
    const key = eq < 0 ? prop : prop.slice(0, eq);
    const value = eq < 0 ? 'on' : prop.slice(eq + 1);
    // QMP is typed: booleans and numbers as JSON, everything else (mac, romfile) as text
    args[key] = value === 'on' ? true : value === 'off' ? false : /^\d+$/.test(value) && key !== 'mac' ? Number(value) : value;
  }
  return args;
}

export interface QmpCommand {
  execute: string;
  arguments: Record<string, unknown>;
}

export function buildDeviceDelCommand(id: string = HOTPLUG_NIC_ID): QmpCommand {
  return { execute: 'device_del', arguments: { id } };
}

// device_add of the NIC, from the -device option the guest was started with.
export function buildDeviceAddCommand(deviceOption: string): QmpCommand {
  return { execute: 'device_add', arguments: deviceOptionToQmpArgs(deviceOption) };
}

// True for the DEVICE_DELETED event of the device itself (QEMU also sends one for its virtio backend, without `device`).
export function isDeviceDeleted(event: { event: string; data?: Record<string, unknown> }, id: string = HOTPLUG_NIC_ID): boolean {
  return event.event === 'DEVICE_DELETED' && event.data?.device === id;
}

// Whether the run with this 0-based index in the boot (counting every test's runs) is preceded by a hotplug cycle.
export function hotplugBeforeRun(runIndex: number, every: number): boolean {
  return every >= 1 && runIndex % every === 0;
}

// One unplug + plug: how long QEMU took to get the device back from the guest, and how long the guest took to bring eth0 up.
export interface HotplugCycle {
  unplugMs: number;
  linkUpMs: number;
}
