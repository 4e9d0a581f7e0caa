import { describe, expect, it } from 'vitest';
import { classifyKvm, evaluateHost, toolNames, type HostFacts, type ToolFact, type ToolName } from '../../src/core/doctor.ts';

// A host with everything installed, as scripts/setup-host.sh leaves it, on hardware with VT-x.
function completeHost(): HostFacts {
  const tools = Object.fromEntries(toolNames.map((t) => [t, { path: `/usr/bin/${t}`, version: `${t} 1.0` }])) as Record<
    ToolName,
    ToolFact
  >;
  return {
    isRoot: true,
    capNetAdmin: true,
    kvm: { exists: true, openable: true },
    cpuFlags: { vmx: true, svm: false, hypervisor: false },
    tun: { exists: true, openable: true },
    vhostNet: { exists: true, openable: true },
    tools,
    busyboxStatic: true,
    headers: { libelf: true, openssl: true },
  };
}

function check(facts: HostFacts, id: string) {
  const c = evaluateHost(facts).checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return c;
}

describe('classifyKvm', () => {
  it.each([
    ['hardware VT-x', { exists: true, openable: true }, { vmx: true, svm: false, hypervisor: false }, 'hardware'],
    ['hardware AMD-V under a hypervisor (nested exposed)', { exists: true, openable: true }, { vmx: false, svm: true, hypervisor: true }, 'hardware'],
    ['nested/software: hypervisor flag, no vmx/svm', { exists: true, openable: true }, { vmx: false, svm: false, hypervisor: true }, 'nested-or-software'],
    ['no /dev/kvm', { exists: false, openable: false }, { vmx: true, svm: false, hypervisor: false }, 'unavailable'],
    ['/dev/kvm not openable', { exists: true, openable: false }, { vmx: true, svm: false, hypervisor: false }, 'unavailable'],
  ] as const)('%s', (_name, kvm, cpuFlags, expected) => {
    expect(classifyKvm({ kvm, cpuFlags })).toBe(expected);
  });
});

describe('evaluateHost', () => {
  it('a complete hardware-KVM host is ready and uses KVM', () => {
    const r = evaluateHost(completeHost());
    expect(r.ok).toBe(true);
    expect(r.kvm).toBe('hardware');
    expect(r.accel).toBe('kvm');
    expect(r.checks.every((c) => c.status === 'ok')).toBe(true);
  });

  it('a host without /dev/kvm is still ready (TCG), with a warning and a fix', () => {
    const facts = completeHost();
    facts.kvm = { exists: false, openable: false };
    const r = evaluateHost(facts);
    expect(r.ok).toBe(true);
    expect(r.accel).toBe('tcg');
    const kvm = check(facts, 'kvm');
    expect(kvm.status).toBe('warn');
    expect(kvm.detail).toMatch(/TCG/);
    expect(kvm.fix).toMatch(/modprobe kvm/);
  });

  it('a nested/software KVM host warns that TCG will be used', () => {
    const facts = completeHost();
    facts.cpuFlags = { vmx: false, svm: false, hypervisor: true };
    const r = evaluateHost(facts);
    expect(r.ok).toBe(true);
    expect(r.kvm).toBe('nested-or-software');
    expect(r.accel).toBe('tcg');
    expect(check(facts, 'kvm').detail).toMatch(/nested or software/);
  });

  it('a host missing netperf is not ready, and the fix names the non-free component', () => {
    const facts = completeHost();
    facts.tools.netperf = { path: null, version: null };
    facts.tools.netserver = { path: null, version: null };
    const r = evaluateHost(facts);
    expect(r.ok).toBe(false);
    const np = check(facts, 'netperf');
    expect(np.status).toBe('missing');
    expect(np.fix).toMatch(/non-free/);
    expect(np.fix).toMatch(/apt-get install -y netperf/);
  });

  it.each([
    ['qemu-system-x86_64', 'apt-get install -y qemu-system-x86'],
    ['ccache', 'apt-get install -y ccache'],
    ['ip', 'apt-get install -y iproute2'],
  ] as const)('missing %s is required and fixed by `%s`', (tool, fix) => {
    const facts = completeHost();
    facts.tools[tool] = { path: null, version: null };
    expect(evaluateHost(facts).ok).toBe(false);
    expect(check(facts, tool).fix).toBe(fix);
  });

  it('a dynamically linked busybox is not enough for the guest', () => {
    const facts = completeHost();
    facts.busyboxStatic = false;
    expect(evaluateHost(facts).ok).toBe(false);
    expect(check(facts, 'busybox').fix).toBe('apt-get install -y busybox-static');
  });

  it('no vhost-net is only a warning; no tun, no privileges, no headers are failures', () => {
    const facts = completeHost();
    facts.vhostNet = { exists: false, openable: false };
    expect(evaluateHost(facts).ok).toBe(true);
    expect(check(facts, 'vhost-net').fix).toBe('modprobe vhost_net');

    for (const breakIt of [
      (f: HostFacts) => (f.tun = { exists: false, openable: false }),
      (f: HostFacts) => {
        f.isRoot = false;
        f.capNetAdmin = false;
      },
      (f: HostFacts) => (f.headers.libelf = false),
      (f: HostFacts) => (f.headers.openssl = false),
    ]) {
      const f = completeHost();
      breakIt(f);
      const r = evaluateHost(f);
      expect(r.ok).toBe(false);
      expect(r.checks.filter((c) => c.status === 'missing').every((c) => typeof c.fix === 'string')).toBe(true);
    }
  });

  it('CAP_NET_ADMIN without root is enough for namespaces', () => {
    const facts = completeHost();
    facts.isRoot = false;
    expect(evaluateHost(facts).ok).toBe(true);
    expect(check(facts, 'netns').detail).toBe('CAP_NET_ADMIN');
  });
});
