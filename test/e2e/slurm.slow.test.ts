// Generic mode through a real Slurm cluster on this machine
// (scripts/slurm-local.sh, on its own ports and state dir, started here and
// always stopped): every sample is a job on the perf partition, Ctrl-C cancels
// kbisect's jobs, a job scancel'ed from outside is an infra error (retried,
// not evidence), kill -9 then `run` again re-attaches to the jobs still
// queued or running instead of submitting them twice, and the culprit is right.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBenchRepo, type BenchRepo } from '../helpers/bench-repo.ts';
import { startLocalCluster, stopLocalCluster, waitFor } from '../helpers/slurm-cluster.ts';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'kbisect.mjs');
// not the defaults: a cluster someone started with scripts/slurm-local.sh keeps running
const clusterEnv = { SLURM_LOCAL_DIR: `/tmp/kbisect-slurm-test-${process.pid}`, SLURMCTLD_PORT: '6827', SLURMD_PORT: '6828', REDIS_PORT: '6389' };
const ctldLog = join(clusterEnv.SLURM_LOCAL_DIR, 'log', 'slurmctld.log');

let r: BenchRepo;
let env: NodeJS.ProcessEnv;
const children: ChildProcess[] = [];

beforeAll(() => {
  r = makeBenchRepo({ prefix: 'kbisect-slurm-' });
  const shared = join(r.dir, 'shared');
  const config = join(r.dir, 'config');
  mkdirSync(shared);
  mkdirSync(config);
  writeFileSync(
    join(config, 'host.yaml'),
    `slurm:\n  sharedDir: ${shared}\n  buildPartition: build\n  perfPartition: perf\n  nodes: [localhost]\n  ccacheRemoteStorage: redis://127.0.0.1:${clusterEnv.REDIS_PORT}\n`,
  );
  const conf = startLocalCluster(clusterEnv);
  env = { ...process.env, SLURM_CONF: conf, KBISECT_CONFIG_DIR: config, KBISECT_CACHE_DIR: join(r.dir, 'cache'), KBISECT_DATA_DIR: join(r.dir, 'data') };
}, 120_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  // always, even when a test failed: no daemon, job or state dir is left behind
  try {
    stopLocalCluster(clusterEnv);
  } finally {
    r?.remove();
  }
}, 120_000);

