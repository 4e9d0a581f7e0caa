import { describe, expect, it } from 'vitest';
import { ccacheRemoteProblem, evaluateSlurm, type SlurmFacts } from '../../../src/core/slurm/doctor.ts';

const settings = { buildPartition: 'build', perfPartition: 'perf', nodes: ['localhost'], sharedDir: '/srv/k', ccacheRemoteStorage: 'redis://127.0.0.1', infraRetries: 3 };
const tools = { sbatch: '/usr/bin/sbatch', squeue: '/usr/bin/squeue', scontrol: '/usr/bin/scontrol', scancel: '/usr/bin/scancel', sinfo: '/usr/bin/sinfo' };
const ready: SlurmFacts = {
  settings,
  tools,
  controller: { up: true, detail: 'Slurmctld(primary) at vm is UP' },
  partitions: [
    { name: 'build', isDefault: true, available: true, nodes: 1, states: ['idle'] },
    { name: 'perf', isDefault: false, available: true, nodes: 1, states: ['alloc'] },
  ],
  nodes: [
    { node: 'localhost', partition: 'build', state: 'idle' },
    { node: 'localhost', partition: 'perf', state: 'idle' },
  ],
  sharedDirJob: { ok: true, detail: 'test job 5 wrote it' },
  ccache: { url: 'redis://127.0.0.1', ok: true, detail: 'PONG' },
};

const failing = (facts: SlurmFacts): string[] => evaluateSlurm(facts).checks.filter((c) => c.status !== 'ok').map((c) => `${c.id}: ${c.detail}`);

describe('evaluateSlurm', () => {
  it('is ready when every check passes', () => {
    const r = evaluateSlurm(ready);
    expect(r.ok).toBe(true);
    expect(r.checks.map((c) => c.id)).toEqual(['slurm-settings', 'slurm-clients', 'slurm-controller', 'slurm-partition-build', 'slurm-partition-perf', 'slurm-nodes', 'slurm-shared-dir', 'ccache-remote']);
  });

  it.each<[string, Partial<SlurmFacts>, string[]]>([
    ['no slurm: block', { settings: null, sharedDirJob: null }, ['slurm-settings: no slurm: block']],
    ['clients missing', { tools: { ...tools, sbatch: null, sinfo: null }, controller: null, partitions: null, nodes: null, sharedDirJob: null }, ['slurm-clients: not on PATH: sbatch, sinfo']],
    ['no controller', { controller: { up: false, detail: 'Slurmctld(primary) at vm is DOWN' }, partitions: null, nodes: null, sharedDirJob: null }, ['slurm-controller: Slurmctld(primary) at vm is DOWN']],
    ['a missing partition', { partitions: [{ name: 'build', isDefault: true, available: true, nodes: 1, states: ['idle'] }] }, ['slurm-partition-perf: no such partition (the controller has: build)']],
    ['a partition down', { partitions: [{ name: 'build', isDefault: true, available: true, nodes: 1, states: ['idle'] }, { name: 'perf', isDefault: false, available: false, nodes: 1, states: ['idle'] }] }, ['slurm-partition-perf: partition is down']],
    ['drained nodes only', { partitions: [{ name: 'build', isDefault: true, available: true, nodes: 1, states: ['idle'] }, { name: 'perf', isDefault: false, available: true, nodes: 2, states: ['drain', 'down*'] }] }, ['slurm-partition-perf: 2 node(s), none usable now (drain, down*)']],
    ['a node not in perf', { settings: { ...settings, nodes: ['perf09'] } }, ['slurm-nodes: not in partition perf: perf09']],
    ['the shared dir not written by the job', { sharedDirJob: { ok: false, detail: 'test job 6 ended FAILED' } }, ['slurm-shared-dir: test job 6 ended FAILED']],
    ['redis not answering', { ccache: { url: 'redis://127.0.0.1', ok: false, detail: '127.0.0.1:6379: connect ECONNREFUSED 127.0.0.1:6379' } }, ['ccache-remote: 127.0.0.1:6379: connect ECONNREFUSED 127.0.0.1:6379']],
  ])('%s', (_what, change, problems) => {
    const facts = { ...ready, ...change };
    expect(failing(facts)).toEqual(problems);
    expect(evaluateSlurm(facts).ok).toBe(false);
  });
});

describe('ccacheRemoteProblem (on `ccache --version` as Debian 12 and older ccaches print it)', () => {
  const debian = 'ccache version 4.7.5\nFeatures: file-storage http-storage redis+unix-storage redis-storage\n\nCopyright (C) 2002-2007 Andrew Tridgell\n';
  it.each([
    ['Debian 4.7.5 with redis', debian, 'redis://127.0.0.1:6379', null],
    ['Debian 4.7.5 with http', debian, 'http://cache:8080/ccache', null],
    ['a build without redis', 'ccache version 4.8\nFeatures: file-storage http-storage\n', 'redis://h', 'this ccache 4.8 was built without redis-storage (Features: file-storage http-storage)'],
    ['ccache 3.7', 'ccache version 3.7.12\n', 'redis://h', 'ccache 3.7 has no remote storage (4.4 or newer needed)'],
    ['no ccache', null, 'redis://h', 'ccache not found on PATH: build jobs would compile without it'],
  ])('%s', (_name, version, url, problem) => {
    expect(ccacheRemoteProblem(version, url)).toBe(problem);
  });
});
