// The private network of one measurement: a network namespace created by
// kbisect (unique name, owner pid in it), a bridge with the host-side address,
// and one tap per guest. Every address lives only inside the namespace, so no
// packet reaches the host's real interfaces; deleting the namespace removes
// bridge and taps with it. Registered for cleanup on exit, error and Ctrl-C.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessError } from '../core/errors.ts';
import { buildBpfObject, buildVlanPopProgram, buildVlanPushProgram, VLAN_BPF_SECTION } from '../core/net/vlan-bpf.ts';
import { registerUndo } from './cleanup.ts';
import { runCommand, type CommandSpec } from './exec.ts';

export const NETNS_PREFIX = 'kbisect-';
const NETNS_DIR = '/run/netns';

// An 802.1Q sub-interface of a guest's NIC and its address.
export interface GuestVlan {
  vid: number;
  ip: string;
}

// An extra MAC address of a guest's NIC (a macvlan in the guest) and its address.
export interface GuestExtraMac {
  mac: string;
  ip: string;
}

// The host end of one VLAN: a veth pair, one end a bridge port, the other with
// the host's address on the VLAN and tc programs that pop and push the tag
// (so that no 802.1Q support is needed in the host kernel).
export interface HostVlan {
  vid: number;
  hostIp: string;
  // the end with the address, and the bridge port
  hostDev: string;
  bridgePort: string;
}

export interface NetworkPlan {
  ns: string;
  bridge: string;
  hostIp: string;
  prefixLength: number;
  netmask: string;
  guests: {
    tap: string;
    ip: string;
    mac: string;
    // live migration: the destination QEMU's tap (same bridge, same MACs)
    standbyTap?: string;
    vlans?: GuestVlan[];
    extraMacs?: GuestExtraMac[];
  }[];
  multiQueue: boolean;
  vlans?: HostVlan[];
}

// What a profile adds to the plain network: VLANs, extra MACs, a standby tap per guest for migration.
export interface NetworkOptions {
  vlans?: readonly number[];
  extraMacs?: number;
  migration?: boolean;
}

// A fresh namespace name: kbisect-<owner pid>-<random>, so `doctor --cleanup` can tell
// leftovers of dead runs from namespaces of runs still going.
export function newNetnsName(pid: number = process.pid): string {
  return `${NETNS_PREFIX}${pid}-${randomBytes(3).toString('hex')}`;
}

// The owner pid encoded in a kbisect namespace name, or null for any other name.
export function parseNetnsOwner(name: string): number | null {
  const m = /^kbisect-(\d+)-[0-9a-f]+$/.exec(name);
  return m ? Number(m[1]) : null;
}

// Addresses are the same in every run: each run has its own namespace.
// VLAN k (0-based) is 10.77.(100+k).0/24; extra MAC j (1-based) of guest i is
// 52:54:00:78:<i+2>:<j> at 10.77.0.(100+10i+j).
export function planNetwork(ns: string, guests: number, multiQueue: boolean, options: NetworkOptions = {}): NetworkPlan {
  const vids = options.vlans ?? [];
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  return {
    ns,
    bridge: 'kbr0',
    hostIp: '10.77.0.1',
    prefixLength: 24,
    netmask: '255.255.255.0',
    guests: Array.from({ length: guests }, (_, i) => ({
      tap: `ktap${i}`,
      ip: `10.77.0.${i + 2}`,
      mac: `52:54:00:77:00:${hex(i + 2)}`,
      ...(options.migration ? { standbyTap: `kmtap${i}` } : {}),
      ...(vids.length > 0 ? { vlans: vids.map((vid, k) => ({ vid, ip: `10.77.${100 + k}.${i + 2}` })) } : {}),
      ...((options.extraMacs ?? 0) > 0
        ? { extraMacs: Array.from({ length: options.extraMacs ?? 0 }, (_, j) => ({ mac: `52:54:00:78:${hex(i + 2)}:${hex(j + 1)}`, ip: `10.77.0.${100 + 10 * i + j + 1}` })) }
        : {}),
    })),
    multiQueue,
    ...(vids.length > 0 ? { vlans: vids.map((vid, k) => ({ vid, hostIp: `10.77.${100 + k}.1`, hostDev: `kvl${vid}`, bridgePort: `kvb${vid}` })) } : {}),
  };
}

// The `ip -batch` lines that build the plan inside its namespace (one process for all).
export function buildNetworkBatch(plan: NetworkPlan): string {
  const lines = [
    'link set lo up',
    // no STP, no forwarding delay: ports forward as soon as QEMU opens the tap
    `link add ${plan.bridge} type bridge stp_state 0 forward_delay 0`,
    `addr add ${plan.hostIp}/${plan.prefixLength} dev ${plan.bridge}`,
    `link set ${plan.bridge} up`,
  ];
  for (const g of plan.guests) {
    for (const tap of g.standbyTap === undefined ? [g.tap] : [g.tap, g.standbyTap]) {
      lines.push(`tuntap add dev ${tap} mode tap${plan.multiQueue ? ' multi_queue' : ''}`);
      lines.push(`link set ${tap} master ${plan.bridge}`);
      lines.push(`link set ${tap} up`);
    }
  }
  for (const v of plan.vlans ?? []) {
    lines.push(`link add ${v.hostDev} type veth peer name ${v.bridgePort}`);
    lines.push(`link set ${v.bridgePort} master ${plan.bridge}`);
    lines.push(`link set ${v.bridgePort} up`);
    lines.push(`addr add ${v.hostIp}/${plan.prefixLength} dev ${v.hostDev}`);
    lines.push(`link set ${v.hostDev} up`);
  }
  // the host knows every extra address's MAC: no ARP, so after a migration a frame reaches
  // an address only once the bridge has learnt where its MAC went
  for (const g of plan.guests) {
    for (const m of g.extraMacs ?? []) lines.push(`neigh replace ${m.ip} lladdr ${m.mac} dev ${plan.bridge} nud permanent`);
    for (const [k, v] of (g.vlans ?? []).entries()) {
      const dev = plan.vlans?.[k]?.hostDev;
      if (dev !== undefined) lines.push(`neigh replace ${v.ip} lladdr ${g.mac} dev ${dev} nud permanent`);
    }
  }
  return `${lines.join('\n')}\n`;
}

