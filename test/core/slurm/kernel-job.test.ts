// Kernel jobs as data: the kbisect command lines a worker runs, the build
// job's environment (run for real by bash: the worker directory per node, the
// submitter's ccache dir dropped), and the parsers of `kbisect build --json` /
// `kbisect measure --json` fed with output recorded from real Slurm jobs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTimedJobScript } from '../../../src/core/slurm/job-script.ts';
import {
  buildJobEnvironment,
  buildKernelBuildArgv,
  buildMeasureArgv,
  fragmentsToShip,
  parseBuildJobOutput,
  parseMeasureJobOutput,
  type WorkerKbisect,
} from '../../../src/core/slurm/kernel-job.ts';

const dir = mkdtempSync(join(tmpdir(), 'kbisect-kerneljob-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'slurm', name), 'utf8');

const sea: WorkerKbisect = { kind: 'executable', argv: ['/shared/kbisect/bin/kbisect-0123'] };
const bundle: WorkerKbisect = { kind: 'node-bundle', argv: ['/usr/bin/node', '/shared/kbisect/bin/kbisect-0123.mjs'] };
const SHA = 'a'.repeat(40);

describe('buildKernelBuildArgv', () => {
  it.each([
    ['a profile session (guest fragment off): the profile brings its fragment', sea, { base: 'tinyconfig' as const, fragments: [{ source: 'profile p', text: 'CONFIG_X=y' }], guestFragment: false }, { profileFile: '/s/p.yaml', fragmentFiles: [] }, null, false, ['/shared/kbisect/bin/kbisect-0123', '-C', '/repo', 'build', SHA, '--json', '--base', 'tinyconfig', '--profile', '/s/p.yaml']],
    ['a base .config, fragments, a toolchain and --rebuild, through node', bundle, { base: { file: '/home/u/my.config' }, fragments: ['CONFIG_A=y', 'CONFIG_B=n'] }, { baseFile: '/s/b.config', fragmentFiles: ['/s/a.config', '/s/c.config'] }, 'gcc-12', true, ['/usr/bin/node', '/shared/kbisect/bin/kbisect-0123.mjs', '-C', '/repo', 'build', SHA, '--json', '--config', '/s/b.config', '--fragment', '/s/a.config', '--fragment', '/s/c.config', '--toolchain', 'gcc-12', '--rebuild']],
  ])('%s', (_name, kbisect, config, files, toolchain, rebuild, expected) => {
    expect(buildKernelBuildArgv({ kbisect, repo: '/repo', sha: SHA, config, files, toolchain, rebuild })).toEqual(expected);
  });
  it('needs the shipped files the config names', () => {
    expect(() => buildKernelBuildArgv({ kbisect: sea, repo: '/r', sha: SHA, config: { base: { file: '/x' }, fragments: [] }, files: { fragmentFiles: [] }, toolchain: null, rebuild: false })).toThrow(/base .config file/);
  });
});

describe('fragmentsToShip', () => {
  it('leaves out the profile fragment when the guest fragment is off (it comes through --profile)', () => {
    expect(fragmentsToShip({ base: 'tinyconfig', fragments: [{ source: 'profile', text: 'CONFIG_P=y' }, 'CONFIG_Q=y'], guestFragment: false })).toEqual({ viaProfile: true, fragments: ['CONFIG_Q=y'] });
    expect(fragmentsToShip({ base: 'tinyconfig', fragments: [{ source: 'f', text: 'CONFIG_P=y' }] })).toEqual({ viaProfile: false, fragments: ['CONFIG_P=y'] });
  });
});

describe('buildMeasureArgv', () => {
  it('boots the image N times without touching the worker results store', () => {
    expect(buildMeasureArgv({ kbisect: sea, bzImage: '/k/bzImage', vmlinux: '/k/vmlinux', profileFile: '/s/p.yaml', boots: 3, accel: 'auto' })).toEqual([
      '/shared/kbisect/bin/kbisect-0123', 'measure', '--kernel', '/k/bzImage', '--vmlinux', '/k/vmlinux', '--profile', '/s/p.yaml', '--boots', '3', '--accel', 'auto', '--no-store', '--json',
    ]);
  });
  it.each([0, -1, 1.5, Number.NaN])('refuses %s boots', (boots) => {
    expect(() => buildMeasureArgv({ kbisect: sea, bzImage: '/k', vmlinux: null, profileFile: '/p', boots, accel: 'tcg' })).toThrow(/positive integer/);
  });
});

describe('buildJobEnvironment in a real job script', () => {
  function run(remote: string | undefined, node: string): Record<string, string> {
    const jobDir = mkdtempSync(join(dir, 'job-'));
    const e = buildJobEnvironment({ kernelCacheDir: '/shared/kernels', workerRoot: join(dir, "workers 'x'"), ...(remote === undefined ? {} : { ccacheRemoteStorage: remote }) });
    const script = join(jobDir, 'job.sh');
    const probe = 'for v in KBISECT_CACHE_DIR KBISECT_KERNEL_CACHE_DIR CCACHE_DIR CCACHE_REMOTE_STORAGE CCACHE_NOHASHDIR CCACHE_COMPILERCHECK; do printf "%s=%s\\n" $v "${!v-<unset>}"; done';
    writeFileSync(script, buildTimedJobScript({ title: 'test', cwd: jobDir, jobDir, argv: ['bash', '-c', probe], timeoutS: 10, ...e }));
    // what sbatch --export=ALL would copy from the submitter
    spawnSync('bash', [script], { env: { PATH: process.env.PATH ?? '', SLURMD_NODENAME: node, CCACHE_DIR: '/submitter/ccache', CCACHE_REMOTE_STORAGE: 'redis://stale' } });
    return Object.fromEntries(readFileSync(join(jobDir, 'stdout'), 'utf8').trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]));
  }
  it("puts the worker's directories under <workerRoot>/<node>, drops the submitter's ccache dir, shares the remote storage", () => {
    const env = run('redis://10.0.0.1:6379', 'build07');
    expect(env).toEqual({
      KBISECT_CACHE_DIR: join(dir, "workers 'x'", 'build07'),
      KBISECT_KERNEL_CACHE_DIR: '/shared/kernels',
      CCACHE_DIR: '<unset>',
      CCACHE_REMOTE_STORAGE: 'redis://10.0.0.1:6379',
      CCACHE_NOHASHDIR: 'true',
      CCACHE_COMPILERCHECK: 'content',
    });
  });
  it('without a remote storage none is inherited, and a hostile node name cannot leave the worker root', () => {
    const env = run(undefined, '../../etc');
    expect(env.CCACHE_REMOTE_STORAGE).toBe('<unset>');
    expect(env.KBISECT_CACHE_DIR).toBe(join(dir, "workers 'x'", '....etc'));
  });
});

