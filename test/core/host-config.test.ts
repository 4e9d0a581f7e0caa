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

  it('reads an executor: slurm with its block, defaults filled in', () => {
    expect(validateHostConfig({ executor: 'slurm', slurm: { sharedDir: '/srv/kbisect', nodes: ['perf01'], qos: 'high' } }, 'h').config).toEqual({
      ...defaultHostConfig,
      executor: 'slurm',
      slurm: { buildPartition: 'build', perfPartition: 'perf', sharedDir: '/srv/kbisect', nodes: ['perf01'], qos: 'high', infraRetries: 3 },
    });
  });

  it.each([
    ['an unknown executor', { executor: 'k8s' }, 'h: executor: expected one of local, slurm, got "k8s"'],
    ['executor: slurm without its block', { executor: 'slurm' }, 'h: slurm: required with executor: slurm: expected a mapping with at least sharedDir'],
    ['a relative shared dir', { slurm: { sharedDir: 'shared' } }, 'h: slurm.sharedDir: expected an absolute path seen by the submitter and every worker, got "shared"'],
    ['a partition with shell syntax', { slurm: { sharedDir: '/s', perfPartition: 'perf;rm' } }, 'h: slurm.perfPartition: expected a Slurm partition name such as "perf", got "perf;rm"'],
    ['nodes and a constraint', { slurm: { sharedDir: '/s', nodes: ['a'], constraint: 'perf' } }, 'h: slurm.constraint: expected either nodes or constraint, got both'],
    ['a ccache URL without scheme', { slurm: { sharedDir: '/s', ccacheRemoteStorage: '127.0.0.1' } }, 'h: slurm.ccacheRemoteStorage: expected a ccache remote storage URL such as "redis://host:6379", got "127.0.0.1"'],
    ['a relative worker dir', { slurm: { sharedDir: '/s', workerDir: 'work' } }, 'h: slurm.workerDir: expected an absolute path on every worker, got "work"'],
  ])('refuses %s', (_kind, raw, message) => {
    expect(validateHostConfig(raw, 'h')).toEqual({ errors: [message] });
  });
});
