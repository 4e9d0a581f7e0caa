// The one place that starts child processes (the only execa import). Adapters
// describe a command as data (CommandSpec); this file runs it and returns the
// outcome as a value (ProcessResult), or a ProcessError that names the command
// and the tail of its stderr.
import { execa, type Options, type ResultPromise } from 'execa';
import { ProcessError, tailLines } from '../core/errors.ts';

export interface CommandSpec {
  file: string;
  args: readonly string[];
  cwd?: string;
  env?: Readonly<Record<string, string>>;
  timeoutMs?: number;
  input?: string;
}

export interface ProcessResult {
  command: string;
  exitCode: number | undefined;
  signal: string | undefined;
  durationMs: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  failed: boolean;
}

export interface RunOptions {
  // false: a non-zero exit is a value, not an exception (spawn errors still throw)
  reject?: boolean;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  // extra words for the ProcessError hint when the command fails
  hint?: string;
}

const running = new Set<ResultPromise>();

// Quotes a command for humans (errors, --dry-run) so it can be pasted into a shell.
export function formatCommand(spec: Pick<CommandSpec, 'file' | 'args'>): string {
  return [spec.file, ...spec.args].map(quoteShellWord).join(' ');
}

function quoteShellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function startProcess(spec: CommandSpec, opts: RunOptions): ResultPromise {
  const child = execa(spec.file, [...spec.args], {
    ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
    ...(spec.env === undefined ? {} : { env: spec.env }),
    ...(spec.timeoutMs === undefined ? {} : { timeout: spec.timeoutMs }),
    ...(spec.input === undefined ? { stdin: 'ignore' as const } : { input: spec.input }),
    reject: false,
    stripFinalNewline: false,
    cleanup: true,
    ...(opts.onStdoutLine || opts.onStderrLine
      ? {
          stdout: opts.onStdoutLine
            ? [lineTransform(opts.onStdoutLine), 'pipe']
            : 'pipe',
          stderr: opts.onStderrLine
            ? [lineTransform(opts.onStderrLine), 'pipe']
            : 'pipe',
        }
      : {}),
  } as Options) as unknown as ResultPromise;
  running.add(child);
  const forget = (): void => {
    running.delete(child);
  };
  child.then(forget, forget);
  return child;
}

function lineTransform(onLine: (line: string) => void) {
  return function* (line: unknown) {
    onLine(String(line));
    yield line;
  };
}

// Runs a command to completion. Spawn failures (ENOENT...) always throw a
// ProcessError with a hint; a non-zero exit throws unless `reject: false`.
export async function runCommand(spec: CommandSpec, opts: RunOptions = {}): Promise<ProcessResult> {
  const command = formatCommand(spec);
  const started = performance.now();
  const r = (await startProcess(spec, opts)) as unknown as {
    exitCode?: number;
    signal?: string;
    stdout?: unknown;
    stderr?: unknown;
    timedOut?: boolean;
    failed?: boolean;
    code?: string;
    originalMessage?: string;
  };
  const result: ProcessResult = {
    command,
    exitCode: r.exitCode,
    signal: r.signal,
    durationMs: performance.now() - started,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' ? r.stderr : '',
    timedOut: r.timedOut === true,
    failed: r.failed === true,
  };
  if (r.code === 'ENOENT' && r.exitCode === undefined) {
    throw new ProcessError({
      message: `${spec.file}: command not found`,
      command,
      hint: opts.hint ?? `install it (sudo bash scripts/setup-host.sh), or check PATH`,
    });
  }
  if (result.failed && opts.reject !== false) throw describeFailure(spec, result, opts.hint);
  return result;
}

// Turns a failed ProcessResult into the error the user sees.
export function describeFailure(spec: CommandSpec, result: ProcessResult, hint?: string): ProcessError {
  const how = result.timedOut
    ? `timed out after ${Math.round((spec.timeoutMs ?? 0) / 1000)} s`
    : result.signal
      ? `was killed by ${result.signal}`
      : `exited with code ${result.exitCode ?? '?'}`;
  const tail = tailLines(result.stderr || result.stdout, 15);
  return new ProcessError({
    message: `${spec.file} ${how}`,
    command: result.command,
    exitCode: result.exitCode,
    signal: result.signal,
    stderrTail: tail,
    ...(hint === undefined ? {} : { hint }),
  });
}

export interface RunningCommand {
  pid: number | undefined;
  command: string;
  // resolves when the process ends (never rejects for a non-zero exit)
  done: Promise<ProcessResult>;
  kill(signal?: NodeJS.Signals): void;
}

// Starts a long-running command (QEMU, netserver) and hands back a handle;
// the caller kills it by pid, never by name.
export function startCommand(spec: CommandSpec, opts: RunOptions = {}): RunningCommand {
  const command = formatCommand(spec);
  const started = performance.now();
  const child = startProcess(spec, opts);
  const done = (child as unknown as Promise<Record<string, unknown>>).then((r) => ({
    command,
    exitCode: typeof r.exitCode === 'number' ? r.exitCode : undefined,
    signal: typeof r.signal === 'string' ? r.signal : undefined,
    durationMs: performance.now() - started,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' ? r.stderr : '',
    timedOut: r.timedOut === true,
    failed: r.failed === true,
  }));
  return {
    pid: child.pid,
    command,
    done,
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      child.kill(signal);
    },
  };
}

// Ctrl-C: every child we started gets SIGTERM, then SIGKILL after a grace period.
export async function killAllChildren(graceMs = 2000): Promise<void> {
  const children = [...running];
  for (const c of children) c.kill('SIGTERM');
  const settled = Promise.allSettled(children);
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
  if ((await Promise.race([settled, timer])) === 'timeout') for (const c of children) c.kill('SIGKILL');
}