describe('parseBuildJobOutput (recorded from a real Slurm build job)', () => {
  it('reads a built kernel with its ccache counts', () => {
    const out = parseBuildJobOutput(fixture('kbisect-build.json'));
    expect(out).toMatchObject({ kind: 'built', sha: expect.stringMatching(/^[0-9a-f]{40}$/), bzImage: expect.stringMatching(/\/kernels\/.+\/bzImage$/) });
    expect(out?.kind === 'built' ? out.ccache?.hits : null).toBeGreaterThan(0);
  });
  it.each([
    ['empty (the job died first)', ''],
    ['torn', fixture('kbisect-build.json').slice(0, 200)],
    ['an error message', 'error: build slot 0 is in use by process 12'],
    ['a build without its image', JSON.stringify({ ...JSON.parse(fixture('kbisect-build.json')), bzImage: undefined })],
    ['another sha format', JSON.stringify({ ...JSON.parse(fixture('kbisect-build.json')), sha: 'HEAD' })],
  ])('is null for %s', (_name, text) => {
    expect(parseBuildJobOutput(text)).toBeNull();
  });
  it('reads a build failure of the commit', () => {
    const failed = { kind: 'build-failed', sha: SHA, configHash: 'c', toolchainId: 'gcc-12.2.0', cacheKey: 'k', logPath: '/l', durationMs: 1, elapsedMs: 1, firstError: 'x.c:1: error', logTail: '...', cached: false };
    expect(parseBuildJobOutput(JSON.stringify(failed))).toMatchObject({ kind: 'build-failed', firstError: 'x.c:1: error' });
  });
});

describe('parseMeasureJobOutput (recorded from a real Slurm measurement job)', () => {
  it("reads the boots with the worker's fingerprint and accelerator", () => {
    const out = parseMeasureJobOutput(fixture('kbisect-measure.json'));
    expect(out?.hostFingerprint.id).toMatch(/\S/);
    expect(['kvm', 'tcg']).toContain(out?.accel);
    expect(out?.boots[0]).toMatchObject({ kind: 'ok', bootIndex: 0 });
  });
  it.each([
    ['torn', fixture('kbisect-measure.json').slice(0, 300)],
    ['a boot with a non-number run', JSON.stringify({ ...JSON.parse(fixture('kbisect-measure.json')), boots: [{ kind: 'ok', bootIndex: 0, readyMs: 1, timings: {}, tests: [{ test: 't', metric: 'm', unit: 'u', runs: ['1e999'], warmup: [] }] }] })],
    ['an unknown accelerator', JSON.stringify({ ...JSON.parse(fixture('kbisect-measure.json')), accel: 'hvf' })],
    ['a build result', fixture('kbisect-build.json')],
  ])('is null for %s', (_name, text) => {
    expect(parseMeasureJobOutput(text)).toBeNull();
  });
});
