import { describe, expect, it } from 'vitest';
import { concludeProbe, planAccel, TCG_WARNING } from '../../src/core/accel.ts';
import { defaultHostConfig, validateHostConfig } from '../../src/core/host-config.ts';

const usable = { usable: true, detail: 'openable' };
const absent = { usable: false, detail: '/dev/kvm is absent' };

describe('planAccel', () => {
  it('probes once under auto when /dev/kvm opens, then follows the cached answer', () => {
    expect(planAccel('auto', usable, undefined)).toEqual({ kind: 'probe' });
    expect(planAccel('auto', usable, concludeProbe({ ready: true, readyMs: 412 }))).toMatchObject({ kind: 'use', accel: 'kvm' });
    const tcg = planAccel('auto', usable, concludeProbe({ ready: false, why: 'no ready marker within 10.0 s (hung?)' }));
    expect(tcg).toMatchObject({ kind: 'use', accel: 'tcg', warning: TCG_WARNING });
    expect(tcg.kind === 'use' && tcg.reason).toContain('no ready marker within 10.0 s');
  });

  it('falls back to TCG without probing when /dev/kvm cannot be used', () => {
    expect(planAccel('auto', absent, undefined)).toMatchObject({ kind: 'use', accel: 'tcg', warning: TCG_WARNING });
  });

  it('obeys an explicit choice, refusing KVM without /dev/kvm', () => {
    expect(planAccel('tcg', usable, undefined)).toMatchObject({ kind: 'use', accel: 'tcg' });
    expect(planAccel('kvm', usable, undefined)).toMatchObject({ kind: 'use', accel: 'kvm' });
    expect(planAccel('kvm', absent, undefined)).toMatchObject({ kind: 'refuse' });
  });
});

describe('validateHostConfig', () => {
  it('uses the defaults for a missing or empty file', () => {
    expect(validateHostConfig(null, 'host.yaml')).toEqual({ config: defaultHostConfig, errors: [] });
  });

  it('reads the settings and reports every problem', () => {
    expect(validateHostConfig({ accel: 'tcg', bootTimeoutS: 10 }, 'h')).toEqual({ config: { ...defaultHostConfig, accel: 'tcg', bootTimeoutS: 10 }, errors: [] });
    expect(validateHostConfig({ accel: 'hvf', bootTimeoutS: -1, extra: 1 }, 'h').errors).toEqual([
      'h: extra: unknown key (expected one of: accel, bootTimeoutS, probeTimeoutS, tcgCpu, tcgSkipLapicCalibration, executor, slurm)',
      'h: accel: expected one of auto, kvm, tcg, got "hvf"',
      'h: bootTimeoutS: expected a number of seconds between 0 and 3600, got -1',
    ]);
  });
});
