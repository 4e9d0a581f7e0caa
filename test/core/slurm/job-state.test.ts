import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isUnknownJobError, parseScontrolJob, parseSinfoNodes, parseSinfoPartitions, parseSqueue, phaseOf } from '../../../src/core/slurm/job-state.ts';

// recorded from slurm-wlm 22.05.8 on the local cluster (scripts/slurm-local.sh)
const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'slurm', name), 'utf8');

describe('parseScontrolJob (scontrol show job -o ID)', () => {
  it.each([
    ['scontrol-pending.txt', { jobId: '2', state: 'PENDING', phase: 'queued', reason: 'Resources', exitCode: 0, exitSignal: null, node: null }],
    ['scontrol-running.txt', { jobId: '1', state: 'RUNNING', phase: 'running', reason: null, exitCode: 0, exitSignal: null, node: 'localhost' }],
    ['scontrol-completed.txt', { jobId: '1', state: 'COMPLETED', phase: 'ended', reason: null, exitCode: 0, exitSignal: null, node: 'localhost' }],
    ['scontrol-failed.txt', { jobId: '3', state: 'FAILED', phase: 'ended', reason: 'NonZeroExitCode', exitCode: 3, exitSignal: null, node: 'localhost' }],
    ['scontrol-cancelled.txt', { jobId: '2', state: 'CANCELLED', phase: 'ended', reason: 'Resources', exitCode: 0, exitSignal: null, node: null }],
    ['scontrol-cancelled-running.txt', { jobId: '4', state: 'CANCELLED', phase: 'ended', reason: null, exitCode: 0, exitSignal: 15, node: 'localhost' }],
  ])('%s', (file, expected) => {
    expect(parseScontrolJob(fixture(file))).toEqual(expected);
  });

  it('is null for what is not a job record', () => {
    expect(parseScontrolJob(fixture('scontrol-invalid.stderr'))).toBeNull();
    expect(parseScontrolJob('')).toBeNull();
  });

  it('knows the answer for a job the controller forgot', () => {
    expect(isUnknownJobError(fixture('scontrol-invalid.stderr'))).toBe(true);
    expect(isUnknownJobError('slurm_load_jobs error: Unable to contact slurm controller (connect failure)')).toBe(false);
  });
});

describe('phaseOf', () => {
  it.each([
    ['PENDING', 'queued'],
    ['REQUEUED', 'queued'],
    ['SUSPENDED', 'queued'],
    ['RUNNING', 'running'],
    ['COMPLETING', 'running'],
    ['COMPLETED', 'ended'],
    ['CANCELLED', 'ended'],
    ['CANCELLED by 0', 'ended'],
    ['TIMEOUT', 'ended'],
    ['NODE_FAIL', 'ended'],
    ['PREEMPTED', 'ended'],
    ['OUT_OF_MEMORY', 'ended'],
  ])('%s is %s', (state, phase) => {
    expect(phaseOf(state)).toBe(phase);
  });
});

describe('parseSqueue (squeue -h -o %i|%T|%j|%r|%N)', () => {
  it('reads a running and a pending job', () => {
    expect(parseSqueue(fixture('squeue-active.txt'))).toEqual([
      { jobId: '2', state: 'PENDING', phase: 'queued', name: 'kbisect-test', reason: 'Resources', node: null },
      { jobId: '1', state: 'RUNNING', phase: 'running', name: 'kbisect-test', reason: null, node: 'localhost' },
    ]);
  });
  it('skips lines that are not jobs', () => {
    expect(parseSqueue('slurm_load_jobs error: Invalid job id specified\n\n')).toEqual([]);
  });
});

describe('sinfo', () => {
  it('reads the partitions, the default one marked', () => {
    expect(parseSinfoPartitions(fixture('sinfo-partitions.txt'))).toEqual([
      { name: 'build', isDefault: true, available: true, nodes: 1, states: ['idle'] },
      { name: 'perf', isDefault: false, available: true, nodes: 1, states: ['idle'] },
    ]);
  });
  it('merges the lines of one partition in several node states', () => {
    expect(parseSinfoPartitions('perf|up|2|idle|n[1-2]\nperf|up|1|drain|n3\n')).toEqual([{ name: 'perf', isDefault: false, available: true, nodes: 3, states: ['idle', 'drain'] }]);
  });
  it('reads the nodes per partition', () => {
    expect(parseSinfoNodes(fixture('sinfo-nodes.txt'))).toEqual([
      { node: 'localhost', partition: 'build', state: 'idle' },
      { node: 'localhost', partition: 'perf', state: 'idle' },
    ]);
  });
});
