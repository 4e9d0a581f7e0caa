// `kbisect build --toolchain X` refuses an unsafe compiler before it resolves
// a revision, reads a fragment or runs anything (the cwd here is not a repo).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.ts';
import { createContext } from '../../src/cli/context.ts';
import { UserError } from '../../src/core/errors.ts';

const savedCc = process.env.CC;
afterEach(() => {
  if (savedCc === undefined) delete process.env.CC;
  else process.env.CC = savedCc;
});

function runIn(dir: string, args: string[]): Promise<unknown> {
  return runCli(args, createContext(() => dir)).then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('kbisect build --toolchain', () => {
  it.each([
    [['--toolchain', 'gcc;touch MARKER'], /^--toolchain: expected a compiler name .* got "gcc;touch MARKER" with ";", a space/],
    [['--toolchain=--version'], /^--toolchain: expected .* which starts with "-"/],
    [['--toolchain', 'bin/gcc'], /^--toolchain: expected .* a relative path/],
  ])('refuses %j with a UserError before doing anything', async (extra, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'kbisect-toolchain-'));
    try {
      const error = await runIn(dir, ['build', 'HEAD', ...extra]);
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).message).toMatch(message);
      expect((error as UserError).hint).toMatch(/absolute path/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks $CC the same way (after dropping a leading ccache)', async () => {
    process.env.CC = 'gcc$(touch x)';
    const error = await runIn('/nonexistent', ['build', 'HEAD']);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/^\$CC: expected a compiler name .* with "\$", "\(", a space, "\)"/);
    process.env.CC = 'ccache gcc';
    const next = await runIn('/nonexistent', ['build', 'HEAD']);
    // gets past the toolchain check: fails on the missing repository instead
    expect(String((next as Error).message)).not.toMatch(/\$CC|toolchain/);
  });
});
