// The job script is run for real by bash here (no Slurm needed): what it
// writes is what kbisect reads back from the shared directory.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSampleJobScript, parseSampleJobResult, quoteShellWord } from '../../../src/core/slurm/job-script.ts';
import { parseCpuModel } from '../../../src/adapters/fingerprint.ts';

const dir = mkdtempSync(join(tmpdir(), 'kbisect-jobscript-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('quoteShellWord', () => {
  it.each(["plain", "it's", "$(touch /tmp/pwned) `id` $HOME", 'a\nb', "'", '', "\\'\"; rm -rf /"])('bash reads %j back unchanged', (word) => {
    expect(execFileSync('bash', ['-c', `printf %s ${quoteShellWord(word)}`], { encoding: 'utf8' })).toBe(word);
  });
  it('refuses a NUL byte', () => {
    expect(() => quoteShellWord('a\0b')).toThrow(/NUL/);
  });
});

function runJob(command: string, timeoutS = 30): { result: ReturnType<typeof parseSampleJobResult>; stdout: string; stderr: string; jobDir: string } {
  const tree = mkdtempSync(join(dir, "tree with 'quote' $x-"));
  const jobDir = join(dir, `job-${Math.random().toString(36).slice(2)}`);
  mkdirSync(jobDir);
  writeFileSync(join(tree, 'level'), '80\n');
  const script = join(jobDir, 'job.sh');
  writeFileSync(script, buildSampleJobScript({ tree, jobDir, commit: 'a'.repeat(40), command, timeoutS }));
  spawnSync('bash', [script], { env: { PATH: process.env.PATH ?? '', SLURMD_NODENAME: 'perf01' } });
  const read = (f: string): string => readFileSync(join(jobDir, f), 'utf8');
  return { result: parseSampleJobResult(read('result.json')), stdout: read('stdout'), stderr: read('stderr'), jobDir };
}

describe('buildSampleJobScript', () => {
  it('runs the command in the tree with KBISECT_COMMIT and writes its result', () => {
    const r = runJob('echo "$KBISECT_COMMIT" >&2; echo $(( $(cat level) * 1000 ))');
    expect(r.stdout).toBe('80000\n');
    expect(r.stderr).toBe(`${'a'.repeat(40)}\n`);
    expect(r.result).toMatchObject({ exitCode: 0, timedOut: false, node: 'perf01' });
  });

  it("names the worker's kernel release and CPU model as the host fingerprint reads them", () => {
    const r = runJob('echo 1');
    expect(r.result?.hostKernel).toBe(release());
    expect(r.result?.cpuModel).toBe(parseCpuModel(readFileSync('/proc/cpuinfo', 'utf8')));
  });

  it("passes the user's command to bash -c untouched, quotes and all", () => {
    const r = runJob(`printf '%s\\n' "it's \\$HOME" 'x'; echo 5`);
    expect(r.stdout).toBe("it's $HOME\nx\n5\n");
  });

  it('keeps the exit status (125 = skip)', () => {
    expect(runJob('exit 125').result).toMatchObject({ exitCode: 125, timedOut: false });
  });

  it('kills a command that runs too long, background children too, and says so', () => {
    const started = Date.now();
    const r = runJob('sleep 30 & sleep 30; echo never', 1);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(r.result).toMatchObject({ exitCode: 124, timedOut: true });
    expect(r.stdout).toBe('');
  });

  it('refuses a timeout that is not positive', () => {
    expect(() => buildSampleJobScript({ tree: '/t', jobDir: '/j', commit: 'a', command: 'true', timeoutS: 0 })).toThrow(/positive/);
  });
});

describe('parseSampleJobResult', () => {
  it.each([
    // written by an older kbisect: no facts of the worker
    ['{"exitCode":0,"durationMs":12,"timedOut":false,"node":""}', { exitCode: 0, durationMs: 12, timedOut: false, node: null, hostKernel: null, cpuModel: null }],
    [
      '{"exitCode":1,"durationMs":3,"timedOut":false,"node":"perf01","hostKernel":"6.1.0-18-amd64","cpuModel":"Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz"}',
      { exitCode: 1, durationMs: 3, timedOut: false, node: 'perf01', hostKernel: '6.1.0-18-amd64', cpuModel: 'Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz' },
    ],
    ['{"exitCode":0,"durationMs":12}', null],
    ['{"exitCode":0,"durationMs":1', null],
    ['', null],
  ])('%j', (text, expected) => {
    expect(parseSampleJobResult(text)).toEqual(expected);
  });
});
