// A build in the background of a measurement (run --jobs 2's speculative
// builds) really runs make at nice 19 and only on the CPUs it is given: a
// `make` on PATH that reports its own niceness and affinity is run through
// makeBuildCommand's prefix and runMakeBuild, as a real build would be.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeBuildCommand, runMakeBuild, type BuildEnvironment } from '../../src/adapters/kernel-build.ts';
import { backgroundPrefix, parseAllowedCpus, parseCpuList } from '../../src/core/cpu-partition.ts';

const dir = mkdtempSync(join(tmpdir(), 'kbisect-bg-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'make'), '#!/bin/sh\necho "nice=$(nice)"\necho "cpus=$(taskset -c -p $$ | sed "s/.*: //")"\necho "args=$*"\n');
chmodSync(join(dir, 'make'), 0o755);
const env: BuildEnvironment = { toolchain: { cc: 'gcc', id: 'gcc-x', versionText: 'gcc', linkerVersionText: 'ld' }, ccache: null };

async function run(prefix: readonly string[] | undefined): Promise<string> {
  const spec = makeBuildCommand({ srcDir: '/src', outDir: '/out', jobs: 3, env, ...(prefix ? { prefix } : {}) });
  const log = join(dir, `log-${Math.random()}`);
  const outcome = await runMakeBuild({ ...spec, env: { ...spec.env, PATH: `${dir}:${process.env.PATH ?? ''}` } }, { logPath: log });
  expect(outcome.exitCode).toBe(0);
  return readFileSync(log, 'utf8');
}

describe('a background build', () => {
  it('runs make at nice 19 on the CPUs given', async () => {
    const out = await run(backgroundPrefix([0]));
    expect(out).toContain('nice=19');
    expect(out).toContain('cpus=0\n');
    expect(out).toContain('args=-C /src O=/out -j3 CC=gcc HOSTCC=gcc bzImage');
  });
  it('a foreground build runs make as it is, on every CPU this process has', async () => {
    const mine = parseAllowedCpus(readFileSync('/proc/self/status', 'utf8'));
    const out = await run(undefined);
    expect(out).toContain(`nice=${getPriority()}\n`);
    expect(parseCpuList(/^cpus=(.*)$/m.exec(out)?.[1] ?? '')).toEqual(mine);
  });
});
