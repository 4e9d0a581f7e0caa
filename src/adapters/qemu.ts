// QEMU as data: the argument vector for one guest (pure, tested), and the
// launch of that command with its serial console streamed line by line. The
// caller owns the process: it kills it by pid, never by name.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { buildHotplugMachineArgs, HOTPLUG_NIC_ID, HOTPLUG_PORT_ID } from '../core/conditions/hotplug.ts';
import { buildTcgMigratableMemorySize } from '../core/conditions/migration.ts';
import type { NicOffload } from '../core/profile/index.ts';
import { runCommand, startCommand, type CommandSpec, type RunningCommand } from './exec.ts';
import type { QmpClient } from './qmp.ts';

export const QEMU_BINARY = 'qemu-system-x86_64';

export type Accel = 'kvm' | 'tcg';

export interface QemuNic {
  tap: string;
  mac: string;
  vhost: boolean;
  queues: number;
  mrgRxbuf: boolean;
  offloads: Partial<Record<NicOffload, boolean>>;
}

export interface QemuGuestOptions {
  name: string;
  accel: Accel;
  // TCG CPU model; KVM always passes the host CPU through
  tcgCpu?: string;
  memoryMiB: number;
  vcpus: number;
  // bzImage, or an uncompressed vmlinux with a PVH entry point (no decompressor)
  kernel: string;
  initrd: string;
  append: string;
  nics: readonly QemuNic[];
  // QMP unix socket (server, no wait)
  qmpSocket?: string;
  // start with the vCPUs stopped (-S) until QMP `cont`, e.g. to pin them first
  paused?: boolean;
  // firmware image (-bios); QEMU's default SeaBIOS when absent
  firmware?: string;
  // live migration destination: wait for the guest's state on this URI (-incoming unix:PATH)
  incoming?: string;
  // hotplug condition: q35 with the NIC in a PCIe root port, so QMP can unplug and re-plug it
  hotplugNic?: boolean;
  // migration condition: the source and every destination of a live migration (same RAM size)
  migratable?: boolean;
}

function onOff(value: boolean): 'on' | 'off' {
  return value ? 'on' : 'off';
}

// The -device option of one virtio-net NIC (also what QMP device_add plugs back).
// In a hotplug slot it gets an id and its root port as bus.
export function buildNicDeviceOption(nic: QemuNic, index: number, slot?: { id: string; bus: string }): string {
  return buildNicArgs(nic, index, slot)[3] ?? '';
}

// The netdev and device arguments of one virtio-net NIC.
export function buildNicArgs(nic: QemuNic, index: number, slot?: { id: string; bus: string }): string[] {
  const id = `net${index}`;
  const netdev = [`tap`, `id=${id}`, `ifname=${nic.tap}`, 'script=no', 'downscript=no', `vhost=${onOff(nic.vhost)}`];
  if (nic.queues > 1) netdev.push(`queues=${nic.queues}`);
  // romfile= : no iPXE option ROM to load and run at boot
  const device = ['virtio-net-pci', ...(slot === undefined ? [] : [`id=${slot.id}`, `bus=${slot.bus}`]), `netdev=${id}`, `mac=${nic.mac}`, 'romfile=', `mrg_rxbuf=${onOff(nic.mrgRxbuf)}`];
  if (nic.queues > 1) {
    // one vector per rx and tx queue, one for config, one for the control queue
    device.push('mq=on', `vectors=${2 * nic.queues + 2}`);
  }
  for (const [key, value] of Object.entries(nic.offloads).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (value !== undefined) device.push(`${key}=${onOff(value)}`);
  }
  return ['-netdev', netdev.join(','), '-device', device.join(',')];
}

// The full argument vector (without the program name).
export function buildQemuArgs(o: QemuGuestOptions): string[] {
  const accel = o.accel === 'kvm' ? ['-enable-kvm', '-cpu', 'host'] : ['-accel', 'tcg', '-cpu', o.tcgCpu ?? 'max'];
  const args = [
    '-name',
    o.name,
    ...(o.hotplugNic ? buildHotplugMachineArgs() : []),
    ...accel,
    ...(o.firmware === undefined ? [] : ['-bios', o.firmware]),
    '-m',
    // under TCG a migrated guest needs RAM that QEMU 7.2's dirty tracking does not lose pages of
    o.migratable && o.accel === 'tcg' ? buildTcgMigratableMemorySize(o.memoryMiB) : String(o.memoryMiB),
    '-smp',
    String(o.vcpus),
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    // the serial console is QEMU's stdout, a pipe to kbisect
    '-serial',
    'stdio',
    // the guest powers off with `reboot -f`: make that an exit
    '-no-reboot',
    '-kernel',
    o.kernel,
    '-initrd',
    o.initrd,
    '-append',
    o.append,
  ];
  o.nics.forEach((nic, i) => args.push(...buildNicArgs(nic, i, o.hotplugNic && i === 0 ? { id: HOTPLUG_NIC_ID, bus: HOTPLUG_PORT_ID } : undefined)));
  if (o.qmpSocket !== undefined) args.push('-qmp', `unix:${o.qmpSocket},server=on,wait=off`);
  if (o.paused) args.push('-S');
  if (o.incoming !== undefined) args.push('-incoming', o.incoming);
  return args;
}

export function buildQemuCommand(o: QemuGuestOptions): CommandSpec {
  return { file: QEMU_BINARY, args: buildQemuArgs(o) };
}

const QBOOT_PATHS = ['/usr/share/qemu/qboot.rom', '/usr/share/qemu-kvm/qboot.rom'];

// qboot, a minimal firmware that starts the -kernel ~0.1 s sooner than SeaBIOS under TCG
// (measured here); null when QEMU's data files do not include it.
export async function findQboot(): Promise<string | null> {
  for (const path of QBOOT_PATHS) {
    try {
      const fh = await open(path, constants.O_RDONLY);
      await fh.close();
      return path;
    } catch {
      // not here
    }
  }
  return null;
}

// True when /dev/vhost-net can be opened read-write (QEMU 7.2 aborts on an assertion otherwise).
export async function vhostNetUsable(): Promise<boolean> {
  try {
    const fh = await open('/dev/vhost-net', constants.O_RDWR);
    await fh.close();
    return true;
  } catch {
    return false;
  }
}

// Starts QEMU; every console line (stdout) and every QEMU message (stderr) goes to the callbacks.
export function startQemu(spec: CommandSpec, onConsoleLine: (line: string) => void, onQemuMessage: (line: string) => void): RunningCommand {
  return startCommand(spec, { onStdoutLine: onConsoleLine, onStderrLine: onQemuMessage });
}

// Pins each vCPU thread (from QMP query-cpus-fast) to its host CPU with taskset.
export async function pinVcpuThreads(qmp: QmpClient, hostCpus: readonly number[]): Promise<void> {
  const cpus = await qmp.execute<{ 'cpu-index': number; 'thread-id': number }[]>('query-cpus-fast');
  for (const c of cpus) {
    const hostCpu = hostCpus[c['cpu-index']];
    if (hostCpu === undefined) continue;
    await runCommand(
      { file: 'taskset', args: ['-p', '-c', String(hostCpu), String(c['thread-id'])], timeoutMs: 5000 },
      { hint: 'taskset comes with util-linux' },
    );
  }
}
