// `sweep run` and `compare` with --executor slurm, generic mode, on a real
// Slurm cluster on this machine (scripts/slurm-local.sh on its own ports and
// state dir, started here and always stopped): a sweep backfill whose points,
// reference boots, confirmation and bisection are all Slurm jobs finds the
// step, files its points under the worker node, and keeps its jobs logs in
// its own directory; a comparison of two revisions either side of the step
// is "different", every boot a job, its jobs log in the comparison's directory;
// a matrix of the fixture kernel runs as one job on the measurement node.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MatrixReport } from '../../src/core/matrix/result.ts';
import { ensureGuestKernel } from '../fixtures/guest-kernel.ts';
import { makeSweepRepo, STEP_SUBJECT, type SweepRepo } from '../helpers/sweep-repo.ts';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'kbisect.mjs');
const script = join(root, 'scripts', 'slurm-local.sh');
// not the defaults, nor slurm.slow.test.ts's: a cluster someone started keeps running
const clusterEnv = { SLURM_LOCAL_DIR: `/tmp/kbisect-slurm-exec-test-${process.pid}`, SLURMCTLD_PORT: '6847', SLURMD_PORT: '6848', REDIS_PORT: '6409' };
const ctldLog = join(clusterEnv.SLURM_LOCAL_DIR, 'log', 'slurmctld.log');

let r: SweepRepo;
let env: NodeJS.ProcessEnv;
let dataDir: string;
const t0 = performance.now();

beforeAll(() => {
  // the step at #22 of 33 commits; a backfill at stride 4 brackets it with #20 and #24
  r = makeSweepRepo({ commits: 33, step: 22, spike: null });
  const shared = join(r.dir, 'shared');
  const config = join(r.dir, 'config');
  mkdirSync(shared);
  mkdirSync(config);
  writeFileSync(join(config, 'host.yaml'), `slurm:\n  sharedDir: ${shared}\n  perfPartition: perf\n  nodes: [localhost]\n`);
  const started = execFileSync('bash', [script, 'start'], { env: { ...process.env, ...clusterEnv }, encoding: 'utf8', timeout: 90_000 });
  const conf = /export SLURM_CONF=(\S+)/.exec(started)?.[1];
  expect(conf, started).toBeDefined();
  dataDir = join(r.dir, 'data');
  env = { ...process.env, SLURM_CONF: conf, KBISECT_CONFIG_DIR: config, KBISECT_CACHE_DIR: join(r.dir, 'cache'), KBISECT_DATA_DIR: dataDir };
}, 120_000);

