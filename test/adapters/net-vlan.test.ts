// The VLAN and extra-MAC parts of the network plan, and (for real, in a
// throwaway namespace) the tc programs that terminate a VLAN on the host side.
import { describe, expect, it } from 'vitest';
import { buildNetworkBatch, buildVlanTcBatch, createNetwork, inNetns, planNetwork } from '../../src/adapters/net.ts';
import { runCommand } from '../../src/adapters/exec.ts';

describe('network plan with VLANs, extra MACs and a migration tap', () => {
  const plan = planNetwork('kbisect-1-aa', 1, false, { vlans: [10, 20], extraMacs: 2, migration: true });

  it('gives the guest a standby tap, a VLAN address per id and a MAC and address per extra MAC', () => {
    expect(plan.guests).toEqual([
      {
        tap: 'ktap0',
        ip: '10.77.0.2',
        mac: '52:54:00:77:00:02',
        standbyTap: 'kmtap0',
        vlans: [
          { vid: 10, ip: '10.77.100.2' },
          { vid: 20, ip: '10.77.101.2' },
        ],
        extraMacs: [
          { mac: '52:54:00:78:02:01', ip: '10.77.0.101' },
          { mac: '52:54:00:78:02:02', ip: '10.77.0.102' },
        ],
      },
    ]);
    expect(plan.vlans).toEqual([
      { vid: 10, hostIp: '10.77.100.1', hostDev: 'kvl10', bridgePort: 'kvb10' },
      { vid: 20, hostIp: '10.77.101.1', hostDev: 'kvl20', bridgePort: 'kvb20' },
    ]);
  });

  it('leaves a plain plan as it was', () => {
    expect(planNetwork('kbisect-1-aa', 1, false, {})).toEqual(planNetwork('kbisect-1-aa', 1, false));
    expect(planNetwork('kbisect-1-aa', 1, false).vlans).toBeUndefined();
  });

  it('adds the standby tap, the VLAN ends and permanent neighbours to the ip batch', () => {
    expect(buildNetworkBatch(plan).split('\n').slice(4)).toEqual([
      'tuntap add dev ktap0 mode tap',
      'link set ktap0 master kbr0',
      'link set ktap0 up',
      'tuntap add dev kmtap0 mode tap',
      'link set kmtap0 master kbr0',
      'link set kmtap0 up',
      'link add kvl10 type veth peer name kvb10',
      'link set kvb10 master kbr0',
      'link set kvb10 up',
      'addr add 10.77.100.1/24 dev kvl10',
      'link set kvl10 up',
      'link add kvl20 type veth peer name kvb20',
      'link set kvb20 master kbr0',
      'link set kvb20 up',
      'addr add 10.77.101.1/24 dev kvl20',
      'link set kvl20 up',
      'neigh replace 10.77.0.101 lladdr 52:54:00:78:02:01 dev kbr0 nud permanent',
      'neigh replace 10.77.0.102 lladdr 52:54:00:78:02:02 dev kbr0 nud permanent',
      'neigh replace 10.77.100.2 lladdr 52:54:00:77:00:02 dev kvl10 nud permanent',
      'neigh replace 10.77.101.2 lladdr 52:54:00:77:00:02 dev kvl20 nud permanent',
      '',
    ]);
  });

  it('attaches a pop program on ingress and a push program on egress of each VLAN end', () => {
    expect(buildVlanTcBatch(plan, (vid, dir) => `/d/${dir}-${vid}.o`)).toBe(
      [
        'qdisc add dev kvl10 clsact',
        'filter add dev kvl10 ingress bpf da obj /d/ingress-10.o sec classifier',
        'filter add dev kvl10 egress bpf da obj /d/egress-10.o sec classifier',
        'qdisc add dev kvl20 clsact',
        'filter add dev kvl20 ingress bpf da obj /d/ingress-20.o sec classifier',
        'filter add dev kvl20 egress bpf da obj /d/egress-20.o sec classifier',
        '',
      ].join('\n'),
    );
    expect(buildVlanTcBatch(planNetwork('kbisect-1-aa', 1, false), () => '')).toBe('');
  });
});

// Real: two namespaces made by kbisect with VLAN ends 10 and 20 on their bridges; a
// veth joins the two bridges (a trunk). Pings cross it only on the matching VLAN.
describe.runIf(process.getuid?.() === 0)('VLAN ends in a real namespace', () => {
  it('passes tagged traffic of one VLAN and none of another', async () => {
    const a = await createNetwork(1, false, { vlans: [10, 20] });
    const b = await createNetwork(1, false, { vlans: [10, 30] });
    try {
      await runCommand({ file: 'ip', args: ['-n', a.plan.ns, 'link', 'add', 'trunk', 'type', 'veth', 'peer', 'name', 'trunk', 'netns', b.plan.ns], timeoutMs: 5000 });
      for (const n of [a, b]) {
        await runCommand({ file: 'ip', args: ['-n', n.plan.ns, 'link', 'set', 'trunk', 'master', 'kbr0', 'up'], timeoutMs: 5000 });
      }
      // b's VLAN 10 end answers at .1 as well: give it another address
      await runCommand({ file: 'ip', args: ['-n', b.plan.ns, 'addr', 'del', '10.77.100.1/24', 'dev', 'kvl10'], timeoutMs: 5000 });
      await runCommand({ file: 'ip', args: ['-n', b.plan.ns, 'addr', 'add', '10.77.100.9/24', 'dev', 'kvl10'], timeoutMs: 5000 });
      const ping = (ip: string) => runCommand(inNetns(a.plan.ns, { file: 'busybox', args: ['ping', '-c', '2', '-w', '2', ip], timeoutMs: 10_000 }), { reject: false });
      expect(await ping('10.77.100.9')).toMatchObject({ failed: false });
      // VLAN 20 ends only in a; b's VLAN 30 end sees VLAN 20 frames and drops them
      await runCommand({ file: 'ip', args: ['-n', b.plan.ns, 'addr', 'add', '10.77.101.9/24', 'dev', 'kvl30'], timeoutMs: 5000 });
      expect(await ping('10.77.101.9')).toMatchObject({ failed: true });
      const filters = await runCommand(inNetns(a.plan.ns, { file: 'tc', args: ['filter', 'show', 'dev', 'kvl10', 'ingress'], timeoutMs: 5000 }));
      expect(filters.stdout).toContain('direct-action');
    } finally {
      await a.remove();
      await b.remove();
    }
  });
});
