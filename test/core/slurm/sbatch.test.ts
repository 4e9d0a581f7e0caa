import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSbatchArgs, measurementPlacement, parseSbatchParsable } from '../../../src/core/slurm/sbatch.ts';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'slurm', name), 'utf8');

const base = { script: '/srv/k/jobs/a/job.sh', partition: 'perf', jobName: 'kbisect-1', stdoutPath: '/srv/k/jobs/a/slurm.out', stderrPath: '/srv/k/jobs/a/slurm.err', chdir: '/srv/k/jobs/a' };

describe('buildSbatchArgs', () => {
  it('builds a measurement job: parsable, exclusive, pinned, output into the shared directory, the script last', () => {
    expect(buildSbatchArgs({ ...base, exclusive: true, nodelist: 'perf01', account: 'lab', qos: 'high', timeLimitMin: 31.5 })).toEqual([
      '--parsable',
      '--partition=perf',
      '--job-name=kbisect-1',
      '--output=/srv/k/jobs/a/slurm.out',
      '--error=/srv/k/jobs/a/slurm.err',
      '--chdir=/srv/k/jobs/a',
      '--exclusive',
      '--nodelist=perf01',
      '--account=lab',
      '--qos=high',
      '--time=32',
      '/srv/k/jobs/a/job.sh',
    ]);
  });

  it('keeps each value one argument, whatever it holds (no shell in between)', () => {
    const args = buildSbatchArgs({ ...base, exclusive: false, chdir: "/srv/it's here; rm -rf /", constraint: 'perf&numa2' });
    expect(args).toContain("--chdir=/srv/it's here; rm -rf /");
    expect(args).toContain('--constraint=perf&numa2');
    expect(args).not.toContain('--exclusive');
  });

  it('never lets a script path read as an option', () => {
    expect(buildSbatchArgs({ ...base, exclusive: false, script: '-job.sh' }).at(-1)).toBe('./-job.sh');
  });
});

describe('measurementPlacement', () => {
  const s = { buildPartition: 'build', perfPartition: 'perf', sharedDir: '/srv/k', infraRetries: 3 };
  it.each([
    ['nodes: the first one (a single-host bisection, a sweep, a comparison)', { ...s, nodes: ['n2', 'n3'] }, { partition: 'perf', exclusive: true, nodelist: 'n2' }],
    ['a constraint', { ...s, constraint: 'perf' }, { partition: 'perf', exclusive: true, constraint: 'perf' }],
    ['account and qos', { ...s, account: 'a', qos: 'q' }, { partition: 'perf', exclusive: true, account: 'a', qos: 'q' }],
  ])('%s', (_what, settings, expected) => {
    expect(measurementPlacement(settings)).toEqual(expected);
  });
  it('pins a job to the measurement host it is for (several hosts measure at once)', () => {
    expect(measurementPlacement({ ...s, nodes: ['n2', 'n3'] }, 'n3')).toEqual({ partition: 'perf', exclusive: true, nodelist: 'n3' });
  });
});

describe('parseSbatchParsable', () => {
  it('reads the id sbatch --parsable printed on the local cluster', () => {
    expect(parseSbatchParsable(fixture('sbatch-parsable.txt'))).toEqual({ jobId: '1', cluster: null });
  });
  it.each([
    ['12345;cluster-a\n', { jobId: '12345', cluster: 'cluster-a' }],
    ['', null],
    ['Submitted batch job 7\n', null],
  ])('%j', (out, expected) => {
    expect(parseSbatchParsable(out)).toEqual(expected);
  });
  it('finds no id in what sbatch says for a wrong partition', () => {
    expect(parseSbatchParsable(fixture('sbatch-bad-partition.stdout'))).toBeNull();
    expect(fixture('sbatch-bad-partition.stderr')).toMatch(/invalid partition/);
  });
});
