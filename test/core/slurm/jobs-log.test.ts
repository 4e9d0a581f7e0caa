import { describe, expect, it } from 'vitest';
import { countJobs, openJobs, parseJobRecord, type JobRecord } from '../../../src/core/slurm/jobs-log.ts';

const at = '2026-11-30T00:00:00.000Z';
const sub = (jobId: string, commit = 'c1'): JobRecord => ({ kind: 'submitted', jobId, commit, jobDir: `/s/${jobId}`, at });
const end = (jobId: string, as: 'sample' | 'infra' | 'cancelled' | 'skip'): JobRecord => ({ kind: 'ended', jobId, as, state: 'COMPLETED', reason: null, at });

describe('openJobs', () => {
  it('is the jobs submitted and never ended, in submission order (what a run after kill -9 re-attaches to)', () => {
    const log = [sub('1'), sub('2'), end('1', 'sample'), sub('3', 'c2'), { kind: 'reattached', jobId: '2', state: 'RUNNING', at } as JobRecord];
    expect(openJobs(log)).toEqual([
      { jobId: '2', commit: 'c1', jobDir: '/s/2', role: 'sample' },
      { jobId: '3', commit: 'c2', jobDir: '/s/3', role: 'sample' },
    ]);
  });
  it('is empty when every job ended', () => {
    expect(openJobs([sub('1'), end('1', 'infra'), sub('2'), end('2', 'sample')])).toEqual([]);
  });
});

describe('countJobs', () => {
  it('counts infra errors apart from samples', () => {
    const log = [sub('1'), end('1', 'infra'), sub('2'), { kind: 'reattached', jobId: '2', state: 'PENDING', at } as JobRecord, end('2', 'sample'), sub('3'), end('3', 'skip'), sub('4'), end('4', 'cancelled'), sub('5')];
    expect(countJobs(log)).toEqual({ submitted: 5, reattached: 1, samples: 2, builds: 0, infra: 1, cancelled: 1, open: 1 });
  });
  it('counts kernel builds apart from samples', () => {
    const log: JobRecord[] = [{ ...sub('1'), role: 'build' } as JobRecord, { kind: 'ended', jobId: '1', as: 'built', state: 'COMPLETED', reason: null, at }, { ...sub('2'), role: 'measure' } as JobRecord, end('2', 'sample')];
    expect(countJobs(log)).toEqual({ submitted: 2, reattached: 0, samples: 1, builds: 1, infra: 0, cancelled: 0, open: 0 });
  });
});

describe('job roles', () => {
  it('keeps the role of kernel jobs (what a run after kill -9 re-attaches them as); older logs have samples only', () => {
    const log = [parseJobRecord({ kind: 'submitted', jobId: '1', commit: 'c', jobDir: '/d', at, role: 'build' }), parseJobRecord({ kind: 'submitted', jobId: '2', commit: 'c', jobDir: '/e', at })].filter((r): r is JobRecord => r !== null);
    expect(openJobs(log).map((j) => j.role)).toEqual(['build', 'sample']);
  });
  it('keeps the node a job was pinned to (with several measurement hosts each re-attaches only its own)', () => {
    const log = [parseJobRecord({ kind: 'submitted', jobId: '1', commit: 'c', jobDir: '/d', at, role: 'measure', node: 'perf2' }), parseJobRecord({ kind: 'submitted', jobId: '2', commit: 'c', jobDir: '/e', at })].filter((r): r is JobRecord => r !== null);
    expect(openJobs(log).map((j) => j.node)).toEqual(['perf2', undefined]);
  });
  it('refuses an unknown role', () => {
    expect(parseJobRecord({ kind: 'submitted', jobId: '1', commit: 'c', jobDir: '/d', at, role: 'rm -rf' })).toBeNull();
  });
});

describe('parseJobRecord', () => {
  it.each([
    [{ kind: 'submitted', jobId: '7', commit: 'c', jobDir: '/d', at }, sub('7', 'c')],
    [{ kind: 'submitted', jobId: '7;x', commit: 'c', jobDir: '/d', at }, null],
    [{ kind: 'ended', jobId: '7', as: 'lost', at }, null],
    [{ kind: 'ended', jobId: '7', as: 'infra', state: 'CANCELLED', reason: null, at }, { kind: 'ended', jobId: '7', as: 'infra', state: 'CANCELLED', reason: null, at }],
    ['x', null],
  ])('%j', (raw, expected) => {
    expect(parseJobRecord(raw)).toEqual(expected === null ? null : { ...expected, ...(expected.kind === 'submitted' ? { jobDir: '/d' } : {}) });
  });
});
