import { describe, expect, it } from 'vitest';
import { buildNetworkBatch, inNetns, newNetnsName, parseNetnsOwner, planNetwork } from '../../src/adapters/net.ts';

describe('network plan', () => {
  it('names namespaces with the kbisect prefix and the owner pid', () => {
    const name = newNetnsName(4242);
    expect(name).toMatch(/^kbisect-4242-[0-9a-f]{6}$/);
    expect(parseNetnsOwner(name)).toBe(4242);
    expect(parseNetnsOwner('klab')).toBeNull();
    expect(newNetnsName(1)).not.toBe(newNetnsName(1));
  });

  it('gives each guest a tap, an address and a MAC inside the namespace', () => {
    expect(planNetwork('kbisect-1-aa', 2, false).guests).toEqual([
      { tap: 'ktap0', ip: '10.77.0.2', mac: '52:54:00:77:00:02' },
      { tap: 'ktap1', ip: '10.77.0.3', mac: '52:54:00:77:00:03' },
    ]);
  });

  it('builds bridge and taps in one ip -batch, multiqueue taps when asked', () => {
    expect(buildNetworkBatch(planNetwork('kbisect-1-aa', 1, true))).toBe(
      [
        'link set lo up',
        'link add kbr0 type bridge stp_state 0 forward_delay 0',
        'addr add 10.77.0.1/24 dev kbr0',
        'link set kbr0 up',
        'tuntap add dev ktap0 mode tap multi_queue',
        'link set ktap0 master kbr0',
        'link set ktap0 up',
        '',
      ].join('\n'),
    );
  });

  it('runs commands inside the namespace with ip netns exec (which execs: same pid)', () => {
    expect(inNetns('kbisect-1-aa', { file: 'netperf', args: ['-V'], timeoutMs: 5 })).toEqual({
      file: 'ip',
      args: ['netns', 'exec', 'kbisect-1-aa', 'netperf', '-V'],
      timeoutMs: 5,
    });
  });
});
