// The Slurm adapter's local parts, for real: the redis ping against real
// sockets, a job's files read back, the tree exported from a real git repo,
// the jobs log appended and read. (sbatch/scontrol themselves run against a
// real cluster in test/e2e/slurm.slow.test.ts.)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendJobRecord, exportTree, jobsLogPath, pingRedis, readJobRecords, readSampleFiles, sbatchCommand, stageWorkerKbisect, writeSharedFile } from '../../src/adapters/slurm.ts';
import { setEnv } from '../helpers/temp-dir.ts';
import { useTempDir } from '../helpers/temp-dir.ts';

const tmp = useTempDir('kbisect-slurm-adapter-');
let server: Server | null = null;
afterEach(() => {
  server?.close();
  server = null;
});

async function listen(reply: string | null): Promise<number> {
  server = createServer((socket) => {
    socket.on('data', () => {
      if (reply !== null) socket.write(reply);
    });
  });
  await new Promise<void>((res) => server?.listen(0, '127.0.0.1', res));
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

describe('pingRedis', () => {
  it('is ok on +PONG', async () => {
    const port = await listen('+PONG\r\n');
    expect(await pingRedis(`redis://127.0.0.1:${port}`)).toEqual({ ok: true, detail: `127.0.0.1:${port} answered "+PONG"` });
  });
  it('is not ok on another answer (auth required)', async () => {
    const port = await listen('-NOAUTH Authentication required.\r\n');
    expect((await pingRedis(`redis://127.0.0.1:${port}`)).ok).toBe(false);
  });
  it('says why when nothing listens or nothing answers', async () => {
    const port = await listen(null);
    expect(await pingRedis(`redis://127.0.0.1:${port}`, 200)).toEqual({ ok: false, detail: `no answer from 127.0.0.1:${port} within 200 ms` });
    server?.close();
    const refused = await pingRedis(`redis://127.0.0.1:${port}`);
    expect(refused.ok).toBe(false);
    expect(refused.detail).toMatch(/ECONNREFUSED/);
  });
  it('refuses a URL that is not redis://', async () => {
    await expect(pingRedis('http://cache:8080')).rejects.toThrow(/redis:\/\/HOST/);
  });
});

describe("a job's files", () => {
  it('reads the result and the tails of its output', async () => {
    const dir = join(tmp.path, 'job');
    mkdirSync(dir);
    writeFileSync(join(dir, 'result.json'), '{"exitCode":0,"durationMs":5,"timedOut":false,"node":"perf01"}\n');
    writeFileSync(join(dir, 'stdout'), `${'x'.repeat(100)}\n42\n`);
    writeFileSync(join(dir, 'stderr'), 'warming\n');
    expect(await readSampleFiles(dir, 10)).toEqual({ result: { exitCode: 0, durationMs: 5, timedOut: false, node: 'perf01', hostKernel: null, cpuModel: null }, stdoutTail: 'xxxxxx\n42\n', stdoutDropped: 94, stderrTail: 'warming\n' });
  });
  it('has no result when the job left none', async () => {
    const dir = join(tmp.path, 'lost');
    mkdirSync(dir);
    expect(await readSampleFiles(dir, 10)).toEqual({ result: null, stdoutTail: '', stdoutDropped: 0, stderrTail: '' });
  });
});

describe('exportTree', () => {
  it("writes a commit's tree once, whole", async () => {
    const repo = join(tmp.path, 'repo');
    execFileSync('git', ['init', '-q', repo]);
    writeFileSync(join(repo, 'bench.sh'), 'echo 1\n');
    execFileSync('git', ['-C', repo, 'add', '-A']);
    execFileSync('git', ['-C', repo, '-c', 'user.name=A', '-c', 'user.email=a@b', 'commit', '-qm', 'one']);
    const sha = execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const dir = join(tmp.path, 'shared', 'trees', sha);
    await exportTree(repo, sha, dir);
    expect(readFileSync(join(dir, 'bench.sh'), 'utf8')).toBe('echo 1\n');
    writeFileSync(join(dir, 'mark'), '');
    await exportTree(repo, sha, dir);
    expect(readFileSync(join(dir, 'mark'), 'utf8')).toBe('');
    await expect(exportTree(repo, 'f'.repeat(40), join(tmp.path, 'shared', 'trees', 'bad'))).rejects.toMatchObject({ hint: expect.stringMatching(/could not write the tree/) as unknown });
  });
});

describe('the jobs log', () => {
  it('reads back what was appended, skipping records of an unknown shape', async () => {
    const path = jobsLogPath(tmp.path);
    await appendJobRecord(path, { kind: 'submitted', jobId: '7', commit: 'c', jobDir: '/d', at: 't' });
    writeFileSync(path, `${readFileSync(path, 'utf8')}{"kind":"future-kind","jobId":"7"}\n`);
    await appendJobRecord(path, { kind: 'ended', jobId: '7', as: 'infra', state: 'CANCELLED', reason: null, at: 't' });
    expect(await readJobRecords(path)).toEqual([
      { kind: 'submitted', jobId: '7', commit: 'c', jobDir: '/d', at: 't' },
      { kind: 'ended', jobId: '7', as: 'infra', state: 'CANCELLED', reason: null, at: 't' },
    ]);
  });
});

describe('sbatchCommand', () => {
  it('is sbatch with the built arguments and a time limit of its own', () => {
    const cmd = sbatchCommand({ script: '/s/job.sh', partition: 'perf', jobName: 'kbisect-1', stdoutPath: '/s/o', stderrPath: '/s/e', chdir: '/s', exclusive: true });
    expect(cmd.file).toBe('sbatch');
    expect(cmd.args.at(-1)).toBe('/s/job.sh');
    expect(cmd.timeoutMs).toBeGreaterThan(0);
  });
});

describe('stageWorkerKbisect', () => {
  it('copies the bundle once under its hash and starts it with this node', async () => {
    const bundle = join(tmp.path, 'kbisect.mjs');
    writeFileSync(bundle, 'console.log("v1")\n');
    const restore = setEnv({ KBISECT_WORKER_KBISECT: bundle });
    try {
      const shared = join(tmp.path, 'shared');
      const a = await stageWorkerKbisect(shared);
      expect(a.kind).toBe('node-bundle');
      expect(a.argv[0]).toBe(process.execPath);
      expect(a.argv[1]).toMatch(/\/kbisect\/bin\/kbisect-[0-9a-f]{16}\.mjs$/);
      expect(execFileSync(process.execPath, [a.argv[1] as string], { encoding: 'utf8' })).toBe('v1\n');
      const copiedAt = statSync(a.argv[1] as string).mtimeMs;
      expect((await stageWorkerKbisect(shared)).argv).toEqual(a.argv);
      expect(statSync(a.argv[1] as string).mtimeMs).toBe(copiedAt);
      // a new build is a new name: workers running the old one are not disturbed
      writeFileSync(bundle, 'console.log("v2")\n');
      const b = await stageWorkerKbisect(shared);
      expect(b.argv[1]).not.toBe(a.argv[1]);
      expect(readdirSync(join(shared, 'kbisect', 'bin')).sort()).toHaveLength(2);
    } finally {
      restore();
    }
  });
  it('runs an executable as it is, and says what is wrong with a missing one', async () => {
    const exe = join(tmp.path, 'kbisect');
    writeFileSync(exe, '#!/bin/sh\necho exe\n');
    const restore = setEnv({ KBISECT_WORKER_KBISECT: exe });
    try {
      const staged = await stageWorkerKbisect(join(tmp.path, 'shared'));
      expect(staged.kind).toBe('executable');
      expect(execFileSync(staged.argv[0] as string, { encoding: 'utf8' })).toBe('exe\n');
    } finally {
      restore();
    }
    const restore2 = setEnv({ KBISECT_WORKER_KBISECT: join(tmp.path, 'missing') });
    try {
      await expect(stageWorkerKbisect(join(tmp.path, 'shared'))).rejects.toThrow(/expected a kbisect executable or .mjs bundle, got .*missing/);
    } finally {
      restore2();
    }
  });
});

describe('writeSharedFile', () => {
  it('names a file by its content, so two runs share it and a changed text is another file', async () => {
    const a = await writeSharedFile(join(tmp.path, 'in'), 'CONFIG_A=y\n', '.config');
    expect(await writeSharedFile(join(tmp.path, 'in'), 'CONFIG_A=y\n', '.config')).toBe(a);
    expect(await writeSharedFile(join(tmp.path, 'in'), 'CONFIG_A=n\n', '.config')).not.toBe(a);
    expect(readFileSync(a, 'utf8')).toBe('CONFIG_A=y\n');
  });
});
