import { describe, expect, it } from 'vitest';
import { canonicalizeProfile, guestBaseFragment, validateProfile, type Profile } from '../../../src/core/profile/index.ts';

// The smallest valid profile: everything else has a default.
function minimal(): Record<string, unknown> {
  return {
    schema: 1,
    name: 'x',
    topology: 'guest-to-host',
    tests: [{ type: 'TCP_RR', durationS: 5 }],
    minEffect: 0.05,
  };
}

function errorsOf(raw: unknown): string[] {
  const r = validateProfile(raw, 'profiles/x.yaml');
  expect(r.profile).toBeUndefined();
  return r.errors;
}

describe('validateProfile', () => {
  it('fills in every default of a minimal profile', () => {
    const r = validateProfile(minimal(), 'profiles/x.yaml');
    expect(r.errors).toEqual([]);
    expect(r.profile).toEqual({
      schema: 1,
      name: 'x',
      description: '',
      topology: 'guest-to-host',
      tests: [
        {
          name: 'tcp-rr',
          type: 'TCP_RR',
          durationS: 5,
          requestBytes: 1,
          responseBytes: 1,
          nodelay: false,
          metric: 'transaction-rate',
          higherIsBetter: true,
        },
      ],
      guest: { vcpus: 1, memoryMiB: 256, cmdline: '', pinning: [] },
      nic: { vhost: false, queues: 1, mrgRxbuf: true, offloads: {} },
      // without a fragment: kbisect's guest base (the build stage's options)
      kernel: { fragment: guestBaseFragment() },
      sampling: { runsPerBoot: 5, warmupRuns: 1, minBoots: 3, maxBoots: 10, referenceEvery: 2 },
      minEffect: 0.05,
    } satisfies Profile);
    expect(r.profile?.kernel.fragment).toContain('CONFIG_VIRTIO_NET=y');
    expect(r.warnings).toEqual([]);
  });

  it('derives the judged metric and its direction from the test type', () => {
    const raw = { ...minimal(), tests: [{ type: 'TCP_STREAM', durationS: 5 }, { type: 'TCP_RR', durationS: 5, metric: 'p99-latency' }] };
    const p = validateProfile(raw, 'x').profile;
    expect(p?.tests.map((t) => [t.name, t.metric, t.higherIsBetter])).toEqual([
      ['tcp-stream', 'throughput', true],
      ['tcp-rr', 'p99-latency', false],
    ]);
  });

  it('reads minEffect as a fraction or a percentage', () => {
    expect(validateProfile({ ...minimal(), minEffect: '2.5%' }, 'x').profile?.minEffect).toBeCloseTo(0.025);
    expect(validateProfile({ ...minimal(), minEffect: 0.1 }, 'x').profile?.minEffect).toBe(0.1);
  });

  // One row per kind of error: the input change and the exact message.
  const cases: [string, (raw: Record<string, unknown>) => unknown, string][] = [
    ['wrong type', (r) => ({ ...r, nic: { queues: 'two' } }), 'profiles/x.yaml: nic.queues: expected an integer between 1 and 64, got "two"'],
    ['out of range', (r) => ({ ...r, guest: { memoryMiB: 16 } }), 'profiles/x.yaml: guest.memoryMiB: expected an integer between 64 and 65536, got 16'],
    ['unknown key, close to a known one', (r) => ({ ...r, nic: { queue: 2 } }), 'profiles/x.yaml: nic.queue: unknown key (did you mean "queues"?)'],
    ['unknown key, far from any', (r) => ({ ...r, colour: 'red' }), 'profiles/x.yaml: colour: unknown key (expected one of: schema, name, extends, description, topology, tests, guest, nic, kernel, sampling, minEffect, conditions)'],
    ['missing required key', (r) => ({ ...r, topology: undefined }), 'profiles/x.yaml: topology: required: expected one of guest-to-host, host-to-guest, guest-to-guest, external-to-guest, guest-to-external'],
    ['bad enum', (r) => ({ ...r, topology: 'host-to-host' }), 'profiles/x.yaml: topology: expected one of guest-to-host, host-to-guest, guest-to-guest, external-to-guest, guest-to-external, got "host-to-host"'],
    ['unsupported schema', (r) => ({ ...r, schema: 2 }), 'profiles/x.yaml: schema: expected 1 (the only profile schema this kbisect reads), got 2'],
    ['missing schema', (r) => ({ ...r, schema: undefined }), 'profiles/x.yaml: schema: required: expected 1'],
    ['bad name', (r) => ({ ...r, name: 'My Profile' }), `profiles/x.yaml: name: expected lowercase letters, digits, '.', '_' and '-' (at most 64), got "My Profile"`],
    ['empty tests', (r) => ({ ...r, tests: [] }), 'profiles/x.yaml: tests: expected a non-empty list of netperf tests, got []'],
    ['unknown test type', (r) => ({ ...r, tests: [{ type: 'SCTP_STREAM', durationS: 5 }] }), 'profiles/x.yaml: tests[0].type: expected one of TCP_STREAM, TCP_MAERTS, TCP_RR, TCP_CRR, UDP_RR, UDP_STREAM, got "SCTP_STREAM"'],
    ['latency of a stream test', (r) => ({ ...r, tests: [{ type: 'TCP_STREAM', durationS: 5, metric: 'mean-latency' }] }), `profiles/x.yaml: tests[0].metric: TCP_STREAM measures throughput only (netperf's latency and transaction fields are meaningless for stream tests), got "mean-latency"`],
    ['message size on an RR test', (r) => ({ ...r, tests: [{ type: 'TCP_RR', durationS: 5, messageBytes: 64 }] }), 'profiles/x.yaml: tests[0].messageBytes: applies to stream tests only; TCP_RR takes requestBytes and responseBytes'],
    ['request size on a stream test', (r) => ({ ...r, tests: [{ type: 'TCP_STREAM', durationS: 5, requestBytes: 64 }] }), 'profiles/x.yaml: tests[0].requestBytes: applies to request/response tests only; TCP_STREAM takes messageBytes'],
    ['message size on TCP_MAERTS', (r) => ({ ...r, tests: [{ type: 'TCP_MAERTS', durationS: 5, messageBytes: 64 }] }), "profiles/x.yaml: tests[0].messageBytes: TCP_MAERTS: netperf 2.7 has no option for the remote (sending) side's message size"],
    ['UDP datagram too large', (r) => ({ ...r, tests: [{ type: 'UDP_STREAM', durationS: 5, messageBytes: 70000 }] }), 'profiles/x.yaml: tests[0].messageBytes: expected an integer between 1 and 65507, got 70000'],
    ['duplicate test names', (r) => ({ ...r, tests: [{ type: 'TCP_RR', durationS: 5 }, { type: 'TCP_RR', durationS: 1 }] }), 'profiles/x.yaml: tests[1].name: "tcp-rr" is already the name of tests[0]'],
    ['missing duration', (r) => ({ ...r, tests: [{ type: 'TCP_RR' }] }), 'profiles/x.yaml: tests[0].durationS: required: expected an integer between 1 and 3600'],
    ['maxBoots below minBoots', (r) => ({ ...r, sampling: { minBoots: 5, maxBoots: 3 } }), 'profiles/x.yaml: sampling.maxBoots: expected at least sampling.minBoots (5), got 3'],
    ['pinning of the wrong length', (r) => ({ ...r, topology: 'guest-to-guest', guest: { vcpus: 2, pinning: [0, 1] } }), 'profiles/x.yaml: guest.pinning: expected 4 host CPU numbers (2 vCPUs × 2 guests), got 2'],
    ['reserved kernel parameter', (r) => ({ ...r, guest: { cmdline: 'mitigations=off kbisect.role=shell' } }), 'profiles/x.yaml: guest.cmdline: "kbisect.role=shell": kbisect.* parameters are set by kbisect itself'],
    ['bad fragment line', (r) => ({ ...r, kernel: { fragment: ['VIRTIO_NET=y'] } }), 'profiles/x.yaml: kernel.fragment[0]: expected CONFIG_NAME=y, =n, ="string" or =number, got "VIRTIO_NET=y"'],
    ['module in the fragment', (r) => ({ ...r, kernel: { fragment: ['CONFIG_VIRTIO_NET=m'] } }), 'profiles/x.yaml: kernel.fragment[0]: CONFIG_VIRTIO_NET=m: the guest loads no modules (everything boots from the kernel image); use =y'],
    ['conflicting fragment lines', (r) => ({ ...r, kernel: { fragment: ['CONFIG_SMP=y', '# CONFIG_SMP is not set'] } }), 'profiles/x.yaml: kernel.fragment[1]: CONFIG_SMP is set to n here and to y at kernel.fragment[0]'],
    ['unknown offload', (r) => ({ ...r, nic: { offloads: { tso: false } } }), 'profiles/x.yaml: nic.offloads.tso: unknown key (did you mean "gso"?)'],
    ['offload not a boolean', (r) => ({ ...r, nic: { offloads: { csum: 'off' } } }), 'profiles/x.yaml: nic.offloads.csum: expected true or false, got "off"'],
    ['bad minEffect', (r) => ({ ...r, minEffect: 5 }), 'profiles/x.yaml: minEffect: expected a relative change between 0 and 1 (such as 0.05 or "5%"), got 5'],
    ['not a mapping', () => ['a list'], 'profiles/x.yaml: expected a mapping, got ["a list"]'],
  ];
  it.each(cases)('reports %s with its path', (_kind, change, message) => {
    expect(errorsOf(change(minimal()))).toContain(message);
  });

  it('returns every problem at once', () => {
    const errors = errorsOf({ ...minimal(), nic: { queues: 'two', vhost: 'yes' }, guest: { vcpus: 0 }, extra: 1 });
    expect(errors).toEqual([
      'profiles/x.yaml: extra: unknown key (expected one of: schema, name, extends, description, topology, tests, guest, nic, kernel, sampling, minEffect, conditions)',
      'profiles/x.yaml: guest.vcpus: expected an integer between 1 and 64, got 0',
      'profiles/x.yaml: nic.vhost: expected true or false, got "yes"',
      'profiles/x.yaml: nic.queues: expected an integer between 1 and 64, got "two"',
    ]);
  });

  it('warns about valid but unusual settings', () => {
    const r = validateProfile(
      {
        ...minimal(),
        tests: [{ type: 'TCP_STREAM', durationS: 5, higherIsBetter: false }, { type: 'UDP_STREAM', durationS: 5 }],
        nic: { queues: 4 },
        sampling: { minBoots: 1, maxBoots: 1, warmupRuns: 0 },
        kernel: { fragment: ['CONFIG_SMP=y', 'CONFIG_SMP=y'] },
      },
      'x',
    );
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      'x: tests[0].higherIsBetter: false for throughput is the reverse of the usual direction',
      "x: tests[1].messageBytes: not set: netperf's UDP_STREAM default (65507 bytes) fragments every datagram; 1400 is usual",
      'x: nic.queues: 4 queues with 1 vCPU(s): the guest uses at most one queue pair per vCPU',
      'x: kernel.fragment[1]: CONFIG_SMP repeated (same value as kernel.fragment[0])',
      'x: sampling.minBoots: with 1 boot the boot-to-boot variance cannot be estimated',
      "x: sampling.warmupRuns: 0: a guest's first netperf run per boot is typically ~20 % low",
    ]);
  });

  it('reads an empty `sampling:` key as the defaults', () => {
    expect(validateProfile({ ...minimal(), sampling: null }, 'x').profile?.sampling).toEqual(validateProfile(minimal(), 'x').profile?.sampling);
  });

  it('reports a bad test type once, not again for the name and metric that follow from it', () => {
    expect(errorsOf({ ...minimal(), tests: [{ type: 'SCTP_STREAM', durationS: 5 }] })).toEqual([
      'profiles/x.yaml: tests[0].type: expected one of TCP_STREAM, TCP_MAERTS, TCP_RR, TCP_CRR, UDP_RR, UDP_STREAM, got "SCTP_STREAM"',
    ]);
  });

  it('still warns about the valid parts of an invalid profile', () => {
    const r = validateProfile({ ...minimal(), minEffect: 5, sampling: { minBoots: 1 } }, 'x');
    expect(r.profile).toBeUndefined();
    expect(r.warnings).toContain('x: sampling.minBoots: with 1 boot the boot-to-boot variance cannot be estimated');
  });

  it('normalizes the "is not set" form of fragment lines', () => {
    const p = validateProfile({ ...minimal(), kernel: { fragment: ['# CONFIG_INPUT is not set', 'CONFIG_NET=y', '# CONFIG_NET_SCHED is not set'] } }, 'x').profile;
    expect(p?.kernel.fragment).toEqual([...guestBaseFragment(), 'CONFIG_NET_SCHED=n']);
  });
});

describe('canonicalizeProfile', () => {
  const base = validateProfile(minimal(), 'x').profile as Profile;

  it('does not depend on key order, spelled-out defaults, name or description', () => {
    const spelled = validateProfile(
      {
        minEffect: '5%',
        tests: [{ durationS: 5, type: 'TCP_RR', requestBytes: 1, responseBytes: 1, metric: 'transaction-rate' }],
        topology: 'guest-to-host',
        name: 'renamed',
        description: 'another team',
        nic: { mrgRxbuf: true, queues: 1, vhost: false },
        sampling: { runsPerBoot: 5 },
        schema: 1,
      },
      'y',
    ).profile as Profile;
    expect(canonicalizeProfile(spelled)).toBe(canonicalizeProfile(base));
  });

  it('changes with anything that changes the measurement', () => {
    const other = validateProfile({ ...minimal(), nic: { mrgRxbuf: false } }, 'x').profile as Profile;
    expect(canonicalizeProfile(other)).not.toBe(canonicalizeProfile(base));
  });

  it('is sorted JSON', () => {
    const text = canonicalizeProfile(base);
    expect(text.startsWith('{"guest":{"cmdline":"","memoryMiB":256,"pinning":[],"vcpus":1},"kernel":')).toBe(true);
  });
});
