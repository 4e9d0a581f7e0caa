// A bisection on two measurement hosts of a real Slurm cluster on this
// machine (scripts/slurm-local.sh with SLURM_LOCAL_NODES=2: nodes localhost
// and perf2, each its own slurmd). The benchmark reads 1.5× higher on perf2
// than on localhost, so only a bisection that judges each boot against its
// own host's GOOD and BAD finds the culprit. Both hosts measure at once;
// kill -9 then `run` again re-attaches each host's open jobs; a node list
// changed mid-bisection is refused.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBenchRepo, type BenchRepo } from '../helpers/bench-repo.ts';
import { startLocalCluster, stopLocalCluster, waitFor } from '../helpers/slurm-cluster.ts';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'kbisect.mjs');
// its own ports and state dir (perf2's slurmd takes SLURMD_PORT + 1)
const clusterEnv = { SLURM_LOCAL_DIR: `/tmp/kbisect-slurm-hosts-test-${process.pid}`, SLURMCTLD_PORT: '6857', SLURMD_PORT: '6858', REDIS_PORT: '6419', SLURM_LOCAL_NODES: '2' };
const ctldLog = join(clusterEnv.SLURM_LOCAL_DIR, 'log', 'slurmctld.log');
const NODES = ['localhost', 'perf2'];

let r: BenchRepo;
let env: NodeJS.ProcessEnv;
let hostYaml: string;
const children: ChildProcess[] = [];
const writeHostYaml = (nodes: readonly string[]): void =>
  writeFileSync(hostYaml, `slurm:\n  sharedDir: ${join(r.dir, 'shared')}\n  buildPartition: build\n  perfPartition: perf\n  nodes: [${nodes.join(', ')}]\n`);

