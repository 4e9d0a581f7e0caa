// `kbisect start/run/report` options as a user types them: every bad value is
// exit 2 naming the option the user typed, before anything is recorded or run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../src/cli/index.ts';
import { createContext } from '../../src/cli/context.ts';
import { UserError } from '../../src/core/errors.ts';
import { isolateKbisectDirs, makeBenchRepo, type BenchRepo } from '../helpers/bench-repo.ts';

let r: BenchRepo;
let restore: () => void;

beforeAll(() => {
  r = makeBenchRepo({ prefix: 'kbisect-opts-' });
  restore = isolateKbisectDirs(r.dir);
});

afterAll(() => {
  restore();
  r.remove();
});

const cli = (...args: string[]): Promise<string> => runCli(['-C', r.repo, ...args], createContext((raw) => raw ?? r.repo));
const range = (): string[] => [r.shas[0] as string, r.shas[r.shas.length - 1] as string];
const session = (): string => join(r.repo, '.git', 'kbisect', 'session.json');

describe('start refuses bad values, naming the option', () => {
  it.each([
    [['--cmd', 'bash bench.sh', '--max-boots', '1'], /--max-boots/, /maxBootsPerCommit/],
    [['--cmd', 'bash bench.sh', '--seed'], /seed/, null],
    [['--cmd', ''], /--cmd: expected a shell command, got an empty string|Not enough arguments following: cmd/, null],
    [['--cmd', 'bash bench.sh', '--timeout', '0'], /--timeout: expected a positive number of seconds, got 0/, null],
    [['--cmd', 'bash bench.sh', '--toolchain', 'gcc; touch /tmp/x'], /--toolchain/, null],
    [['--cmd', 'bash bench.sh', '--profile', 'tcp-rr'], /either --profile or --cmd, got both/, null],
  ])('%j', async (args, message, notMessage) => {
    const error = await cli('start', ...range(), ...args).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(message);
    if (notMessage) expect((error as UserError).message).not.toMatch(notMessage);
    expect(existsSync(session())).toBe(false);
  });
});

describe('output paths are checked before any work', () => {
  it('run --html into a missing directory is exit 2 before anything runs; report --html too', async () => {
    expect(await cli('start', ...range(), '--cmd', 'bash bench.sh')).toBe('ok');
    const error = await cli('run', '--html', '/no/such/dir/r.html').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/--html \/no\/such\/dir\/r\.html: expected a file in an existing directory/);
    expect(existsSync(join(r.repo, '.git', 'kbisect', 'events.jsonl'))).toBe(false);
    await expect(cli('report', '--html', '/no/such/dir/r.html')).rejects.toThrow(/existing directory/);
    await expect(cli('report', '--html', r.dir)).rejects.toThrow(/expected a file name, got a directory/);
    expect(await cli('reset')).toBe('ok');
  });
});
