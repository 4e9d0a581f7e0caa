// Generic mode's one effect: run the user's shell command once in a checked-out
// tree and read one sample from it. The command runs as `bash -c` in its own
// process group with a time limit, so a hanging script, its background jobs
// and its pipelines all die together; only the end of its output is kept, so
// a chatty benchmark cannot exhaust memory or be killed for what it prints.
import { parseUserSample, type UserSampleOutcome } from '../core/user-sample.ts';
import { UserError, tailLines } from '../core/errors.ts';
import { runCommand } from './exec.ts';

export interface UserCommandSpec {
  // a bash command line, run with `bash -c`
  command: string;
  cwd: string;
  env?: Readonly<Record<string, string>>;
  timeoutMs: number;
  // abort: the process group is killed and runUserCommand rejects with signal.reason
  signal?: AbortSignal;
}

export interface UserCommandDetail {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  stderrTail: string;
}

export interface UserCommandRun {
  outcome: UserSampleOutcome;
  detail: UserCommandDetail;
}

// Enough for the last lines of any sane benchmark; the value is on the last one.
export const USER_OUTPUT_TAIL_BYTES = 64 * 1024;
const STDERR_TAIL_LINES = 20;
const STDERR_TAIL_CHARS = 2000;

// Runs the user's command once and turns how it ended into a sample, a skip or a failure.
export async function runUserCommand(spec: UserCommandSpec): Promise<UserCommandRun> {
  if (!Number.isFinite(spec.timeoutMs) || spec.timeoutMs <= 0) {
    throw new UserError(`Expected the command timeout to be a positive number of milliseconds, got \`${spec.timeoutMs}\`.`);
  }
  const r = await runCommand(
    {
      file: 'bash',
      args: ['-c', spec.command],
      cwd: spec.cwd,
      ...(spec.env === undefined ? {} : { env: spec.env }),
      timeoutMs: spec.timeoutMs,
    },
    {
      reject: false,
      keepTailBytes: USER_OUTPUT_TAIL_BYTES,
      killLeftovers: true,
      ...(spec.signal === undefined ? {} : { signal: spec.signal }),
    },
  );
  const exitedCleanly = r.exitCode === 0 && r.signal === undefined && !r.timedOut;
  const stdout = completeLines(r.stdout, r.droppedBytes.stdout);
  const outcome: UserSampleOutcome =
    stdout === null && exitedCleanly
      ? { kind: 'failed', reason: `the last line of the output is longer than ${USER_OUTPUT_TAIL_BYTES / 1024} KiB; expected a positive number on it` }
      : parseUserSample(r.exitCode, r.signal, stdout ?? '', { stderr: r.stderr, timedOutAfterMs: r.timedOut ? spec.timeoutMs : undefined });
  const stderrTail = tailLines(r.stderr, STDERR_TAIL_LINES);
  return {
    outcome,
    detail: {
      exitCode: r.exitCode ?? null,
      signal: r.signal ?? null,
      timedOut: r.timedOut,
      durationMs: Math.round(r.durationMs),
      stderrTail: stderrTail.length > STDERR_TAIL_CHARS ? stderrTail.slice(-STDERR_TAIL_CHARS) : stderrTail,
    },
  };
}

// The kept tail minus its first, cut line; null when the tail is all one cut line.
function completeLines(tail: string, droppedBytes: number): string | null {
  if (droppedBytes === 0) return tail;
  const body = tail.replace(/\n+$/, '');
  const newline = body.indexOf('\n');
  return newline < 0 ? null : body.slice(newline + 1);
}