afterAll(() => {
  // always, even when a test failed: no daemon, job or state dir is left behind
  const stopped = spawnSync('bash', [script, 'stop'], { env: { ...process.env, ...clusterEnv }, encoding: 'utf8', timeout: 90_000 });
  r?.remove();
  console.log(`slurm executors e2e: whole file ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  expect(stopped.status, stopped.stderr).toBe(0);
  expect(existsSync(clusterEnv.SLURM_LOCAL_DIR)).toBe(false);
}, 120_000);

function kbisect(...args: string[]): { status: number | null; stdout: string; stderr: string; ms: number } {
  const started = performance.now();
  const out = spawnSync(process.execPath, [cli, '-C', r.repo, ...args], { encoding: 'utf8', env, timeout: 240_000, maxBuffer: 64 * 1024 * 1024 });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr, ms: Math.round(performance.now() - started) };
}

interface JobRec {
  kind: string;
  jobId: string;
  as?: string;
  commit?: string;
}
const readLines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '') : []);
const jobsLogOf = (dir: string): JobRec[] => readLines(join(dir, 'slurm-jobs.jsonl')).map((l) => JSON.parse(l) as JobRec);
const submittedIn = (dir: string): string[] => jobsLogOf(dir).filter((j) => j.kind === 'submitted').map((j) => j.jobId);
const submittedInCtldLog = (): Set<string> => new Set([...readFileSync(ctldLog, 'utf8').matchAll(/_slurm_rpc_submit_batch_job: JobId=(\d+)/g)].map((m) => m[1] as string));
const scontrol = (id: string): string => spawnSync('scontrol', ['show', 'job', '-o', id], { env, encoding: 'utf8' }).stdout;

// The one sweep directory under the data dir (<data>/sweeps/<repo>-<hash>/<name>).
function sweepDir(name: string): string {
  const base = join(dataDir, 'sweeps');
  const repoDir = readdirSync(base).find((d) => !d.startsWith('.'));
  expect(repoDir).toBeDefined();
  return join(base, repoDir as string, name);
}

interface ExecutorJson {
  kind: string;
  jobsLog: string;
  jobsLogs?: string[];
  submitted: number;
  reattached: number;
  samples: number;
  infra: number;
  open: number;
}

describe('sweep run and compare with --executor slurm on a local cluster', () => {
  it('sweep run --executor slurm: every point, reference boot, confirmation and bisection is a Slurm job; the step is found', () => {
    const range = `${r.shas[0]}..${r.shas[32]}`;
    const run = kbisect('sweep', 'run', '--cmd', './bench.sh', '--range', range, '--stride', '4', '--executor', 'slurm', '--json');
    console.log(`sweep run --executor slurm: ${(run.ms / 1000).toFixed(1)} s`);
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as {
      measured: { sha: string; boots: number; failures: number }[];
      host: { machine: string; id: string } | null;
      alerts: { state: string; lastGoodSha: string; firstBadSha: string; bisection: { culprit: { sha: string; subject: string } | null; sessionDir: string } | null }[];
      executor: ExecutorJson;
    };
    const strided = r.shas.slice(0, 33).filter((_, i) => i % 4 === 0);
    expect(out.measured.map((m) => m.sha)).toEqual(strided);
    for (const m of out.measured) expect(m).toMatchObject({ boots: 3, failures: 0 });
    // the points are the worker node's (Slurm's NodeName), not this machine's
    expect(out.host?.machine).toBe('localhost');
    expect(out.alerts).toHaveLength(1);
    const alert = out.alerts[0];
    expect(alert?.state).toBe('culprit');
    expect(alert?.lastGoodSha).toBe(r.shas[20]);
    expect(alert?.firstBadSha).toBe(r.shas[24]);
    expect(alert?.bisection?.culprit?.sha).toBe(r.shas[r.step]);
    expect(alert?.bisection?.culprit?.subject).toBe(STEP_SUBJECT);

    // the points' and reference boots' jobs log is the sweep's; the bisection's is in its own dir under the sweep
    const dir = sweepDir('default');
    const sweepJobs = submittedIn(dir);
    const bisectionDir = alert?.bisection?.sessionDir as string;
    expect(bisectionDir.startsWith(join(dir, 'bisections'))).toBe(true);
    const bisectionJobs = submittedIn(bisectionDir);
    const points = strided.length * 3;
    expect(sweepJobs.length).toBeGreaterThanOrEqual(points);
    expect(bisectionJobs.length).toBeGreaterThan(0);
    // every boot record is a job's: one job per sample, none used twice
    const records = readdirSync(join(dir, 'results'), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.jsonl'))
      .flatMap((f) => readLines(join(dir, 'results', f)).map((l) => JSON.parse(l) as { role: string; host: { machine: string } }));
    expect(records.length).toBe(jobsLogOf(dir).filter((j) => j.kind === 'ended' && j.as === 'sample').length);
    expect(records.filter((x) => x.role === 'reference').length).toBeGreaterThanOrEqual(2);
    expect(records.every((x) => x.host.machine === 'localhost')).toBe(true);
    // the bisection's boots ran as jobs too, their detail naming the job and its node
    const events = readLines(join(bisectionDir, 'events.jsonl')).map((l) => JSON.parse(l) as { event: { kind: string }; detail?: { job?: { id: string; node: string | null; hostKernel?: string } } });
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) {
      expect(e.event.kind).toBe('boot');
      expect(bisectionJobs).toContain(e.detail?.job?.id);
      expect(e.detail?.job?.node).toBe('localhost');
      expect(e.detail?.job?.hostKernel).toBe(execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
    }
    // Slurm saw each of them, once
    const inCtld = submittedInCtldLog();
    const all = [...sweepJobs, ...bisectionJobs];
    expect(new Set(all).size).toBe(all.length);
    for (const id of all) expect(inCtld.has(id)).toBe(true);
    const job = scontrol(sweepJobs.at(-1) as string);
    expect(job).toMatch(/Partition=perf /);
    expect(job).toMatch(/ReqNodeList=localhost /);
    expect(job).toMatch(/OverSubscribe=NO /);
    // --json sums both logs
    expect(out.executor).toMatchObject({ kind: 'slurm', submitted: all.length, reattached: 0, infra: 0, open: 0 });
    expect(out.executor.jobsLogs).toEqual([join(dir, 'slurm-jobs.jsonl'), join(bisectionDir, 'slurm-jobs.jsonl')]);
    console.log(`sweep: ${sweepJobs.length} jobs for points and reference boots, ${bisectionJobs.length} for the confirmation and bisection`);
  }, 240_000);

  it('sweep run --executor slurm killed with -9 mid-point: the same command again re-attaches to its open jobs, nothing measured twice', async () => {
    // a sweep of its own; 3 points below the step (no alert), 1 s a sample so that jobs are caught running
    const args = ['-C', r.repo, 'sweep', 'run', '--sweep', 'killed', '--cmd', 'sleep 1; ./bench.sh', '--range', `${r.shas[0]}..${r.shas[16]}`, '--stride', '8', '--executor', 'slurm'];
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: 'ignore' });
    const exited = new Promise((res) => child.once('exit', res));
    const dir = (): string => join(dataDir, 'sweeps', readdirSync(join(dataDir, 'sweeps')).find((d) => !d.startsWith('.')) as string, 'killed');
    const openIds = (): string[] => {
      const open = new Set<string>();
      for (const j of existsSync(join(dataDir, 'sweeps')) ? jobsLogOf(dir()) : []) {
        if (j.kind === 'submitted') open.add(j.jobId);
        if (j.kind === 'ended') open.delete(j.jobId);
      }
      return [...open];
    };
    const deadline = Date.now() + 90_000;
    // the second point's jobs: the first point's samples are in the results already
    while (!(jobsLogOf(existsSync(join(dataDir, 'sweeps')) ? dir() : r.dir).filter((j) => j.kind === 'ended' && j.as === 'sample').length >= 3 && openIds().some((id) => /JobState=RUNNING/.test(scontrol(id))))) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((res) => setTimeout(res, 100));
    }
    child.kill('SIGKILL');
    await exited;
    const openAtKill = openIds();
    expect(openAtKill.length).toBeGreaterThan(0);
    const again = kbisect(...args.slice(2), '--json');
    expect(again.status, again.stderr).toBe(0);
    const out = JSON.parse(again.stdout) as { measured: { sha: string; boots: number }[]; executor: ExecutorJson };
    const log = jobsLogOf(dir());
    const reattached = log.filter((j) => j.kind === 'reattached').map((j) => j.jobId);
    for (const id of openAtKill) expect(reattached.includes(id) || log.some((j) => j.kind === 'ended' && j.jobId === id && j.as === 'cancelled')).toBe(true);
    expect(reattached.length).toBeGreaterThan(0);
    const submitted = submittedIn(dir());
    expect(new Set(submitted).size).toBe(submitted.length);
    const inCtld = submittedInCtldLog();
    for (const id of submitted) expect(inCtld.has(id)).toBe(true);
    // every point ends with its 3 samples, none measured a fourth time
    const records = readdirSync(join(dir(), 'results'), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.jsonl'))
      .flatMap((f) => readLines(join(dir(), 'results', f)).map((l) => JSON.parse(l) as { role: string; sha: string }));
    for (const sha of [r.shas[0], r.shas[8], r.shas[16]]) expect(records.filter((x) => x.role !== 'reference' && x.sha === sha).length).toBe(3);
    expect(records.length).toBe(log.filter((j) => j.kind === 'ended' && j.as === 'sample').length);
    console.log(`sweep kill -9: ${openAtKill.length} job(s) open at the kill, ${reattached.length} re-attached, ${submitted.length} submitted in all; rerun measured ${out.measured.length} point(s)`);
  }, 240_000);

  it('matrix --executor slurm: the whole matrix is one exclusive job on the measurement node, which decides the cells; report and profiles come back', async () => {
    const kernel = await ensureGuestKernel();
    const out = join(r.dir, 'matrix-out');
    const m = kbisect('matrix', '--kernel', kernel, '--boots', '1', '--accel', 'tcg', '--axes', 'vhost=on,off', 'condition=plain', 'topology=host-to-guest', '--executor', 'slurm', '--out', out, '--json');
    console.log(`matrix --executor slurm: ${(m.ms / 1000).toFixed(1)} s`);
    expect(m.status, m.stderr).toBe(0);
    const report = JSON.parse(m.stdout) as MatrixReport;
    expect(report).toMatchObject({ schema: 1, mode: 'single', dir: out, host: { accel: 'tcg' }, counts: { works: 1, fails: 0, unavailable: 1 } });
    const byVhost = new Map(report.cells.map((c) => [c.cell.vhost, c]));
    // the worker has no /dev/vhost-net here: its own check, not this machine's, made the cell unavailable
    expect(byVhost.get('on')?.status).toBe('unavailable');
    expect(byVhost.get('on')?.reason).toMatch(/vhost/);
    const works = byVhost.get('off');
    expect(works?.status).toBe('works');
    expect(works?.a?.boots).toEqual({ ok: 1, failed: 0 });
    // its profile file is in our out dir, and loads to the hash it was measured with
    expect(works?.profile?.file?.startsWith(out)).toBe(true);
    expect(existsSync(works?.profile?.file as string)).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'matrix.json'), 'utf8'))).toEqual(report);
    // one job, on the measurement node, the node to itself
    const log = jobsLogOf(out);
    const submitted = log.filter((j) => j.kind === 'submitted').map((j) => j.jobId);
    expect(submitted).toHaveLength(1);
    expect(log.some((j) => j.kind === 'ended' && j.jobId === submitted[0] && j.as === 'sample')).toBe(true);
    const job = scontrol(submitted[0] as string);
    expect(job).toMatch(/Partition=perf /);
    expect(job).toMatch(/ReqNodeList=localhost /);
    expect(job).toMatch(/OverSubscribe=NO /);
    expect(submittedInCtldLog().has(submitted[0] as string)).toBe(true);
  }, 600_000);

  it('matrix --executor slurm killed with -9 while its job runs: the same command again waits for that job, submits nothing', async () => {
    const kernel = await ensureGuestKernel();
    const out = join(r.dir, 'matrix-killed');
    const args = ['matrix', '--kernel', kernel, '--boots', '1', '--accel', 'tcg', '--axes', 'vhost=off', 'condition=plain', 'topology=host-to-guest', '--executor', 'slurm', '--out', out];
    const child = spawn(process.execPath, [cli, '-C', r.repo, ...args], { env, stdio: 'ignore' });
    const exited = new Promise((res) => child.once('exit', res));
    const deadline = Date.now() + 120_000;
    const running = (): string | undefined => jobsLogOf(out).find((j) => j.kind === 'submitted' && /JobState=RUNNING/.test(scontrol(j.jobId)))?.jobId;
    let id: string | undefined;
    while ((id = running()) === undefined) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((res) => setTimeout(res, 100));
    }
    child.kill('SIGKILL');
    await exited;
    const again = kbisect(...args, '--json');
    expect(again.status, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as MatrixReport).counts.works).toBe(1);
    const log = jobsLogOf(out);
    expect(log.filter((j) => j.kind === 'submitted').map((j) => j.jobId)).toEqual([id]);
    expect(log.filter((j) => j.kind === 'reattached').map((j) => j.jobId)).toEqual([id]);
  }, 600_000);

  it('compare --executor slurm: revisions either side of the step are different, every run a job in the comparison\'s log', () => {
    const cmp = kbisect('compare', r.shas[18] as string, r.shas[26] as string, '--cmd', './bench.sh', '--executor', 'slurm', '--seed', '7', '--json');
    console.log(`compare --executor slurm: ${(cmp.ms / 1000).toFixed(1)} s`);
    expect(cmp.status, cmp.stderr).toBe(0);
    const out = JSON.parse(cmp.stdout) as { outcome: string; a: { boots: number }; b: { boots: number }; logDir: string; executor: ExecutorJson };
    expect(out.outcome).toBe('different');
    expect(out.executor).toMatchObject({ kind: 'slurm', reattached: 0, infra: 0, open: 0 });
    const compareDir = dirname(out.executor.jobsLog);
    const jobs = submittedIn(compareDir);
    const events = readLines(join(compareDir, 'events.jsonl')).map((l) => JSON.parse(l) as { event: { kind: string; commit: string }; detail?: { job?: { id: string } } });
    expect(events.length).toBe(jobs.length);
    expect(events.map((e) => e.detail?.job?.id)).toEqual(jobs);
    // A and B interleaved: both sides among the first two boots
    expect(new Set(events.slice(0, 2).map((e) => e.event.commit))).toEqual(new Set([r.shas[18], r.shas[26]]));
    const inCtld = submittedInCtldLog();
    for (const id of jobs) expect(inCtld.has(id)).toBe(true);
    console.log(`compare: ${jobs.length} jobs`);
  }, 180_000);
});
