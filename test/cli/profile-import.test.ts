// `kbisect profile import FILE [--force]` through the CLI: what it says for a
// new, an identical and a conflicting profile, and `profile show` of a file
// that is not a profile.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/index.ts';
import { createContext } from '../../src/cli/context.ts';
import { UserError } from '../../src/core/errors.ts';

let dir: string;
const saved = process.env.KBISECT_CONFIG_DIR;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kbisect-profile-cli-'));
  process.env.KBISECT_CONFIG_DIR = join(dir, 'config');
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
  if (saved === undefined) delete process.env.KBISECT_CONFIG_DIR;
  else process.env.KBISECT_CONFIG_DIR = saved;
});

// Runs the CLI in `dir`; returns what it printed on stdout, or the error it threw.
async function run(args: string[]): Promise<{ stdout: string; error?: unknown }> {
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    stdout += String(s);
    return true;
  });
  try {
    await runCli(args, createContext(() => dir));
    return { stdout };
  } catch (error) {
    return { stdout, error };
  } finally {
    vi.restoreAllMocks();
  }
}

function teamFile(edit: (t: string) => string = (t) => t): string {
  const file = join(dir, 'team-rr.yaml');
  writeFileSync(file, edit(readFileSync(new URL('../../profiles/tcp-rr.yaml', import.meta.url), 'utf8').replace('name: tcp-rr', 'name: team-rr')));
  return file;
}

describe('kbisect profile import', () => {
  it('imports, then says an identical import changes nothing, then refuses a different one unless --force', async () => {
    const first = await run(['profile', 'import', teamFile()]);
    expect(first.error).toBeUndefined();
    expect(first.stdout).toMatch(/^imported team-rr \(sha256 [0-9a-f]{64}\) as .*team-rr\.yaml\n$/);

    const same = await run(['profile', 'import', teamFile()]);
    expect(same.stdout).toMatch(/^team-rr \(sha256 [0-9a-f]{64}\) is already imported with identical content as .*: nothing to do\n$/);

    const changed = teamFile((t) => t.replace('durationS: 5', 'durationS: 9'));
    const refused = await run(['profile', 'import', changed]);
    expect(refused.error).toBeInstanceOf(UserError);
    expect((refused.error as Error).message).toMatch(/is already imported \(.*, sha256 [0-9a-f]{64}\) and this one measures something else \(sha256 [0-9a-f]{64}\)/);

    const forced = await run(['profile', 'import', changed, '--force', '--json']);
    expect(JSON.parse(forced.stdout)).toMatchObject({ status: 'replaced', previousHash: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown });
  });
});

describe('kbisect profile show', () => {
  it('does not print a file that is not a profile', async () => {
    const file = join(dir, 'secrets.env');
    writeFileSync(file, 'API_TOKEN=hunter2\n');
    const { stdout, error } = await run(['profile', 'show', file]);
    expect(stdout).toBe('');
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(`${file}: expected a kbisect profile (a YAML mapping with schema: 1, name, topology, tests...), got a string of 17 characters`);
  });
});
