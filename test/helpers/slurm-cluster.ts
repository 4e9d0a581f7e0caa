// A real Slurm cluster on this machine for the e2e tests (scripts/slurm-local.sh
// on the test's own ports and state dir): started in beforeAll, always
// stopped in afterAll, leaving no daemon, job or state dir behind.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

const script = join(import.meta.dirname, '..', '..', 'scripts', 'slurm-local.sh');

export interface ClusterEnv {
  SLURM_LOCAL_DIR: string;
  SLURMCTLD_PORT: string;
  SLURMD_PORT: string;
  REDIS_PORT: string;
  SLURM_LOCAL_NODES?: string;
}

// Starts the cluster; returns its SLURM_CONF.
export function startLocalCluster(cluster: ClusterEnv): string {
  const started = execFileSync('bash', [script, 'start'], { env: { ...process.env, ...cluster }, encoding: 'utf8', timeout: 90_000 });
  const conf = /export SLURM_CONF=(\S+)/.exec(started)?.[1];
  expect(conf, started).toBeDefined();
  return conf as string;
}

// Stops it (cancelling its jobs) and checks that its state dir is gone.
export function stopLocalCluster(cluster: ClusterEnv): void {
  const stopped = spawnSync('bash', [script, 'stop'], { env: { ...process.env, ...cluster }, encoding: 'utf8', timeout: 90_000 });
  expect(stopped.status, stopped.stderr).toBe(0);
  expect(existsSync(cluster.SLURM_LOCAL_DIR)).toBe(false);
}

// Polls until `find` returns something (or fails the test after `ms`).
export async function waitFor<T>(what: string, find: () => T | undefined, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}
