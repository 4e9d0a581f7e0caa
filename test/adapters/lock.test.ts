// The run lock under real races: separate processes contend for locks left
// stale by dead holders; exactly one wins each trial and no two ever hold one
// at the same time. Plus who counts as a live holder.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock, type LockHolder } from '../../src/adapters/lock.ts';
import { bootId, processStartTicks } from '../../src/adapters/process.ts';
import { UserError } from '../../src/core/errors.ts';

let dir: string;
let worker: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kbisect-lock-'));
  worker = join(dir, 'lock-worker.mjs');
  await build({ entryPoints: [join(import.meta.dirname, '..', 'fixtures', 'lock-worker.ts')], bundle: true, platform: 'node', format: 'esm', outfile: worker, logLevel: 'warning' });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function deadPid(): number {
  return Number(execFileSync('bash', ['-c', 'true & echo $!'], { encoding: 'utf8' }).trim());
}

async function seed(lockDir: string, holder: Partial<LockHolder>): Promise<void> {
  mkdirSync(lockDir, { recursive: true });
  const full: LockHolder = {
    pid: deadPid(),
    startTicks: 1,
    bootId: await bootId(),
    host: hostname(),
    startedAt: '2026-01-01T00:00:00.000Z',
    command: 'kbisect run',
    state: 'held',
    ...holder,
  };
  writeFileSync(join(lockDir, `holder-${full.pid}-0123456789ab.json`), JSON.stringify(full));
}

function runWorker(root: string, t0: number, trials: number, spacingMs: number, holdMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [worker, root, String(t0), String(trials), String(spacingMs), String(holdMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`worker exited ${code}`))));
  });
}

describe('acquireLock', () => {
  it('50 trials of 4 processes taking over a stale lock at once: exactly one winner each', async () => {
    const root = join(dir, 'race');
    const trials = 50;
    for (let k = 0; k < trials; k++) await seed(join(root, `trial-${k}`), {});
    const t0 = Date.now() + 1500;
    const outs = await Promise.all([0, 1, 2, 3].map(() => runWorker(root, t0, trials, 330, 300)));
    const rows = outs.flatMap((o) =>
      o.trim().split('\n').map((l) => JSON.parse(l) as { k: number; won: boolean; from?: number; to?: number; message?: string }),
    );
    expect(rows).toHaveLength(4 * trials);
    let single = 0;
    for (let k = 0; k < trials; k++) {
      const trial = rows.filter((r) => r.k === k);
      const winners = trial.filter((r) => r.won).sort((a, b) => (a.from ?? 0) - (b.from ?? 0));
      // never two holders at once: a contender that came late (a slow start on a busy host) may win after the release
      expect(winners.length, `trial ${k}: ${JSON.stringify(trial)}`).toBeGreaterThanOrEqual(1);
      for (let i = 1; i < winners.length; i++) expect(winners[i]?.from ?? 0, `trial ${k} overlaps: ${JSON.stringify(winners)}`).toBeGreaterThanOrEqual(winners[i - 1]?.to ?? 0);
      for (const loser of trial.filter((r) => !r.won)) expect(loser.message).toMatch(/another kbisect \(pid \d+, `lock-worker`/);
      if (winners.length === 1) single++;
    }
    // contenders start within a few ms of each other and the holder keeps it 300 ms: almost always one winner
    expect(single).toBeGreaterThanOrEqual(trials - 5);
  }, 60_000);

  it('takes over a lock whose pid now belongs to another process (pid reuse), and one from an earlier boot', async () => {
    const reused = join(dir, 'reused');
    await seed(reused, { pid: 1, startTicks: ((await processStartTicks(1)) ?? 0) + 12345 });
    const lock = await acquireLock(reused, 'kbisect run');
    expect(lock.tookOverFrom?.pid).toBe(1);
    await lock.release();
    const rebooted = join(dir, 'rebooted');
    await seed(rebooted, { pid: process.pid, startTicks: await processStartTicks(process.pid), bootId: 'another-boot' });
    const again = await acquireLock(rebooted, 'kbisect run');
    expect(again.tookOverFrom?.bootId).toBe('another-boot');
    await again.release();
    expect(readdirSync(rebooted)).toEqual([]);
  });

  it('refuses while a live process holds it, naming it; and a lock of another host', async () => {
    const live = join(dir, 'live');
    const held = await acquireLock(live, 'kbisect run');
    const error = await acquireLock(live, 'kbisect good').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain(`pid ${process.pid}, \`kbisect run\``);
    expect((error as UserError).hint).toContain(`kill ${process.pid}`);
    await held.release();
    await (await acquireLock(live, 'kbisect good')).release();

    const foreign = join(dir, 'foreign');
    await seed(foreign, { host: 'lab-host-7' });
    const e2 = await acquireLock(foreign, 'kbisect run').catch((e: unknown) => e);
    expect((e2 as UserError).message).toContain('host lab-host-7');
    expect((e2 as UserError).hint).toContain(`remove the directory ${foreign}`);
  });

  it('ignores an unreadable entry (no holder writes one) and cleans it up', async () => {
    const torn = join(dir, 'torn');
    mkdirSync(torn, { recursive: true });
    writeFileSync(join(torn, 'holder-99-0123456789ab.json'), '{"pid": 9');
    const lock = await acquireLock(torn, 'kbisect run');
    await lock.release();
    expect(readdirSync(torn)).toEqual([]);
  });
});
