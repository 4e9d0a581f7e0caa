import { describe, expect, it } from 'vitest';
import { formatBoot } from '../../src/cli/commands/measure.ts';
import { formatCleanupReport, formatProbeReport } from '../../src/cli/commands/doctor.ts';
import type { BootOutcome } from '../../src/core/measure/types.ts';

describe('measure output', () => {
  it('prints a boot with its runs, their median and the warm-up apart, in kbisect\'s unit names even from an old record', () => {
    const boot: BootOutcome = {
      kind: 'ok',
      bootIndex: 0,
      readyMs: 812,
      timings: { readyMs: 812, guestUptimeAtReadyS: 0.6, totalMs: 32_500, netperfMs: 30_000, overheadMs: 2500 },
      tests: [{ test: 'rr', type: 'TCP_RR', metric: 'transaction-rate', unit: 'Trans/s', higherIsBetter: true, runs: [5836.2, 5914.9, 5908], warmup: [2780.4], records: [] }],
    };
    expect(formatBoot(boot, 3)).toBe(
      'boot 1/3: ready 0.81 s, total 33 s, overhead beyond netperf 2.5 s\n' +
        '    rr  transaction-rate (trans/s)  5836 5915 5908  median 5908  warm-up 2780',
    );
  });

  it('prints a failed boot with the end of its console', () => {
    const boot: BootOutcome = { kind: 'boot-failed', bootIndex: 1, phase: 'boot', reason: 'kernel panic: Kernel panic - not syncing: VFS', consoleTail: 'a\nKernel panic - not syncing: VFS' };
    expect(formatBoot(boot, 2)).toBe('boot 2/2: FAILED (boot): kernel panic: Kernel panic - not syncing: VFS\n    | a\n    | Kernel panic - not syncing: VFS');
  });
});

describe('doctor --probe and --cleanup output', () => {
  it('says which accelerator booted the kernel', () => {
    const text = formatProbeReport({
      kernelImage: '/b/vmlinux',
      pvh: true,
      kvm: { ready: false, why: 'no ready marker under KVM within 10.0 s (hung?)' },
      tcg: { ready: true, readyMs: 812 },
      accel: 'tcg',
      reason: 'boot probe: KVM cannot run the guest here',
    });
    expect(text).toContain('KVM  FAILED  no ready marker under KVM within 10.0 s (hung?)');
    expect(text).toContain('TCG  ok      ready marker after 0.81 s');
    expect(text).toContain('accel auto → TCG');
  });

  it('lists what was removed and what was kept', () => {
    expect(formatCleanupReport({ removedNamespaces: [], removedRunDirs: [], removedCgroups: [], kept: [], errors: [] })).toMatch(/^nothing to clean up/);
    expect(
      formatCleanupReport({
        removedNamespaces: [{ name: 'kbisect-100-aaaaaa', why: 'owner pid 100 is gone', killedPids: [123] }],
        removedRunDirs: [],
        removedCgroups: [{ name: '/sys/fs/cgroup/cpu/kbisect-100-cccccc', why: 'owner pid 100 is gone' }],
        kept: [{ name: 'kbisect-200-bbbbbb', why: 'run still going (pid 200)' }],
        errors: [],
      }),
    ).toBe(
      [
        '  removed  kbisect-100-aaaaaa                     owner pid 100 is gone; killed pid 123',
        '  removed  /sys/fs/cgroup/cpu/kbisect-100-cccccc  qos cgroup: owner pid 100 is gone',
        '  kept     kbisect-200-bbbbbb                     run still going (pid 200)',
      ].join('\n'),
    );
  });
});
