// The external peer of the external-to-guest and guest-to-external
// topologies: a second network namespace made by kbisect (same naming, same
// cleanup as the run's own), joined to the guest's bridge by a veth pair and
// given its own address in the subnet. It stands for another machine on the
// LAN: its traffic to the guest is bridged, never delivered to the bridge's
// own address. Deleting the peer's namespace removes the veth pair with it.
import { registerUndo } from './cleanup.ts';
import { runCommand } from './exec.ts';
import { deleteNetns, newNetnsName, type NetworkPlan } from './net.ts';

export interface PeerPlan {
  ns: string;
  ip: string;
  // the bridge port (in the run's namespace) and the peer's end (in the peer's namespace)
  bridgePort: string;
  dev: string;
}

// The peer's address: far above the guests' and their extra MACs' (10.77.0.2.., 10.77.0.1xx).
export const PEER_HOST_OCTET = 250;

export function planPeer(plan: Pick<NetworkPlan, 'hostIp'>, ns: string): PeerPlan {
  const prefix = plan.hostIp.split('.').slice(0, 3).join('.');
  return { ns, ip: `${prefix}.${PEER_HOST_OCTET}`, bridgePort: 'kpeer0', dev: 'kpeer1' };
}

// `ip -batch` lines for the run's namespace: the veth pair, its far end sent to the peer's namespace.
export function buildPeerBridgeBatch(plan: Pick<NetworkPlan, 'bridge'>, peer: PeerPlan): string {
  return [
    `link add ${peer.bridgePort} type veth peer name ${peer.dev} netns ${peer.ns}`,
    `link set ${peer.bridgePort} master ${plan.bridge}`,
    `link set ${peer.bridgePort} up`,
    '',
  ].join('\n');
}

// `ip -batch` lines for the peer's namespace: loopback, its address, the link up.
export function buildPeerBatch(plan: Pick<NetworkPlan, 'prefixLength'>, peer: PeerPlan): string {
  return ['link set lo up', `addr add ${peer.ip}/${plan.prefixLength} dev ${peer.dev}`, `link set ${peer.dev} up`, ''].join('\n');
}

export interface PeerNetwork {
  peer: PeerPlan;
  // removes the peer's namespace (idempotent)
  remove(): Promise<void>;
}

const HINT = 'creating network namespaces and veth pairs needs root (or CAP_NET_ADMIN) and the veth module; `kbisect doctor` checks this';

// Creates the peer's namespace and joins it to the run's bridge; on failure removes what it made.
export async function createPeer(plan: NetworkPlan): Promise<PeerNetwork> {
  const peer = planPeer(plan, newNetnsName());
  // registered before `ip netns add`: Ctrl-C in between still removes it
  const remove = registerUndo(`network namespace ${peer.ns} (external peer)`, () => deleteNetns(peer.ns));
  try {
    await runCommand({ file: 'ip', args: ['netns', 'add', peer.ns], timeoutMs: 10_000 }, { hint: HINT });
    await runCommand({ file: 'ip', args: ['-n', plan.ns, '-batch', '-'], input: buildPeerBridgeBatch(plan, peer), timeoutMs: 10_000 }, { hint: HINT });
    await runCommand({ file: 'ip', args: ['-n', peer.ns, '-batch', '-'], input: buildPeerBatch(plan, peer), timeoutMs: 10_000 }, { hint: HINT });
  } catch (error) {
    await remove();
    throw error;
  }
  return { peer, remove };
}
