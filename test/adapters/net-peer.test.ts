// The external peer: its ip batches, and the real thing in real namespaces (root only).
import { describe, expect, it } from 'vitest';
import { limitTapRate } from '../../src/adapters/conditions/qos.ts';
import { runCommand } from '../../src/adapters/exec.ts';
import { createNetwork, listKbisectNetns, parseNetnsOwner, planNetwork } from '../../src/adapters/net.ts';
import { buildPeerBatch, buildPeerBridgeBatch, createPeer, planPeer } from '../../src/adapters/net-peer.ts';

const plan = planNetwork('kbisect-1-aaaaaa', 1, false);

describe('peer plan and batches', () => {
  it('gives the peer its own address in the guests\' subnet', () => {
    expect(planPeer(plan, 'kbisect-1-bbbbbb')).toEqual({ ns: 'kbisect-1-bbbbbb', ip: '10.77.0.250', bridgePort: 'kpeer0', dev: 'kpeer1' });
  });

  it('joins the veth to the bridge in the run\'s namespace and sends its far end to the peer', () => {
    expect(buildPeerBridgeBatch(plan, planPeer(plan, 'kbisect-1-bbbbbb'))).toBe(
      'link add kpeer0 type veth peer name kpeer1 netns kbisect-1-bbbbbb\nlink set kpeer0 master kbr0\nlink set kpeer0 up\n',
    );
    expect(buildPeerBatch(plan, planPeer(plan, 'kbisect-1-bbbbbb'))).toBe('link set lo up\naddr add 10.77.0.250/24 dev kpeer1\nlink set kpeer1 up\n');
  });
});

describe.runIf(process.getuid?.() === 0)('a real peer namespace', () => {
  it('reaches a bridge port, carries kbisect\'s name and owner, limits the tap, and is removed', async () => {
    const network = await createNetwork(1, false);
    try {
      const peer = await createPeer(network.plan);
      expect(parseNetnsOwner(peer.peer.ns)).toBe(process.pid);
      const addr = await runCommand({ file: 'ip', args: ['-n', peer.peer.ns, '-br', 'addr', 'show', 'kpeer1'], timeoutMs: 5000 });
      expect(addr.stdout).toMatch(/kpeer1@\S+\s+UP\s+10\.77\.0\.250\/24/);
      const port = await runCommand({ file: 'ip', args: ['-n', network.plan.ns, '-d', 'link', 'show', 'kpeer0'], timeoutMs: 5000 });
      expect(port.stdout).toContain('master kbr0');
      // the peer reaches the bridge's address through the veth (the bridge answers ARP and ping)
      const ping = await runCommand({ file: 'ip', args: ['netns', 'exec', peer.peer.ns, 'busybox', 'ping', '-c', '1', '-W', '2', network.plan.hostIp], timeoutMs: 5000 }, { reject: false });
      expect(ping.exitCode, ping.stdout + ping.stderr).toBe(0);
      await limitTapRate(network.plan.ns, 'ktap0', 100);
      const qdisc = await runCommand({ file: 'tc', args: ['-n', network.plan.ns, 'qdisc', 'show', 'dev', 'ktap0'], timeoutMs: 5000 });
      expect(qdisc.stdout).toMatch(/qdisc tbf \S+ root .*rate 100Mbit burst 125000b/);
      await peer.remove();
      expect(await listKbisectNetns()).not.toContain(peer.peer.ns);
    } finally {
      await network.remove();
    }
  });
});
