// The few error kinds kbisect distinguishes. Each maps to one exit code, and
// that mapping lives in src/main.ts only.

export const exitCodes = {
  ok: 0,
  processFailure: 1,
  userError: 2,
  inconclusive: 3,
  internal: 70,
  interrupted: 130,
} as const;

// How a command ended, by name: handlers say which, src/main.ts maps it to its number.
export type ExitKind = keyof typeof exitCodes;

// Bad input from the user: what was expected, what was got, what to do.
export class UserError extends Error {
  override readonly name = 'UserError';
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.hint = hint;
  }
}

// A child process (git, make, qemu, netperf...) failed: keeps the command and
// the tail of its stderr so the message says what ran and how it ended.
export class ProcessError extends Error {
  override readonly name = 'ProcessError';
  readonly command: string;
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly stderrTail: string;
  readonly hint: string | undefined;
  constructor(opts: {
    message: string;
    command: string;
    exitCode?: number | undefined;
    signal?: string | undefined;
    stderrTail?: string;
    hint?: string;
  }) {
    super(opts.message);
    this.command = opts.command;
    this.exitCode = opts.exitCode;
    this.signal = opts.signal;
    this.stderrTail = opts.stderrTail ?? '';
    this.hint = opts.hint;
  }
}

// The evidence does not support an answer (no confirmed regression, a check
// failed): not a crash, but not success either.
export class InconclusiveError extends Error {
  override readonly name = 'InconclusiveError';
  readonly details: unknown;
  constructor(message: string, details?: unknown) {
    super(message);
    this.details = details;
  }
}

// A bug in kbisect itself.
export class InternalError extends Error {
  override readonly name = 'InternalError';
}

// Thrown where the user pressed Ctrl-C (or we got SIGTERM) and a step stopped.
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
}

// Describes a value for an error message the same way everywhere: `"two"`, `-1`, `undefined`.
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

// Keeps the last lines of a process output for error messages.
export function tailLines(text: string, lines = 20): string {
  const all = text.replace(/\s+$/, '').split('\n');
  return all.slice(-lines).join('\n');
}

// Makes exhaustive switches over discriminated unions a compile-time check.
export function assertNever(value: never, what = 'value'): never {
  throw new InternalError(`unexpected ${what}: ${describeValue(value)}`);
}