function kbisect(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const out = spawnSync(process.execPath, [cli, '-C', r.repo, ...args], { encoding: 'utf8', env, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

function startRun(): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [cli, '-C', r.repo, 'run', '--executor', 'slurm'], { env, stdio: 'ignore' });
  children.push(child);
  return { child, exited: new Promise((res) => child.once('exit', (code) => res(code))) };
}

interface JobRec {
  kind: string;
  jobId: string;
  as?: string;
  commit?: string;
}
const jobsLog = (): JobRec[] => {
  const file = join(r.repo, '.git', 'kbisect', 'slurm-jobs.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as JobRec) : [];
};
const openIds = (): string[] => {
  const open = new Set<string>();
  for (const rec of jobsLog()) {
    if (rec.kind === 'submitted') open.add(rec.jobId);
    if (rec.kind === 'ended') open.delete(rec.jobId);
  }
  return [...open];
};
const scontrol = (id: string): string => spawnSync('scontrol', ['show', 'job', '-o', id], { env, encoding: 'utf8' }).stdout;
const stateOf = (id: string): string => /JobState=(\S+)/.exec(scontrol(id))?.[1] ?? 'UNKNOWN';
const submittedInCtldLog = (): string[] => [...readFileSync(ctldLog, 'utf8').matchAll(/_slurm_rpc_submit_batch_job: JobId=(\d+)/g)].map((m) => m[1] as string);

const slowFlag = (): string => join(r.dir, 'shared', 'slow');
const runningJob = (exclude: readonly string[] = []): string | undefined => openIds().find((id) => !exclude.includes(id) && stateOf(id) === 'RUNNING');

describe('generic mode with --executor slurm on a local cluster', () => {
  it('kbisect doctor --executor slurm finds the cluster ready', () => {
    const d = kbisect('doctor', '--executor', 'slurm', '--json');
    expect(d.status, d.stdout + d.stderr).toBe(0);
    const report = JSON.parse(d.stdout) as { ok: boolean; checks: { id: string; status: string }[] };
    expect(report.checks.filter((c) => c.status !== 'ok')).toEqual([]);
    expect(report.checks.map((c) => c.id)).toContain('slurm-shared-dir');
  });

  it('Ctrl-C cancels the jobs kbisect submitted and logs no sample', async () => {
    // while the flag file exists a sample takes 10 s: a job seen running is surely mid-command, even when
    // a loaded host takes seconds to notice it running (4 s once let it finish before the scancel)
    writeFileSync(slowFlag(), '');
    expect(kbisect('start', r.shas[0] as string, r.shas[7] as string, '--cmd', `if [ -e ${slowFlag()} ]; then sleep 10; fi; bash bench.sh`, '--min-effect', '0.05').status).toBe(0);
    const { child, exited } = startRun();
    const id = await waitFor('a running sample job', () => runningJob());
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const ours = jobsLog().filter((j) => j.kind === 'submitted').map((j) => j.jobId);
    expect(ours).toContain(id);
    for (const j of ours) expect(['CANCELLED', 'COMPLETED']).toContain(await waitFor(`job ${j} to end`, () => (/CANCELLED|COMPLETED/.exec(stateOf(j))?.[0])));
    // it was in the middle of its 10 s: only kbisect's scancel ends it before that
    expect(stateOf(id)).toBe('CANCELLED');
    expect(openIds()).toEqual([]);
    expect(jobsLog().filter((j) => j.kind === 'ended' && j.as === 'cancelled').length).toBeGreaterThan(0);
  });

  let cancelledFromOutside = '';
  let openAtKill: string[] = [];
  it('a job scancel-ed from outside is retried as an infra error; kill -9 leaves its jobs queued', async () => {
    const { child, exited } = startRun();
    cancelledFromOutside = await waitFor('a running sample job', () => runningJob());
    execFileSync('scancel', [cancelledFromOutside], { env });
    await waitFor('the infra error to be logged', () => jobsLog().find((j) => j.kind === 'ended' && j.jobId === cancelledFromOutside));
    expect(jobsLog().find((j) => j.kind === 'ended' && j.jobId === cancelledFromOutside)?.as).toBe('infra');
    // the next one is running: kill -9 kbisect now, its jobs stay with Slurm
    await waitFor('another running sample job', () => runningJob([cancelledFromOutside]));
    rmSync(slowFlag());
    child.kill('SIGKILL');
    await exited;
    openAtKill = openIds();
    expect(openAtKill.length).toBeGreaterThan(0);
    expect(openAtKill.map((id) => stateOf(id)).every((s) => ['RUNNING', 'PENDING', 'COMPLETED', 'COMPLETING'].includes(s))).toBe(true);
  });

  it('run again re-attaches to those jobs instead of submitting them twice and finds the culprit', () => {
    const run = kbisect('run', '--executor', 'slurm', '--json');
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { outcome: string; culprit: { sha: string } | null; executor: { kind: string; submitted: number; reattached: number; infra: number; samples: number } };
    expect(result.outcome).toBe('culprit');
    expect(result.culprit?.sha).toBe(r.shas[4]);
    const log = jobsLog();
    // every job open at the kill was re-attached (its result used or, if another commit came next, cancelled), none submitted again
    const reattached = log.filter((j) => j.kind === 'reattached').map((j) => j.jobId);
    const endedAsSample = new Set(log.filter((j) => j.kind === 'ended' && j.as === 'sample').map((j) => j.jobId));
    for (const id of openAtKill) expect(reattached.includes(id) || log.some((j) => j.kind === 'ended' && j.jobId === id && j.as === 'cancelled')).toBe(true);
    expect(openAtKill.some((id) => endedAsSample.has(id))).toBe(true);
    const submitted = log.filter((j) => j.kind === 'submitted').map((j) => j.jobId);
    expect(new Set(submitted).size).toBe(submitted.length);
    // Slurm saw exactly the submissions kbisect logged (plus the doctor's test job): nothing twice
    const inCtld = submittedInCtldLog();
    expect(inCtld.filter((id) => !submitted.includes(id)).length).toBe(1);
    expect(submitted.every((id) => inCtld.includes(id))).toBe(true);
    // the scancel-ed job is infra: counted apart, never a sample nor a failure of the commit
    expect(result.executor).toMatchObject({ kind: 'slurm', submitted: submitted.length, reattached: reattached.length });
    expect(result.executor.infra).toBeGreaterThanOrEqual(1);
    const events = kbisect('log').stdout.trim().split('\n').slice(1).map((l) => JSON.parse(l) as { event: { kind: string }; detail?: { job?: { id: string; node: string | null } } });
    expect(events.filter((e) => e.event.kind !== 'boot')).toEqual([]);
    const sampleJobs = events.map((e) => e.detail?.job?.id);
    expect(sampleJobs.every((id) => id !== undefined && endedAsSample.has(id))).toBe(true);
    expect(new Set(sampleJobs).size).toBe(sampleJobs.length);
    expect(sampleJobs).not.toContain(cancelledFromOutside);
    // the jobs are Slurm's: on the perf partition, the node to themselves, pinned to the configured node
    const job = scontrol(sampleJobs.at(-1) as string);
    expect(job).toMatch(/JobState=COMPLETED/);
    expect(job).toMatch(/Partition=perf /);
    expect(job).toMatch(/JobName=kbisect-/);
    expect(job).toMatch(/ReqNodeList=localhost /);
    expect(job).toMatch(/OverSubscribe=NO /);
    expect(events.every((e) => e.detail?.job?.node === 'localhost')).toBe(true);
    const durations = events.map((e) => (e.detail as { durationMs?: number } | undefined)?.durationMs ?? 0);
    console.log(
      `slurm e2e: ${submitted.length} jobs submitted, ${reattached.length} re-attached, ${result.executor.infra} infra, ${events.length} samples; command time per sample median ${durations.sort((a, b) => a - b)[Math.floor(durations.length / 2)]} ms`,
    );
  });
});
