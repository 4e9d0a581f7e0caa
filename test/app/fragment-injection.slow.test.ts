// A profile's kernel fragment must not run commands on the host during a
// kernel build. Linux (>= 5.17) writes string options unquoted into
// include/config/auto.conf, which make includes; usr/Makefile then pastes
// CONFIG_INITRAMFS_SOURCE into the gen_initramfs.sh command line. Each case
// below ran a command (or wrote a file) on the host before string values were
// restricted (the build is stopped as soon as it has); now the build must be
// refused before anything runs.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listKernelCache, resetBuildWorkspace } from '../../src/app/build-cache.ts';
import { readKernelConfigSpec } from '../../src/app/build-config.ts';
import { buildRevision } from '../../src/app/build-revision.ts';
import { UserError } from '../../src/core/errors.ts';
import { ensureKernelFixture, type KernelFixture } from '../fixtures/kernel-repo.ts';

let fx: KernelFixture;
let dir: string;
let savedCacheDir: string | undefined;

beforeAll(async () => {
  fx = await ensureKernelFixture();
  dir = mkdtempSync('/var/tmp/kbisect-injection-test-');
  savedCacheDir = process.env.KBISECT_CACHE_DIR;
  process.env.KBISECT_CACHE_DIR = join(dir, 'cache');
});

afterAll(async () => {
  if (fx && dir) await resetBuildWorkspace(fx.repo).catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (savedCacheDir === undefined) delete process.env.KBISECT_CACHE_DIR;
  else process.env.KBISECT_CACHE_DIR = savedCacheDir;
});

// tcp-rr with one extra fragment line: what an imported profile could carry.
function writeProfile(name: string, line: string): string {
  // a small profile on top of the shipped one, adding the line to its kernel fragment
  const text = `schema: 1\nextends: tcp-rr\nname: ${name}\nkernel:\n  fragment:\n    - ${JSON.stringify(line)}\n`;
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, text);
  return path;
}

const cases: { name: string; line: (marker: string) => string; char: string }[] = [
  // shell command substitution in the gen_initramfs.sh command line
  { name: 'backquote', line: (m) => `CONFIG_INITRAMFS_SOURCE="\`touch ${m}\`"`, char: '`' },
  // make expands $(...) when auto.conf's variable is used
  { name: 'make-shell', line: (m) => `CONFIG_INITRAMFS_SOURCE="$(shell touch ${m})"`, char: '$' },
  // an extra option for gen_initramfs.sh: writes the cpio archive anywhere
  { name: 'option', line: (m) => `CONFIG_INITRAMFS_SOURCE="-o ${m}"`, char: '-' },
];

describe('kernel fragment string values and the host shell', () => {
  it.each(cases)('refuses a profile whose fragment smuggles a command ($name) before building', async ({ name, line, char }) => {
    const marker = join(dir, `marker-${name}`);
    const profile = writeProfile(`inject-${name}`, line(marker));
    // the profile is refused as it is read...
    const refused = await readKernelConfigSpec({ profile, cwd: dir }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UserError);
    expect((refused as Error).message).toContain(profile);
    expect((refused as Error).message).toContain('CONFIG_INITRAMFS_SOURCE');
    // ...and the same line reaching the build by another way (a --fragment file, a replayed log) is refused there
    const config = await readKernelConfigSpec({ extraFragments: [line(marker)] });
    const started = performance.now();
    // where the command does run (before the fix), stop the build as soon as it has
    const abort = new AbortController();
    const poll = setInterval(() => {
      if (existsSync(marker)) abort.abort();
    }, 500);
    const outcome = await buildRevision({ repo: fx.repo, rev: fx.commits.good, config, slot: 0, signal: abort.signal })
      .then(
        (r) => r,
        (e: unknown) => e,
      )
      .finally(() => clearInterval(poll));
    const elapsedS = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${name}: ${outcome instanceof Error ? `refused: ${outcome.message}` : `build ${(outcome as { kind: string }).kind}`} after ${elapsedS} s; marker ${existsSync(marker) ? 'CREATED' : 'absent'}`);
    expect(existsSync(marker), `${marker} was created: the fragment ran a command on the host`).toBe(false);
    expect(outcome).toBeInstanceOf(UserError);
    expect((outcome as Error).message).toContain('CONFIG_INITRAMFS_SOURCE');
    expect((outcome as Error).message).toContain(JSON.stringify(char));
    expect((await listKernelCache()).entries).toEqual([]);
  });
});
