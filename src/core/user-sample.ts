// Generic mode (`kbisect run --cmd SCRIPT`): one invocation of the user's
// command is one sample. The number on its last non-empty line is the value;
// exit 125 means "cannot test this commit" (as in `git bisect run`). Values
// must be positive and finite: the statistics compare logs of values (ratios).

export type UserSampleOutcome =
  | { kind: 'sample'; value: number }
  | { kind: 'skip'; reason: string }
  | { kind: 'failed'; reason: string };

// Exit status git bisect run reserves for "skip this commit".
export const SKIP_EXIT_CODE = 125;

export interface UserRunFacts {
  // the end of the command's stderr, quoted in failure reasons
  stderr?: string | undefined;
  // set when the command ran out of time and its process group was killed
  timedOutAfterMs?: number | undefined;
}

// What the shell's exit statuses mean (bash(1), EXIT STATUS).
const EXIT_MEANINGS: Readonly<Record<number, string>> = {
  126: 'found but not executable',
  127: 'not found',
};

// 128+N: a process inside the command was killed by signal N.
const SIGNAL_EXITS: Readonly<Record<number, string>> = {
  129: 'SIGHUP',
  130: 'SIGINT',
  131: 'SIGQUIT',
  134: 'SIGABRT',
  137: 'SIGKILL',
  139: 'SIGSEGV',
  141: 'SIGPIPE',
  143: 'SIGTERM',
};

const STDERR_QUOTE_LINES = 3;
const STDERR_QUOTE_CHARS = 300;

// Reads one sample from the command's exit status and output.
export function parseUserSample(
  exitCode: number | undefined,
  signal: string | undefined,
  stdout: string,
  facts: UserRunFacts = {},
): UserSampleOutcome {
  const stderr = facts.stderr ?? '';
  if (facts.timedOutAfterMs !== undefined) {
    const seconds = Math.round(facts.timedOutAfterMs / 100) / 10;
    return failed(`the command timed out after ${seconds} s (the whole process group was killed)`, stderr);
  }
  if (signal) return failed(`the command was killed by ${signal}`, stderr);
  if (exitCode === SKIP_EXIT_CODE) return { kind: 'skip', reason: 'the command exited 125 (skip this commit)' };
  if (exitCode !== 0) return failed(describeExit(exitCode), stderr);
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const last = lines[lines.length - 1];
  if (last === undefined) return { kind: 'failed', reason: 'the command printed nothing; expected a positive number on its last line' };
  const match = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?(\s+\S+)?$/.exec(last);
  if (!match) {
    return { kind: 'failed', reason: `expected a positive number on the last line of the output, got ${JSON.stringify(last.slice(0, 80))}` };
  }
  const token = last.split(/\s+/)[0] ?? last;
  const value = Number(token);
  if (!Number.isFinite(value) || value <= 0) {
    return {
      kind: 'failed',
      reason: `expected a positive number on the last line of the output, got \`${token}\` (samples are compared as ratios; print e.g. a rate or a time, or exit 125 to skip the commit)`,
    };
  }
  return { kind: 'sample', value };
}

function describeExit(exitCode: number | undefined): string {
  if (exitCode === undefined) return 'the command ended without an exit status';
  const killedBy = SIGNAL_EXITS[exitCode];
  const meaning = EXIT_MEANINGS[exitCode] ?? (killedBy ? `a process in it was killed by ${killedBy}` : undefined);
  return `the command exited with code ${exitCode}${meaning ? ` (${meaning})` : ''}`;
}

// Adds the last lines of stderr to a reason: "... (not found); stderr: bash: line 1: foo: command not found".
function failed(reason: string, stderr: string): UserSampleOutcome {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '').slice(-STDERR_QUOTE_LINES);
  if (lines.length === 0) return { kind: 'failed', reason };
  const quoted = lines.join(' | ');
  const clipped = quoted.length > STDERR_QUOTE_CHARS ? `…${quoted.slice(-STDERR_QUOTE_CHARS)}` : quoted;
  return { kind: 'failed', reason: `${reason}; stderr: ${clipped}` };
}
