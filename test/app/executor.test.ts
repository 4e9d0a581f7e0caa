// The executor choice every measuring command shares (app/executor.ts), the
// jobs-log summary its --json carries, and how a Slurm job's detail names the
// machine a sweep files a sample under.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseExecutor, measurementHosts, type Executor, openSlurmJobs, summarizeExecutor, summarizeSlurmJobs } from '../../src/app/executor.ts';
import { measureJobDetail, type MeasureJobResult } from '../../src/app/bisect/slurm-kernel-jobs.ts';
import { checkJobNode } from '../../src/app/bisect/slurm-jobs.ts';
import { hostOfDetail } from '../../src/app/sweep/hosts.ts';
import { UserError } from '../../src/core/errors.ts';
import type { EventDetail } from '../../src/core/session.ts';
import { useTempDir } from '../helpers/temp-dir.ts';

const tmp = useTempDir('kbisect-executor-');
const hostYaml = (name: string, text: string | null): string => {
  const path = join(tmp.path, `${name}.yaml`);
  if (text !== null) writeFileSync(path, text);
  return path;
};
const SLURM = 'slurm:\n  sharedDir: /srv/kbisect\n  nodes: [perf01]\n';

describe('chooseExecutor', () => {
  it.each([
    ['no host.yaml, no option', null, undefined, 'local'],
    ['no host.yaml, --executor local', null, 'local', 'local'],
    ["host.yaml's executor: slurm", `executor: slurm\n${SLURM}`, undefined, 'slurm'],
    ["--executor local over host.yaml's slurm", `executor: slurm\n${SLURM}`, 'local', 'local'],
    ['--executor slurm with a slurm: block', SLURM, 'slurm', 'slurm'],
    ['a slurm: block alone does not make it the default', SLURM, undefined, 'local'],
  ] as const)('%s: %s', async (name, text, wanted, kind) => {
    const executor = await chooseExecutor(wanted, hostYaml(name.replace(/\W+/g, '-'), text));
    expect(executor.kind).toBe(kind);
    if (executor.kind === 'slurm') expect(executor.settings).toMatchObject({ sharedDir: '/srv/kbisect', nodes: ['perf01'], perfPartition: 'perf', infraRetries: 3 });
  });

  it('--executor slurm without the settings: what is missing and how to add it', async () => {
    const error = await chooseExecutor('slurm', hostYaml('bare', 'accel: tcg\n')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe('--executor slurm needs the cluster settings: a `slurm:` block in host.yaml (at least sharedDir)');
    expect((error as UserError).hint).toContain('kbisect doctor --executor slurm');
  });

  it('--executor local never reads host.yaml (a broken one does not stop it)', async () => {
    expect(await chooseExecutor('local', hostYaml('broken', 'executor: [nonsense\n'))).toEqual({ kind: 'local' });
    await expect(chooseExecutor(undefined, hostYaml('broken', 'executor: [nonsense\n'))).rejects.toThrow(/not valid YAML/);
  });
});

describe('summarizeSlurmJobs', () => {
  const at = '2026-01-01T00:00:00Z';
  const log = (dir: string, records: object[]): string => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'slurm-jobs.jsonl'), records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    return dir;
  };

  it('sums a sweep log and its bisections\' logs, naming every one', async () => {
    const sweep = log(join(tmp.path, 'sweep'), [
      { kind: 'submitted', jobId: '1', commit: 'a', jobDir: '/j/1', at },
      { kind: 'ended', jobId: '1', as: 'sample', state: 'COMPLETED', reason: null, at },
      { kind: 'submitted', jobId: '2', commit: 'a', jobDir: '/j/2', at },
      { kind: 'ended', jobId: '2', as: 'infra', state: 'CANCELLED', reason: null, at },
      { kind: 'submitted', jobId: '3', commit: 'b', jobDir: '/j/3', at },
    ]);
    const bisection = log(join(sweep, 'bisections', 'x'), [
      { kind: 'submitted', jobId: '4', commit: 'c', jobDir: '/j/4', at },
      { kind: 'reattached', jobId: '4', state: 'RUNNING', at },
      { kind: 'ended', jobId: '4', as: 'sample', state: null, reason: null, at },
    ]);
    const missing = join(tmp.path, 'never-ran');
    expect(await summarizeSlurmJobs([sweep, bisection, missing])).toEqual({
      kind: 'slurm',
      jobsLog: join(sweep, 'slurm-jobs.jsonl'),
      jobsLogs: [join(sweep, 'slurm-jobs.jsonl'), join(bisection, 'slurm-jobs.jsonl'), join(missing, 'slurm-jobs.jsonl')],
      submitted: 4,
      reattached: 1,
      samples: 2,
      builds: 0,
      infra: 1,
      cancelled: 0,
      open: 1,
    });
    // one log: named alone, as run --json always did
    expect(await summarizeSlurmJobs(bisection)).not.toHaveProperty('jobsLogs');
    expect(await summarizeExecutor({ kind: 'local' }, sweep)).toBeUndefined();
    expect((await openSlurmJobs({ kind: 'slurm', settings: { buildPartition: 'b', perfPartition: 'p', sharedDir: '/s', infraRetries: 3 } }, sweep)).map((j) => j.jobId)).toEqual(['3']);
    expect(await openSlurmJobs({ kind: 'local' }, sweep)).toEqual([]);
  });
});

