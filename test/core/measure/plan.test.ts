import { describe, expect, it } from 'vitest';
import {
  computeClientBudgetMs,
  computeRunStallMs,
  countRepsPerTest,
  planBoot,
  selectVcpuPinning,
  type NetperfArgsBuilder,
} from '../../../src/core/measure/plan.ts';
import { validateProfile, type Profile, type Topology } from '../../../src/core/profile/index.ts';

function profileWith(topology: Topology, pinning: number[] = []): Profile {
  const r = validateProfile(
    {
      schema: 1,
      name: `plan-${topology}`,
      topology,
      tests: [
        { name: 'rr', type: 'TCP_RR', durationS: 5 },
        { name: 'stream', type: 'TCP_STREAM', durationS: 10 },
      ],
      guest: { vcpus: 2, memoryMiB: 256, cmdline: '', pinning },
      nic: { vhost: false, queues: 1, mrgRxbuf: true },
      kernel: { fragment: [] },
      sampling: { runsPerBoot: 3, warmupRuns: 1, minBoots: 3, maxBoots: 8 },
      minEffect: 0.05,
    },
    'plan.yaml',
  );
  expect(r.errors).toEqual([]);
  return r.profile as Profile;
}

const args: NetperfArgsBuilder = (test, ip) => [test.type, ip];
const network = { hostIp: '10.77.0.1', guestIps: ['10.77.0.2', '10.77.0.3'] };

describe('planBoot', () => {
  it('guest-to-host: one client guest runs every test against the host', () => {
    const plan = planBoot(profileWith('guest-to-host'), network, args);
    expect(plan).toEqual({
      guests: [
        {
          role: 'client',
          serverIp: '10.77.0.1',
          runs: [
            { test: 'rr', reps: 4, netperfArgs: ['TCP_RR', '10.77.0.1'] },
            { test: 'stream', reps: 4, netperfArgs: ['TCP_STREAM', '10.77.0.1'] },
          ],
        },
      ],
      client: 0,
      recordedCmdline: 0,
      hostTarget: null,
      hostSide: 'bridge',
    });
  });

  it('host-to-guest: one server guest, netperf on the host side against it', () => {
    expect(planBoot(profileWith('host-to-guest'), network, args)).toEqual({
      guests: [{ role: 'server' }],
      client: null,
      recordedCmdline: 0,
      hostTarget: '10.77.0.2',
      hostSide: 'bridge',
    });
  });

  it('external-to-guest: one server guest, netperf in the peer namespace against it', () => {
    expect(planBoot(profileWith('external-to-guest'), { ...network, peerIp: '10.77.0.200' }, args)).toEqual({
      guests: [{ role: 'server' }],
      client: null,
      recordedCmdline: 0,
      hostTarget: '10.77.0.2',
      hostSide: 'peer',
    });
  });

  it('guest-to-external: one client guest aimed at the peer, netserver in the peer namespace', () => {
    const plan = planBoot(profileWith('guest-to-external'), { ...network, peerIp: '10.77.0.200' }, args);
    expect(plan.guests.map((g) => [g.role, g.serverIp])).toEqual([['client', '10.77.0.200']]);
    expect(plan.guests[0]?.runs?.[1]?.netperfArgs).toEqual(['TCP_STREAM', '10.77.0.200']);
    expect([plan.client, plan.hostTarget, plan.hostSide]).toEqual([0, null, 'peer']);
  });

  it('guest-to-guest: the server guest first, then the client aimed at it', () => {
    const plan = planBoot(profileWith('guest-to-guest'), network, args);
    expect(plan.guests.map((g) => [g.role, g.serverIp])).toEqual([
      ['server', undefined],
      ['client', '10.77.0.2'],
    ]);
    expect(plan.guests[1]?.runs?.[0]?.netperfArgs).toEqual(['TCP_RR', '10.77.0.2']);
    expect([plan.client, plan.recordedCmdline, plan.hostTarget]).toEqual([1, 1, null]);
  });
});

describe('budgets and pinning', () => {
  it('gives each run its duration plus slack', () => {
    const p = profileWith('guest-to-host');
    expect(countRepsPerTest(p)).toBe(4);
    expect(computeClientBudgetMs(p)).toBe(30_000 + 4 * (5_000 + 5_000) + 4 * (10_000 + 5_000));
    expect(computeRunStallMs(p.tests[1])).toBe(25_000);
    expect(computeRunStallMs(undefined)).toBe(15_000);
  });

  it('pins each guest to its own slice of the pinning list', () => {
    const p = profileWith('guest-to-guest', [2, 3, 4, 5]);
    expect([selectVcpuPinning(p, 0), selectVcpuPinning(p, 1)]).toEqual([
      [2, 3],
      [4, 5],
    ]);
    expect(selectVcpuPinning(profileWith('guest-to-host'), 0)).toEqual([]);
  });
});