// The `tc -batch` lines that make each VLAN's host end pop and push its tag
// (objectPath: the BPF object for that VLAN id and direction, see core/net/vlan-bpf).
export function buildVlanTcBatch(plan: NetworkPlan, objectPath: (vid: number, direction: 'ingress' | 'egress') => string): string {
  const lines: string[] = [];
  for (const v of plan.vlans ?? []) {
    lines.push(`qdisc add dev ${v.hostDev} clsact`);
    lines.push(`filter add dev ${v.hostDev} ingress bpf da obj ${objectPath(v.vid, 'ingress')} sec ${VLAN_BPF_SECTION}`);
    lines.push(`filter add dev ${v.hostDev} egress bpf da obj ${objectPath(v.vid, 'egress')} sec ${VLAN_BPF_SECTION}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

// Runs a command inside the namespace (`ip netns exec` execs it: the pid stays the command's).
export function inNetns(ns: string, spec: CommandSpec): CommandSpec {
  return { ...spec, file: 'ip', args: ['netns', 'exec', ns, spec.file, ...spec.args] };
}

export interface Network {
  plan: NetworkPlan;
  // removes the namespace (idempotent)
  remove(): Promise<void>;
}

const NETNS_HINT = 'creating network namespaces, bridges and taps needs root (or CAP_NET_ADMIN): run kbisect with sudo; `kbisect doctor` checks this';

// Creates the namespace, bridge and taps (and VLAN ends, with their BPF objects in
// `workDir`); on any failure removes what it made.
export async function createNetwork(guests: number, multiQueue: boolean, options: NetworkOptions = {}, workDir?: string): Promise<Network> {
  const plan = planNetwork(newNetnsName(), guests, multiQueue, options);
  // registered before `ip netns add` runs: a Ctrl-C that kills it after it made
  // /run/netns/NAME still removes the namespace (deleting a missing one is fine)
  const remove = registerUndo(`network namespace ${plan.ns}`, () => deleteNetns(plan.ns));
  try {
    await runCommand({ file: 'ip', args: ['netns', 'add', plan.ns], timeoutMs: 10_000 }, { hint: NETNS_HINT });
    await runCommand(
      { file: 'ip', args: ['-n', plan.ns, '-batch', '-'], input: buildNetworkBatch(plan), timeoutMs: 10_000 },
      { hint: `${NETNS_HINT}; taps need /dev/net/tun (modprobe tun)` },
    );
    if ((plan.vlans ?? []).length > 0) await attachVlanPrograms(plan, workDir ?? tmpdir());
  } catch (error) {
    await remove();
    throw error;
  }
  return { plan, remove };
}

// Writes each VLAN's pop/push programs and attaches them (the objects go with the namespace's
// filters: tc loads them, the files are not needed afterwards).
async function attachVlanPrograms(plan: NetworkPlan, workDir: string): Promise<void> {
  const dir = await mkdtemp(join(workDir, 'vlan-bpf-'));
  try {
    const objectPath = (vid: number, direction: 'ingress' | 'egress'): string => join(dir, `${direction}-${vid}.o`);
    for (const v of plan.vlans ?? []) {
      await writeFile(objectPath(v.vid, 'ingress'), buildBpfObject(buildVlanPopProgram(v.vid)));
      await writeFile(objectPath(v.vid, 'egress'), buildBpfObject(buildVlanPushProgram(v.vid)));
    }
    await runCommand(
      { file: 'tc', args: ['-n', plan.ns, '-batch', '-'], input: buildVlanTcBatch(plan, objectPath), timeoutMs: 10_000 },
      { hint: 'VLANs need tc with BPF support (iproute2) and CONFIG_NET_CLS_BPF and CONFIG_NET_SCH_INGRESS in the host kernel' },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// Deletes a namespace; a namespace that is already gone is fine.
export async function deleteNetns(ns: string): Promise<void> {
  const r = await runCommand({ file: 'ip', args: ['netns', 'delete', ns], timeoutMs: 10_000 }, { reject: false, whileStopping: true });
  if (r.failed && !/No such file|Cannot remove namespace file/.test(r.stderr)) {
    throw new ProcessError({ message: `could not delete network namespace ${ns}`, command: r.command, exitCode: r.exitCode, stderrTail: r.stderr });
  }
}

// Every network namespace whose name carries kbisect's prefix.
export async function listKbisectNetns(): Promise<string[]> {
  try {
    return (await readdir(NETNS_DIR)).filter((n) => n.startsWith(NETNS_PREFIX)).sort();
  } catch {
    return [];
  }
}

// The pids of the processes living in a namespace (`ip netns pids`).
export async function netnsPids(ns: string): Promise<number[]> {
  const r = await runCommand({ file: 'ip', args: ['netns', 'pids', ns], timeoutMs: 10_000 }, { reject: false });
  return r.stdout
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
}