describe("the machine a sweep files a sample under", () => {
  const local = { facts: { cpuModel: 'Local CPU', hostKernel: '6.1.0-local', qemuVersion: 'QEMU emulator version 8.2.2' }, machine: 'submitter' };
  const job = { executor: 'slurm' as const, id: '17', node: 'perf01', infraRetries: 0 };

  it('a local boot: its fingerprint id, this machine and its facts', () => {
    const detail: EventDetail = { source: 'boot', imageHash: 'i', bootIndex: 0, host: 'abcdef0123456789', accel: 'kvm' };
    expect(hostOfDetail(detail, local)).toEqual({ id: 'abcdef0123456789', machine: 'submitter', cpuModel: 'Local CPU', hostKernel: '6.1.0-local', qemuVersion: 'QEMU emulator version 8.2.2', accel: 'kvm' });
  });

  it("a boot in a Slurm measurement job: the worker's node and facts", () => {
    const detail: EventDetail = { source: 'boot', imageHash: 'i', bootIndex: 0, host: '0123456789abcdef', accel: 'tcg', job: { ...job, cpuModel: 'Worker CPU', hostKernel: '6.12.0-worker', qemuVersion: 'QEMU emulator version 9.2.0' } };
    expect(hostOfDetail(detail, local)).toEqual({ id: '0123456789abcdef', machine: 'perf01', cpuModel: 'Worker CPU', hostKernel: '6.12.0-worker', qemuVersion: 'QEMU emulator version 9.2.0', accel: 'tcg' });
  });

  it("a command sample in a Slurm job: the worker's node and facts, a fingerprint of its own", () => {
    const detail = (cpuModel: string): EventDetail => ({ source: 'command', exitCode: 0, durationMs: 5, stderrTail: '', job: { ...job, cpuModel, hostKernel: '6.12.0-worker' } });
    const host = hostOfDetail(detail('Worker CPU'), local);
    expect(host).toMatchObject({ machine: 'perf01', cpuModel: 'Worker CPU', hostKernel: '6.12.0-worker', accel: 'none' });
    expect(host?.id).toMatch(/^[0-9a-f]{16}$/);
    // the same worker twice: the same fingerprint; another CPU: another one (a new epoch)
    expect(hostOfDetail(detail('Worker CPU'), local)?.id).toBe(host?.id);
    expect(hostOfDetail(detail('Other CPU'), local)?.id).not.toBe(host?.id);
  });

  it('a local command sample or a build failure does not say: null (the caller keeps what it knows)', () => {
    expect(hostOfDetail({ source: 'command', exitCode: 0, durationMs: 5, stderrTail: '' }, local)).toBeNull();
    expect(hostOfDetail({ source: 'build', logPath: '/l', logTail: '' }, local)).toBeNull();
    expect(hostOfDetail(undefined, local)).toBeNull();
  });

  it("a measurement job's detail carries the worker's facts from its kbisect measure --json", () => {
    const m = {
      job: { jobId: '42', commit: 'c', jobDir: '/j', role: 'measure' },
      node: 'perf01',
      infraErrors: 1,
      wallMs: 1,
      output: { hostFingerprint: { id: 'h', cpuModel: 'Worker CPU', hostKernel: '6.12.0-worker', qemuVersion: 'QEMU 9', cpuCount: 8 }, accel: 'kvm', accelReason: '', profileHash: 'p', kernel: { imageHash: 'i' }, boots: [], warnings: [] },
    } as unknown as MeasureJobResult;
    expect(measureJobDetail(m)).toEqual({ executor: 'slurm', id: '42', node: 'perf01', infraRetries: 1, cpuModel: 'Worker CPU', hostKernel: '6.12.0-worker', qemuVersion: 'QEMU 9' });
  });
});

describe('measurementHosts', () => {
  const settings = { buildPartition: 'build', perfPartition: 'perf', sharedDir: '/srv/k', infraRetries: 3 };
  it('is the Slurm nodes when there are several: a multi-host bisection', () => {
    expect(measurementHosts({ kind: 'slurm', settings: { ...settings, nodes: ['perf01', 'perf02'] } })).toEqual(['perf01', 'perf02']);
  });
  it.each<[string, Executor]>([
    ['the local executor', { kind: 'local' }],
    ['one node', { kind: 'slurm', settings: { ...settings, nodes: ['perf01'] } }],
    ['a constraint instead of nodes', { kind: 'slurm', settings: { ...settings, constraint: 'perf' } }],
  ])('is none (one host, as always) with %s', (_what, executor) => {
    expect(measurementHosts(executor)).toBeUndefined();
  });
});

describe('checkJobNode', () => {
  const job = { jobId: '42', commit: 'c', jobDir: '/srv/k/jobs/x', role: 'sample' as const, node: 'perf2' };
  it('passes a job that ran where it was pinned, or any job of a single-host bisection', () => {
    expect(() => checkJobNode('perf2', 'perf2', job)).not.toThrow();
    expect(() => checkJobNode(undefined, 'localhost', job)).not.toThrow();
    expect(() => checkJobNode('perf2', null, job)).not.toThrow();
  });
  it('refuses a job for one measurement host that ran on another node', () => {
    expect(() => checkJobNode('perf2', 'localhost', job)).toThrow(/job 42 was pinned to measurement host perf2 but ran on node localhost; its result is not recorded/);
  });
});
