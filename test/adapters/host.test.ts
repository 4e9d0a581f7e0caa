import { describe, expect, it } from 'vitest';
import { gatherHostFacts, parseCapNetAdmin, parseCpuFlags } from '../../src/adapters/host.ts';
import { isStaticElf } from '../../src/adapters/elf.ts';
import { evaluateHost, toolNames } from '../../src/core/doctor.ts';

describe('parsers of /proc', () => {
  it('reads cpu flags of the first processor', () => {
    const cpuinfo = 'processor\t: 0\nflags\t\t: fpu vme sse2 hypervisor avx\nprocessor\t: 1\nflags\t\t: fpu vmx\n';
    expect(parseCpuFlags(cpuinfo)).toEqual({ vmx: false, svm: false, hypervisor: true });
    expect(parseCpuFlags('flags : fpu vmx\n')).toEqual({ vmx: true, svm: false, hypervisor: false });
    expect(parseCpuFlags('')).toEqual({ vmx: false, svm: false, hypervisor: false });
  });
  it('reads CAP_NET_ADMIN (bit 12) from CapEff', () => {
    expect(parseCapNetAdmin('CapEff:\t000001fffeffffff\n')).toBe(true);
    expect(parseCapNetAdmin('CapEff:\t0000000000001000\n')).toBe(true);
    expect(parseCapNetAdmin('CapEff:\t0000000000000fff\n')).toBe(false);
    expect(parseCapNetAdmin('')).toBe(false);
  });
});

// This machine was set up by scripts/setup-host.sh: every tool is there, and its
// /dev/kvm is a nested software hypervisor (hypervisor flag, no vmx/svm).
// KBISECT_EXPECT_KVM=hardware runs the same test on a bare-metal host.
describe('doctor on this host (real probes)', () => {
  it('finds every tool and classifies /dev/kvm', async () => {
    const facts = await gatherHostFacts();
    for (const t of toolNames) {
      expect(facts.tools[t].path, `${t} on PATH`).toMatch(/^\//);
      expect(facts.tools[t].version, `${t} version`).toBeTruthy();
    }
    expect(facts.busyboxStatic).toBe(true);
    expect(facts.kvm.exists).toBe(true);
    expect(facts.kvm.openable).toBe(true);
    const report = evaluateHost(facts);
    expect(report.ok).toBe(true);
    const expected = process.env.KBISECT_EXPECT_KVM ?? 'nested-or-software';
    expect(report.kvm).toBe(expected);
    expect(report.accel).toBe(expected === 'hardware' ? 'kvm' : 'tcg');
  });

  it('tells static from dynamic ELF binaries', async () => {
    expect(await isStaticElf('/bin/busybox')).toBe(true);
    expect(await isStaticElf(process.execPath)).toBe(false);
    expect(await isStaticElf('/etc/os-release')).toBe(null);
  });
});
