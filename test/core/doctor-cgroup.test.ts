import { describe, expect, it } from 'vitest';
import { evaluateHost, toolNames, type HostFacts, type ToolFact, type ToolName } from '../../src/core/doctor.ts';

function host(cpuCgroup: HostFacts['cpuCgroup']): HostFacts {
  const tools = Object.fromEntries(toolNames.map((t) => [t, { path: `/usr/bin/${t}`, version: '1' }])) as Record<ToolName, ToolFact>;
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
    ...(cpuCgroup === undefined ? {} : { cpuCgroup }),
  };
}

describe('doctor: the cgroup cpu controller (conditions.qos)', () => {
  it('names the hierarchy that has it', () => {
    const c = evaluateHost(host({ version: 1, path: '/sys/fs/cgroup/cpu' })).checks.find((x) => x.id === 'cgroup-cpu');
    expect(c).toMatchObject({ status: 'ok', required: false, detail: 'cgroup v1 at /sys/fs/cgroup/cpu' });
  });

  it('warns (not required) with the fix when no hierarchy has it', () => {
    const r = evaluateHost(host(null));
    expect(r.checks.find((x) => x.id === 'cgroup-cpu')).toMatchObject({ status: 'warn', required: false, fix: expect.stringContaining('+cpu') });
    expect(r.ok).toBe(true);
  });

  it('is left out when the fact was not gathered', () => {
    expect(evaluateHost(host(undefined)).checks.some((x) => x.id === 'cgroup-cpu')).toBe(false);
  });
});
