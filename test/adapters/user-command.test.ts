import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runUserCommand } from '../../src/adapters/user-command.ts';
import { killAllChildren } from '../../src/adapters/exec.ts';
import { isRunning } from '../helpers/process.ts';

// Real bash commands in a temporary "worktree", as `kbisect run --cmd` runs them.
let dir: string;
const strays: number[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kbisect-user-command-'));
});

afterEach(async () => {
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
  await rm(dir, { recursive: true, force: true });
});

async function readPid(pidFile: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const text = await readFile(pidFile, 'utf8').catch(() => '');
    if (text.endsWith('\n')) {
      const pid = Number(text.trim());
      strays.push(pid);
      return pid;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no pid in ${pidFile}`);
}


const run = (command: string, more: { timeoutMs?: number; signal?: AbortSignal } = {}) =>
  runUserCommand({ command, cwd: dir, env: { KBISECT_COMMIT: 'abc123' }, timeoutMs: more.timeoutMs ?? 10_000, ...(more.signal ? { signal: more.signal } : {}) });

describe('runUserCommand', () => {
  it('reads the sample from the last line, in the worktree, with the environment', async () => {
    await writeFile(join(dir, 'bench.sh'), 'echo "commit $KBISECT_COMMIT in $(basename $PWD)" >&2\necho warming up\necho 2580.5 Mbit/s\n');
    const r = await run('bash bench.sh');
    expect(r.outcome).toEqual({ kind: 'sample', value: 2580.5 });
    expect(r.detail).toMatchObject({ exitCode: 0, signal: null, timedOut: false });
    expect(r.detail.stderrTail).toMatch(/^commit abc123 in kbisect-user-command-/);
  });

  it('exit 125 skips the commit', async () => {
    expect((await run('echo 42; exit 125')).outcome.kind).toBe('skip');
  });

  it('a hanging command times out and its whole process group dies', async () => {
    const pidFile = join(dir, 'sleep.pid');
    const started = Date.now();
    const r = await run(`sleep 30 & echo $! > ${pidFile}; wait`, { timeoutMs: 500 });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(r.outcome).toEqual({ kind: 'failed', reason: 'the command timed out after 0.5 s (the whole process group was killed)' });
    expect(r.detail.timedOut).toBe(true);
    expect(await isRunning(await readPid(pidFile))).toBe(false);
  }, 4000);

  it('Ctrl-C (killAllChildren) reaches the background jobs of the command', async () => {
    const pidFile = join(dir, 'sleep.pid');
    const running = run(`sleep 30 >/dev/null & echo $! > ${pidFile}; wait`);
    const grandchild = await readPid(pidFile);
    await killAllChildren(1000);
    const r = await running;
    expect(r.outcome).toEqual({ kind: 'failed', reason: 'the command was killed by SIGTERM' });
    expect(await isRunning(grandchild)).toBe(false);
  }, 4000);

  it('an abort kills the group and rejects with the reason', async () => {
    const pidFile = join(dir, 'sleep.pid');
    const controller = new AbortController();
    const running = run(`sleep 30 & echo $! > ${pidFile}; wait`, { signal: controller.signal });
    const grandchild = await readPid(pidFile);
    const reason = new Error('interrupted');
    controller.abort(reason);
    await expect(running).rejects.toBe(reason);
    expect(await isRunning(grandchild)).toBe(false);
  }, 4000);

  it('a background job left behind does not hold the sample back, and is killed', async () => {
    const pidFile = join(dir, 'sleep.pid');
    const started = Date.now();
    const r = await run(`sleep 30 & echo $! > ${pidFile}; echo 42`);
    expect(r.outcome).toEqual({ kind: 'sample', value: 42 });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await isRunning(await readPid(pidFile))).toBe(false);
  }, 4000);

  it('a script that is not executable: exit 126 with the reason from stderr', async () => {
    await writeFile(join(dir, 'bench.sh'), '#!/bin/sh\necho 1\n');
    await chmod(join(dir, 'bench.sh'), 0o644);
    const r = await run('./bench.sh');
    expect(r.outcome.kind).toBe('failed');
    if (r.outcome.kind === 'failed') expect(r.outcome.reason).toMatch(/^the command exited with code 126 \(found but not executable\); stderr: .*bench\.sh: Permission denied$/);
    expect(r.detail.exitCode).toBe(126);
  });

  it('a command that does not exist: exit 127, "not found"', async () => {
    const r = await run('kbisect-no-such-benchmark --fast');
    expect(r.outcome.kind === 'failed' && r.outcome.reason).toMatch(/code 127 \(not found\); stderr: .*kbisect-no-such-benchmark: command not found/);
  });

  it('105 MB of output (over the 100 MB execa maxBuffer) still yields the value on the last line', async () => {
    const r = await run('dd if=/dev/zero bs=1M count=100 status=none; echo; echo 42');
    expect(r.outcome).toEqual({ kind: 'sample', value: 42 });
  }, 10_000);

  it('a last line longer than the kept tail is a failure, not a cut number', async () => {
    const r = await run(`head -c 100000 /dev/zero | tr '\\0' 1; echo`);
    expect(r.outcome).toEqual({ kind: 'failed', reason: expect.stringMatching(/last line of the output is longer than 64 KiB/) });
  });

  it.each([['0'], ['-3'], ['nan']])('rejects the value %s', async (value) => {
    const r = await run(`echo ${value}`);
    expect(r.outcome).toEqual({ kind: 'failed', reason: expect.stringMatching(/^expected a positive number on the last line of the output, got/) });
  });

  it('rejects a missing or non-positive timeout', async () => {
    await expect(runUserCommand({ command: 'true', cwd: dir, timeoutMs: 0 })).rejects.toThrow(/Expected the command timeout to be a positive number of milliseconds, got `0`/);
  });
});
