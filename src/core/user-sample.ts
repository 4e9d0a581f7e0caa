// Generic mode (`kbisect run --cmd SCRIPT`): one invocation of the user's
// command is one sample. The number on its last non-empty line is the value;
// exit 125 means "cannot test this commit" (as in `git bisect run`).

export type UserSampleOutcome =
  | { kind: 'sample'; value: number }
  | { kind: 'skip'; reason: string }
  | { kind: 'failed'; reason: string };

// Exit status git bisect run reserves for "skip this commit".
export const SKIP_EXIT_CODE = 125;

// Reads one sample from the command's exit code and output.
export function parseUserSample(exitCode: number | undefined, signal: string | undefined, stdout: string): UserSampleOutcome {
  if (signal) return { kind: 'failed', reason: `the command was killed by ${signal}` };
  if (exitCode === SKIP_EXIT_CODE) return { kind: 'skip', reason: 'the command exited 125 (skip this commit)' };
  if (exitCode !== 0) return { kind: 'failed', reason: `the command exited with code ${exitCode ?? '?'}` };
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const last = lines[lines.length - 1];
  if (last === undefined) return { kind: 'failed', reason: 'the command printed nothing; expected a number on its last line' };
  const match = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?(\s+\S+)?$/.exec(last);
  const value = match ? Number(last.split(/\s+/)[0]) : Number.NaN;
  if (!Number.isFinite(value)) {
    return { kind: 'failed', reason: `expected a number on the last line of the output, got ${JSON.stringify(last.slice(0, 80))}` };
  }
  return { kind: 'sample', value };
}