beforeAll(() => {
  r = makeBenchRepo({ prefix: 'kbisect-slurm-hosts-' });
  const config = join(r.dir, 'config');
  mkdirSync(join(r.dir, 'shared'));
  mkdirSync(config);
  hostYaml = join(config, 'host.yaml');
  writeHostYaml(NODES);
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
  const out = spawnSync(process.execPath, [cli, '-C', r.repo, ...args], { encoding: 'utf8', env, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

interface JobRec {
  kind: string;
  jobId: string;
  as?: string;
  node?: string;
}
const jobsLog = (): JobRec[] => {
  const file = join(r.repo, '.git', 'kbisect', 'slurm-jobs.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as JobRec) : [];
};
const openJobs = (): JobRec[] => {
  const open = new Map<string, JobRec>();
  for (const rec of jobsLog()) {
    if (rec.kind === 'submitted') open.set(rec.jobId, rec);
    if (rec.kind === 'ended') open.delete(rec.jobId);
  }
  return [...open.values()];
};
const scontrol = (id: string): string => spawnSync('scontrol', ['show', 'job', '-o', id], { env, encoding: 'utf8' }).stdout;
const stateOf = (id: string): string => /JobState=(\S+)/.exec(scontrol(id))?.[1] ?? 'UNKNOWN';


describe('a bisection on two Slurm measurement hosts at once', () => {
  const slowFlag = (): string => join(r.dir, 'shared', 'slow');
  let openAtKill: JobRec[] = [];

  it('measures on both nodes at once; kill -9 leaves a running job on each', async () => {
    writeFileSync(slowFlag(), '');
    // perf2 reads 1.5× localhost: numbers of the two hosts must never be compared
    const cmd = `if [ -e ${slowFlag()} ]; then sleep 3; fi; v=$(bash bench.sh); if [ "$SLURMD_NODENAME" = perf2 ]; then echo $(( v * 3 / 2 )); else echo $v; fi`;
    expect(kbisect('start', r.shas[0] as string, r.shas[7] as string, '--cmd', cmd, '--min-effect', '0.05').status).toBe(0);
    const child = spawn(process.execPath, [cli, '-C', r.repo, 'run', '--executor', 'slurm'], { env, stdio: 'ignore' });
    children.push(child);
    const exited = new Promise((res) => child.once('exit', res));
    // one job RUNNING on each node at the same moment
    await waitFor('a running job on each node', () => {
      const running = openJobs().filter((j) => stateOf(j.jobId) === 'RUNNING');
      return NODES.every((n) => running.some((j) => j.node === n)) ? running : undefined;
    }, 90_000);
    rmSync(slowFlag());
    child.kill('SIGKILL');
    await exited;
    openAtKill = openJobs();
    expect(new Set(openAtKill.map((j) => j.node))).toEqual(new Set(NODES));
    const session = JSON.parse(readFileSync(join(r.repo, '.git', 'kbisect', 'session.json'), 'utf8')) as { hosts?: string[] };
    expect(session.hosts).toEqual(NODES);
  }, 180_000);

  it('run again re-attaches each host its jobs, judges each boot on its own host and finds the culprit', () => {
    const run = kbisect('run', '--executor', 'slurm', '--json');
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as {
      outcome: string;
      culprit: { sha: string } | null;
      hosts: { names: string[]; gaps: { host: string; ratio: number; goodBoots: number; badBoots: number }[]; interaction: { p: number; found: boolean } };
      executor: { submitted: number; reattached: number };
    };
    expect(result.outcome).toBe('culprit');
    expect(result.culprit?.sha).toBe(r.shas[4]);
    expect(result.hosts.names).toEqual(NODES);
    // each host's own gap: 100 → 80 on both, whatever its level
    for (const g of result.hosts.gaps) {
      expect(g.ratio).toBeGreaterThan(0.74);
      expect(g.ratio).toBeLessThan(0.86);
      expect(g.goodBoots).toBeGreaterThan(0);
    }
    const log = jobsLog();
    const reattached = log.filter((j) => j.kind === 'reattached').map((j) => j.jobId);
    for (const j of openAtKill) expect(reattached.includes(j.jobId) || log.some((e) => e.kind === 'ended' && e.jobId === j.jobId && e.as === 'cancelled')).toBe(true);
    const submitted = log.filter((j) => j.kind === 'submitted');
    expect(new Set(submitted.map((j) => j.jobId)).size).toBe(submitted.length);
    const inCtld = [...readFileSync(ctldLog, 'utf8').matchAll(/_slurm_rpc_submit_batch_job: JobId=(\d+)/g)].map((m) => m[1] as string);
    expect(inCtld.sort()).toEqual(submitted.map((j) => j.jobId).sort());
    // every boot names its host, and ran there
    const events = kbisect('log').stdout.trim().split('\n').slice(1).map((l) => JSON.parse(l) as { event: { kind: string; host?: string }; detail?: { job?: { id: string; node: string | null } } });
    const boots = events.filter((e) => e.event.kind === 'boot');
    expect(boots.length).toBeGreaterThan(0);
    for (const e of boots) expect(e.detail?.job?.node).toBe(e.event.host);
    for (const n of NODES) expect(boots.filter((e) => e.event.host === n).length).toBeGreaterThan(4);
    const job = scontrol(boots.find((e) => e.event.host === 'perf2')?.detail?.job?.id as string);
    expect(job).toMatch(/ReqNodeList=perf2 /);
    expect(job).toMatch(/OverSubscribe=NO /);
    const report = kbisect('report');
    expect(report.stdout).toMatch(/measurement hosts \(2, each judged against its own GOOD and BAD\)/);
    console.log(
      `slurm hosts e2e: ${boots.length} samples (${NODES.map((n) => `${n} ${boots.filter((e) => e.event.host === n).length}`).join(', ')}), ${submitted.length} jobs, ${reattached.length} re-attached; gaps ${result.hosts.gaps.map((g) => `${g.host} ${g.ratio.toFixed(3)}`).join(', ')}, interaction p ${result.hosts.interaction.p.toPrecision(2)}`,
    );
  }, 300_000);

  it('refuses to go on with another node list than the one the bisection measured on', () => {
    writeHostYaml(['localhost']);
    try {
      const run = kbisect('run', '--executor', 'slurm');
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/measures on the hosts localhost, perf2/);
      expect(run.stderr).toMatch(/nodes: \[localhost, perf2\]/);
    } finally {
      writeHostYaml(NODES);
    }
  });
});
