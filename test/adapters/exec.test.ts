import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { killAllChildren, runCommand, startCommand } from '../../src/adapters/exec.ts';
import { isRunning } from '../helpers/process.ts';

// Real processes only: tiny bash scripts that start a grandchild, write its pid
// to a file, and wait. The grandchild is what a shell-only kill leaves behind.
let dir: string;
const strays: number[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kbisect-exec-'));
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

// Writes a script that starts `grandchild` in the background, records its pid and waits.
async function scriptWithGrandchild(grandchild: string): Promise<{ script: string; pidFile: string }> {
  const pidFile = join(dir, 'grandchild.pid');
  const script = join(dir, 'parent.sh');
  await writeFile(script, `#!/bin/bash\n${grandchild} &\necho $! > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile}\nwait\n`);
  return { script, pidFile };
}

async function readPid(pidFile: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const text = await readFile(pidFile, 'utf8').catch(() => '');
    if (text.trim() !== '') {
      const pid = Number(text.trim());
      strays.push(pid);
      return pid;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no pid in ${pidFile}`);
}


describe('process groups', () => {
  it('runs each child as the leader of its own process group', async () => {
    const r = await runCommand({ file: 'bash', args: ['-c', 'echo $$ $(ps -o pgid= -p $$)'] });
    const [pid, pgid] = r.stdout.trim().split(/\s+/);
    expect(pgid).toBe(pid);
  });

  it('a timeout kills the whole group, not only the shell', async () => {
    const { script, pidFile } = await scriptWithGrandchild('sleep 30 >/dev/null 2>&1');
    const r = await runCommand({ file: 'bash', args: [script], timeoutMs: 500 }, { reject: false });
    expect(r.timedOut).toBe(true);
    expect(r.failed).toBe(true);
    expect(await isRunning(await readPid(pidFile))).toBe(false);
  }, 5000);

  it('a timeout returns promptly even when a grandchild holds the output pipe', async () => {
    const { script, pidFile } = await scriptWithGrandchild('sleep 30');
    const started = Date.now();
    const r = await runCommand({ file: 'bash', args: [script], timeoutMs: 300 }, { reject: false });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await isRunning(await readPid(pidFile))).toBe(false);
  }, 4000);

  it('a command that ignores SIGTERM gets SIGKILL after the grace period', async () => {
    const started = Date.now();
    const r = await runCommand({ file: 'bash', args: ['-c', `trap '' TERM; sleep 30 >/dev/null & echo $! > ${join(dir, 'pid')}; wait`], timeoutMs: 300 }, { reject: false, killGraceMs: 300 });
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await isRunning(await readPid(join(dir, 'pid')))).toBe(false);
  }, 4000);

  it('a grandchild that ignores SIGTERM dies with its group', async () => {
    const { script, pidFile } = await scriptWithGrandchild(`bash -c "trap '' TERM; sleep 30" >/dev/null`);
    const r = await runCommand({ file: 'bash', args: [script], timeoutMs: 300 }, { reject: false, killGraceMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(await isRunning(await readPid(pidFile), 1000)).toBe(false);
  }, 4000);

  it('the timeout error says the whole process group was killed', async () => {
    await expect(runCommand({ file: 'sleep', args: ['5'], timeoutMs: 200 })).rejects.toThrow(/sleep timed out after 0\.2 s \(the whole process group was killed\)/);
  }, 3000);

  it('killAllChildren (Ctrl-C, SIGTERM) kills the grandchildren too', async () => {
    const { script, pidFile } = await scriptWithGrandchild('sleep 30 >/dev/null 2>&1');
    const run = runCommand({ file: 'bash', args: [script] }, { reject: false });
    const grandchild = await readPid(pidFile);
    await killAllChildren(1000);
    const r = await run;
    expect(r.signal).toBe('SIGTERM');
    expect(await isRunning(grandchild)).toBe(false);
  }, 5000);

  it('kill() of a startCommand handle (QEMU, netserver) kills its group', async () => {
    const { script, pidFile } = await scriptWithGrandchild('sleep 30 >/dev/null 2>&1');
    const handle = startCommand({ file: 'bash', args: [script] });
    const grandchild = await readPid(pidFile);
    handle.kill('SIGTERM');
    const r = await handle.done;
    expect(r.signal).toBe('SIGTERM');
    expect(await isRunning(grandchild)).toBe(false);
  }, 5000);

  it('an abort kills the group and rejects with the reason', async () => {
    const { script, pidFile } = await scriptWithGrandchild('sleep 30');
    const controller = new AbortController();
    const run = runCommand({ file: 'bash', args: [script] }, { reject: false, signal: controller.signal });
    const grandchild = await readPid(pidFile);
    const reason = new Error('stop now');
    controller.abort(reason);
    await expect(run).rejects.toBe(reason);
    expect(await isRunning(grandchild)).toBe(false);
  }, 4000);

  it('an already aborted signal starts nothing', async () => {
    const controller = new AbortController();
    const reason = new Error('too late');
    controller.abort(reason);
    const marker = join(dir, 'ran');
    await expect(runCommand({ file: 'bash', args: ['-c', `touch ${marker}`] }, { signal: controller.signal })).rejects.toBe(reason);
    await expect(readFile(marker)).rejects.toThrow(/ENOENT/);
  });

  it('killLeftovers: what the command left running is killed when it exits, and the result does not wait for it', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    const started = Date.now();
    const r = await runCommand({ file: 'bash', args: ['-c', `sleep 30 & echo $! > ${pidFile}; echo 42`] }, { killLeftovers: true });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('42\n');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await isRunning(await readPid(pidFile))).toBe(false);
  }, 4000);
});

// execa ignores its `cleanup` option for detached children; exec.ts's own exit
// hook must end them when kbisect exits or crashes. (After a SIGKILL of kbisect
// nothing can run: the children survive, a known limit.)
describe('when kbisect itself ends', () => {
  let programDir: string;
  beforeAll(async () => {
    programDir = await mkdtemp(join(tmpdir(), 'kbisect-exec-program-'));
    await build({
      entryPoints: [fileURLToPath(new URL('../fixtures/programs/exit-with-child.ts', import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: join(programDir, 'program.mjs'),
      logLevel: 'silent',
      banner: { js: "import {createRequire} from 'node:module';const require=createRequire(import.meta.url);" },
    });
  });
  afterAll(async () => {
    await rm(programDir, { recursive: true, force: true });
  });

  it.each([['exit'], ['throw']])('%s: the running children and their groups are killed', async (how) => {
    const pidFile = join(dir, 'grandchild.pid');
    const node = spawn(process.execPath, [join(programDir, 'program.mjs'), pidFile, how], { stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => node.on('exit', resolve));
    expect(code).toBe(how === 'exit' ? 0 : 1);
    expect(await isRunning(await readPid(pidFile))).toBe(false);
  }, 5000);
});

describe('keepTailBytes', () => {
  it('keeps the end of a 105 MB stdout (over the 100 MB execa maxBuffer) without failing or killing the command', async () => {
    const r = await runCommand(
      { file: 'bash', args: ['-c', 'dd if=/dev/zero bs=1M count=100 status=none; echo; echo 42; echo oops >&2'] },
      { keepTailBytes: 4096 },
    );
    expect(r.exitCode).toBe(0);
    expect(r.signal).toBeUndefined();
    expect(r.stdout.endsWith('\n42\n')).toBe(true);
    expect(r.stdout.length).toBe(4096);
    expect(r.droppedBytes).toEqual({ stdout: 100 * 2 ** 20 + 4 - 4096, stderr: 0 });
    expect(r.stderr).toBe('oops\n');
  }, 10_000);

  it('keeps the end of stderr too, and still hands every line to the callbacks', async () => {
    const lines: string[] = [];
    const r = await runCommand(
      { file: 'bash', args: ['-c', 'for i in $(seq 1 1000); do echo "line $i" >&2; done; echo done'] },
      { keepTailBytes: 20, onStderrLine: (l) => lines.push(l) },
    );
    expect(lines).toHaveLength(1000);
    expect(r.stderr).toBe('line 998\nline 999\nline 1000\n'.slice(-20));
    expect(r.droppedBytes.stderr).toBeGreaterThan(0);
    expect(r.stdout).toBe('done\n');
  });

  it('without it, output is kept whole and line callbacks still run', async () => {
    const lines: string[] = [];
    const r = await runCommand({ file: 'bash', args: ['-c', 'echo a; echo b'] }, { onStdoutLine: (l) => lines.push(l) });
    expect(lines).toEqual(['a', 'b']);
    expect(r.stdout).toBe('a\nb\n');
    expect(r.droppedBytes).toEqual({ stdout: 0, stderr: 0 });
  });
});

describe('validation', () => {
  it.each([[-1], [Number.NaN]])('rejects timeoutMs %s', async (timeoutMs) => {
    await expect(runCommand({ file: 'true', args: [], timeoutMs })).rejects.toThrow(/Expected the `timeoutMs` option to be a non-negative number, got `-?\w+`/);
  });

  it('a missing working directory is named as such, not as a missing program', async () => {
    await expect(runCommand({ file: 'true', args: [], cwd: join(dir, 'nowhere') })).rejects.toThrow(/working directory .*nowhere does not exist/);
  });

  it('a missing program is a ProcessError with a hint', async () => {
    await expect(runCommand({ file: 'kbisect-no-such-program', args: [] })).rejects.toThrow(/command not found/);
  });
});
