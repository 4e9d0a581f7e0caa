// The Slurm adapter's local parts, for real: the redis ping against real
// sockets, a job's files read back, the tree exported from a real git repo,
// the jobs log appended and read. (sbatch/scontrol themselves run against a
// real cluster in test/e2e/slurm.slow.test.ts.)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendJobRecord, exportTree, jobsLogPath, pingRedis, readJobRecords, readSampleFiles, sbatchCommand } from '../../src/adapters/slurm.ts';
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
    expect(await readSampleFiles(dir, 10)).toEqual({ result: { exitCode: 0, durationMs: 5, timedOut: false, node: 'perf01' }, stdoutTail: 'xxxxxx\n42\n', stdoutDropped: 94, stderrTail: 'warming\n' });
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
