// Ctrl-C and SIGTERM to the built CLI in the middle of a generic-mode sample:
// exit 130, the sample in flight is not logged (an interruption is not
// evidence against a commit), the command's whole process group is gone, and
// the next `run` finishes the bisection with the culprit.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRunning } from '../helpers/process.ts';
import { makeBenchRepo, type BenchRepo } from '../helpers/bench-repo.ts';

const cli = join(import.meta.dirname, '..', '..', 'dist', 'kbisect.mjs');
let r: BenchRepo;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  r = makeBenchRepo({ prefix: 'kbisect-int-' });
  env = { ...process.env, KBISECT_CACHE_DIR: join(r.dir, 'cache'), KBISECT_DATA_DIR: join(r.dir, 'data') };
});

afterAll(() => r.remove());

function kbisect(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const out = spawnSync(process.execPath, [cli, '-C', r.repo, ...args], { encoding: 'utf8', env, timeout: 120_000, maxBuffer: 256 * 1024 * 1024 });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

const events = (): string => {
  const file = join(r.repo, '.git', 'kbisect', 'events.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
};

async function interruptDuringSample(signal: NodeJS.Signals, pidFile: string): Promise<number | null> {
  rmSync(pidFile, { force: true });
  const child = spawn(process.execPath, [cli, '-C', r.repo, 'run'], { env, stdio: 'ignore' });
  const exited = new Promise<number | null>((res) => child.once('exit', res));
  // the command writes the pid of its own child once it is running
  for (let i = 0; i < 200 && !existsSync(pidFile); i++) await new Promise((res) => setTimeout(res, 50));
  expect(existsSync(pidFile)).toBe(true);
  child.kill(signal);
  const code = await exited;
  const grandchild = Number(readFileSync(pidFile, 'utf8'));
  expect(await isRunning(grandchild), `the command's child ${grandchild} survived ${signal}`).toBe(false);
  return code;
}

describe('interrupting a run', () => {
  it('Ctrl-C twice and SIGTERM during samples log nothing; the next run finds the culprit', async () => {
    const slow = join(r.dir, 'slow');
    const pidFile = join(r.dir, 'sleep.pid');
    writeFileSync(slow, '');
    // slow while the flag file exists: a child that would outlive a killed shell
    const command = `if [ -e ${slow} ]; then sleep 60 & echo $! > ${pidFile}; wait; fi; bash bench.sh`;
    expect(kbisect('start', r.shas[0] as string, r.shas[7] as string, '--cmd', command, '--min-effect', '0.05').status).toBe(0);
    expect(await interruptDuringSample('SIGINT', pidFile)).toBe(130);
    expect(await interruptDuringSample('SIGINT', pidFile)).toBe(130);
    expect(await interruptDuringSample('SIGTERM', pidFile)).toBe(130);
    expect(events()).toBe('');
    rmSync(slow);
    const run = kbisect('run', '--json');
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { outcome: string; culprit: { sha: string } | null };
    expect(result.culprit?.sha).toBe(r.shas[4]);
    expect(events()).not.toMatch(/boot-failed/);
  });
});

describe('kill -9 during a replay', () => {
  it('leaves the old bisection or the whole new one, never a part of the log', async () => {
    const [good, bad] = [r.shas[0] as string, r.shas[7] as string];
    expect(kbisect('reset').status).toBe(0);
    expect(kbisect('start', good, bad, '--cmd', 'bash bench.sh').status).toBe(0);
    // a log of 300 samples, 30 MB with their stderr tails: a replay takes a moment to write
    const session = kbisect('log').stdout.split('\n')[0] as string;
    const big = 'x'.repeat(100_000);
    const lines = [session];
    for (let i = 0; i < 300; i++) {
      const commit = i % 2 === 0 ? good : bad;
      lines.push(JSON.stringify({ kind: 'event', at: '2026-11-29T00:00:00.000Z', event: { kind: 'boot', commit, runs: [commit === good ? 100_000 + i : 80_000 + i] }, detail: { source: 'command', exitCode: 0, durationMs: 5, stderrTail: big } }));
    }
    const file = join(r.dir, 'big.log');
    writeFileSync(file, `${lines.join('\n')}\n`);
    expect(kbisect('good', r.shas[1] as string).status).toBe(0);
    const seen = new Set<number>();
    for (let trial = 0; trial < 8; trial++) {
      const child = spawn(process.execPath, [cli, '-C', r.repo, 'replay', file, '--trust'], { env, stdio: 'ignore' });
      const exited = new Promise((res) => child.once('exit', res));
      // spread over the ~1–4 s a replay of this log takes here (it may also finish first)
      await Promise.race([exited, new Promise((res) => setTimeout(res, 300 + trial * 450))]);
      child.kill('SIGKILL');
      await exited;
      const status = kbisect('status', '--json');
      expect(status.status, status.stderr).toBe(0);
      const events = kbisect('log').stdout.trim().split('\n').length - 1;
      expect([1, 300]).toContain(events);
      seen.add(events);
      if (events === 300) {
        // back to the small bisection for the next trial
        expect(kbisect('reset').status).toBe(0);
        expect(kbisect('start', good, bad, '--cmd', 'bash bench.sh').status).toBe(0);
        expect(kbisect('good', r.shas[1] as string).status).toBe(0);
      }
    }
    console.log(`replay killed at random moments: bisections seen afterwards (events): ${[...seen].join(', ')}`);
    const done = kbisect('replay', file, '--trust');
    expect(done.status, done.stderr).toBe(0);
    expect(kbisect('log').stdout.trim().split('\n')).toHaveLength(301);
  });
});
