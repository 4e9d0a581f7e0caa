import { describe, expect, it } from 'vitest';
import { backgroundPrefix, parseAllowedCpus, parseCpuList, partitionCpus } from '../../src/core/cpu-partition.ts';

describe('cpu lists', () => {
  it('reads ranges and single CPUs, sorted, without duplicates', () => {
    expect(parseCpuList('0-3,6,8-9')).toEqual([0, 1, 2, 3, 6, 8, 9]);
    expect(parseCpuList('1,0,1')).toEqual([0, 1]);
    expect(parseCpuList('5\n')).toEqual([5]);
  });
  it('refuses what is not a cpu list', () => {
    expect(() => parseCpuList('0-x')).toThrow(/not a cpu list/);
    expect(() => parseCpuList('3-1')).toThrow(/not a cpu list/);
    expect(() => parseCpuList('0-99999999')).toThrow(/not a cpu list/);
  });
  it('reads Cpus_allowed_list from /proc/self/status, null when absent or torn', () => {
    expect(parseAllowedCpus('Name:\tnode\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\nMems_allowed:\t1\n')).toEqual([0, 1]);
    expect(parseAllowedCpus('Name:\tnode\n')).toBeNull();
    expect(parseAllowedCpus('Cpus_allowed_list:\t0-\n')).toBeNull();
  });
});

describe('partitionCpus', () => {
  it('gives a one-vCPU guest the last CPU and the build the rest', () => {
    expect(partitionCpus([0, 1], 1)).toEqual({ build: [0], guest: [1] });
    expect(partitionCpus([0, 1, 2, 3], 1)).toEqual({ build: [0, 1, 2], guest: [3] });
    expect(partitionCpus([2, 5, 7], 2)).toEqual({ build: [2], guest: [5, 7] });
  });
  it('always leaves one CPU to the build, and has nothing to split on one CPU', () => {
    expect(partitionCpus([0, 1], 4)).toEqual({ build: [0], guest: [1] });
    expect(partitionCpus([3], 1)).toBeNull();
    expect(partitionCpus([], 1)).toBeNull();
  });
  it('runs a background build niced, on its CPUs when there are any', () => {
    expect(backgroundPrefix([0])).toEqual(['nice', '-n', '19', 'taskset', '-c', '0']);
    expect(backgroundPrefix([0, 1, 2])).toEqual(['nice', '-n', '19', 'taskset', '-c', '0,1,2']);
    expect(backgroundPrefix(null)).toEqual(['nice', '-n', '19']);
  });
});
