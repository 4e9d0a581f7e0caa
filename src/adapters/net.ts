// The private network of one measurement: a network namespace created by
// kbisect (unique name, owner pid in it), a bridge with the host-side address,
// and one tap per guest. Every address lives only inside the namespace, so no
// packet reaches the host's real interfaces; deleting the namespace removes
// bridge and taps with it. Registered for cleanup on exit, error and Ctrl-C.
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { ProcessError } from '../core/errors.ts';
import { registerUndo } from './cleanup.ts';
import { runCommand, type CommandSpec } from './exec.ts';

export const NETNS_PREFIX = 'kbisect-';
const NETNS_DIR = '/run/netns';

export interface NetworkPlan {
  ns: string;
  bridge: string;
  hostIp: string;
  prefixLength: number;
  netmask: string;
  guests: { tap: string; ip: string; mac: string }[];
  multiQueue: boolean;
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
export function planNetwork(ns: string, guests: number, multiQueue: boolean): NetworkPlan {
  return {
    ns,
    bridge: 'kbr0',
    hostIp: '10.77.0.1',
    prefixLength: 24,
    netmask: '255.255.255.0',
    guests: Array.from({ length: guests }, (_, i) => ({
      tap: `ktap${i}`,
      ip: `10.77.0.${i + 2}`,
      mac: `52:54:00:77:00:${(i + 2).toString(16).padStart(2, '0')}`,
    })),
    multiQueue,
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
    lines.push(`tuntap add dev ${g.tap} mode tap${plan.multiQueue ? ' multi_queue' : ''}`);
    lines.push(`link set ${g.tap} master ${plan.bridge}`);
    lines.push(`link set ${g.tap} up`);
  }
  return `${lines.join('\n')}\n`;
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

// Creates the namespace, bridge and taps; on any failure removes what it made.
export async function createNetwork(guests: number, multiQueue: boolean): Promise<Network> {
  const plan = planNetwork(newNetnsName(), guests, multiQueue);
  // registered before `ip netns add` runs: a Ctrl-C that kills it after it made
  // /run/netns/NAME still removes the namespace (deleting a missing one is fine)
  const remove = registerUndo(`network namespace ${plan.ns}`, () => deleteNetns(plan.ns));
  try {
    await runCommand({ file: 'ip', args: ['netns', 'add', plan.ns], timeoutMs: 10_000 }, { hint: NETNS_HINT });
    await runCommand(
      { file: 'ip', args: ['-n', plan.ns, '-batch', '-'], input: buildNetworkBatch(plan), timeoutMs: 10_000 },
      { hint: `${NETNS_HINT}; taps need /dev/net/tun (modprobe tun)` },
    );
  } catch (error) {
    await remove();
    throw error;
  }
  return { plan, remove };
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
