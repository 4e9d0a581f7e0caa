import { describe, expect, it } from 'vitest';
import { runCli, UsageError } from '../../src/cli/index.ts';
import { createContext } from '../../src/cli/context.ts';
import { exitCodes, InconclusiveError, InterruptedError, ProcessError, UserError } from '../../src/core/errors.ts';
import { reportError } from '../../src/main.ts';

function reportErrorForTest(error: unknown): { code: number; stderr: string; stdout: string } {
  let stderr = '';
  let stdout = '';
  const code = reportError(error, true, (s) => (stderr += s), (s) => (stdout += s));
  expect(JSON.parse(stdout)).toHaveProperty('error.kind');
  return { code, stderr, stdout };
}

const ctx = () => createContext((raw) => raw ?? '/');

describe('argument errors', () => {
  it.each([
    [['nosuch'], /^Unknown argument: nosuch$/, /Usage: kbisect <command>/],
    [['--bogus'], /^Unknown argument: bogus$/, /Usage: kbisect <command>/],
    [[], /^a command is required$/, /Usage: kbisect <command>/],
    [['doctor', 'extra'], /^Unknown argument: extra$/, /kbisect doctor\n/],
    [['-C'], /Not enough arguments following: C/, /Usage: kbisect <command>/],
  ])('%j is a usage error', async (args, message, usage) => {
    const error = await runCli(args, ctx()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(message);
    expect((error as UsageError).usage).toMatch(usage);
  });
});

describe('error → exit code mapping', () => {
  it.each([
    [new UsageError('Unknown argument: x', 'Usage: kbisect'), exitCodes.userError, /Unknown argument: x\n\nUsage/],
    [new UserError('bad rev', 'try git log'), exitCodes.userError, /bad rev\nhint: try git log/],
    [
      new ProcessError({ message: 'make exited with code 2', command: 'make -j2', stderrTail: 'error: x' }),
      exitCodes.processFailure,
      /make exited with code 2\n {2}command: make -j2\n.*\n {4}error: x/,
    ],
    [new InconclusiveError('no confirmed regression'), exitCodes.inconclusive, /no confirmed regression/],
    [new InterruptedError('stop'), exitCodes.interrupted, /interrupted/],
    [new Error('boom'), exitCodes.internal, /internal error: .*boom/s],
  ])('%s', (error, code, text) => {
    const { code: got, stderr } = reportErrorForTest(error);
    expect(got).toBe(code);
    expect(stderr).toMatch(text);
  });
});
