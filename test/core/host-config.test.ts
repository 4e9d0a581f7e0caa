import { describe, expect, it } from 'vitest';
import { defaultHostConfig, validateHostConfig } from '../../src/core/host-config.ts';

describe('validateHostConfig', () => {
  it.each([null, undefined, {}])('uses every default for %j (a missing or empty host.yaml)', (raw) => {
    expect(validateHostConfig(raw, 'h')).toEqual({ config: defaultHostConfig, errors: [] });
  });

  it('keeps what is set and fills in the rest', () => {
    expect(validateHostConfig({ tcgCpu: 'qemu64,+ssse3', probeTimeoutS: 2.5 }, 'h').config).toEqual({
      ...defaultHostConfig,
      tcgCpu: 'qemu64,+ssse3',
      probeTimeoutS: 2.5,
    });
  });

  it.each([
    ['not a mapping', ['kvm'], 'h: expected a mapping of settings, got ["kvm"]'],
    ['a near miss', { acel: 'kvm' }, 'h: acel: unknown key (did you mean "accel"?)'],
    ['a timeout of 0', { probeTimeoutS: 0 }, 'h: probeTimeoutS: expected a number of seconds between 0 and 3600, got 0'],
    ['a CPU model with a space', { tcgCpu: 'max x' }, 'h: tcgCpu: expected a QEMU CPU model such as "max", got "max x"'],
    ['a word for a boolean', { tcgSkipLapicCalibration: 'yes' }, 'h: tcgSkipLapicCalibration: expected true or false, got "yes"'],
  ])('refuses %s', (_kind, raw, message) => {
    expect(validateHostConfig(raw, 'h')).toEqual({ errors: [message] });
  });
});
