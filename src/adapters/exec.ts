// The one place that starts child processes (the only execa import). Adapters
// describe a command as data (CommandSpec); this file runs it and returns the
// outcome as a value (ProcessResult), or a ProcessError that names the command
// and the tail of its stderr.
//
// Every child is the leader of its own process group (execa `detached`, i.e.
// setsid), and every kill — timeout, abort, kill(), killAllChildren() — goes to
// the whole group: a shell script's background jobs and pipelines die with it.
// The price: a terminal's Ctrl-C no longer reaches the children by itself, so
// src/main.ts must call killAllChildren() on SIGINT/SIGTERM (it does), and
// execa's `cleanup` is ignored for detached children (execa
// lib/terminate/cleanup.js), so the 'exit' hook below replaces it. If kbisect
// is killed with SIGKILL nothing runs: its children survive as orphans (as
// they did before, when execa's cleanup could not run either), unless they
// die writing to the pipes that closed with us.
import { existsSync } from 'node:fs';
import { execa, type Options, type ResultPromise } from 'execa';
import { InterruptedError, ProcessError, tailLines } from '../core/errors.ts';
import { isShuttingDown } from './cleanup.ts';

export interface CommandSpec {
  file: string;
  args: readonly string[];
  cwd?: string;
  env?: Readonly<Record<string, string>>;
  // the whole process group is killed after this long (0 or absent: no limit)
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
  // bytes cut from the start of stdout/stderr by `keepTailBytes` (0: all kept)
  droppedBytes: { stdout: number; stderr: number };
}

export interface RunOptions {
  // false: a non-zero exit is a value, not an exception (spawn errors still throw)
  reject?: boolean;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  // extra words for the ProcessError hint when the command fails
  hint?: string;
  // keep only the last N bytes of stdout and of stderr: any amount of output
  // is read, none of it fails or kills the command
  keepTailBytes?: number;
  // abort: the group is killed; runCommand rejects with `signal.reason` once it is gone
  signal?: AbortSignal;
  // when the command exits, what it left running in its group is killed too
  // (and the result does not wait for leftovers holding its output pipes)
  killLeftovers?: boolean;
  // SIGTERM → SIGKILL delay for every kill of this command
  killGraceMs?: number;
  // an undo step (deleting a namespace): may start after Ctrl-C; every other
  // command is refused from then on, so nothing new outlives the shutdown
  whileStopping?: boolean;
}

const KILL_GRACE_MS = 2000;

interface Started {
  pid: number | undefined;
  command: string;
  // resolves when the process and its output pipes are done; never rejects
  finished: Promise<{ result: ProcessResult; errorCode: string | undefined }>;
  aborted(): boolean;
  // sends `signal` to the group; SIGTERM is followed by SIGKILL after the grace period
  terminate(signal?: NodeJS.Signals, graceMs?: number): void;
}

const running = new Set<Started>();

// Quotes a command for humans (errors, --dry-run) so it can be pasted into a shell.
export function formatCommand(spec: Pick<CommandSpec, 'file' | 'args'>): string {
  return [spec.file, ...spec.args].map(quoteShellWord).join(' ');
}

function quoteShellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

// Signals every process in the group led by `pid`; false when none is left.
function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    // ESRCH: the group is gone. EPERM: only members we may not signal (a
    // setuid program) are left; nothing more we can do from here.
    return false;
  }
}

let exitHookInstalled = false;
// Normal exit, process.exit() or an uncaught exception: no child outlives us.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const s of running) if (s.pid !== undefined) signalGroup(s.pid, 'SIGTERM');
  });
}

function validateOptions(spec: CommandSpec, opts: RunOptions): void {
  const check = (name: string, value: number | undefined, ok: (v: number) => boolean, what: string): void => {
    if (value !== undefined && !ok(value)) throw new TypeError(`Expected the \`${name}\` option to be ${what}, got \`${value}\`.`);
  };
  check('timeoutMs', spec.timeoutMs, (v) => Number.isFinite(v) && v >= 0, 'a non-negative number');
  check('keepTailBytes', opts.keepTailBytes, (v) => Number.isInteger(v) && v > 0, 'a positive integer');
  check('killGraceMs', opts.killGraceMs, (v) => Number.isFinite(v) && v >= 0, 'a non-negative number');
}

// The last `limit` bytes of a stream, in bounded memory however much passes through.
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  dropped = 0;
  constructor(private readonly limit: number) {}

  push(chunk: unknown): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk instanceof Uint8Array ? Buffer.from(chunk) : Buffer.from(String(chunk));
    this.chunks.push(bytes);
    this.size += bytes.length;
    if (this.size > 2 * this.limit + 65_536) this.compact();
  }

  private compact(): void {
    const all = Buffer.concat(this.chunks);
    const start = Math.max(0, all.length - this.limit);
    this.dropped += start;
    this.chunks = [Buffer.from(all.subarray(start))];
    this.size = this.chunks[0]?.length ?? 0;
  }

  text(): string {
    this.compact();
    return this.chunks[0]?.toString('utf8') ?? '';
  }
}

function startProcess(spec: CommandSpec, opts: RunOptions): Started {
  const command = formatCommand(spec);
  // killAllChildren() has taken its list: a child started now would outlive kbisect
  if (isShuttingDown() && opts.whileStopping !== true) throw new InterruptedError(`interrupted: not starting ${command}`);
  const graceDefault = opts.killGraceMs ?? KILL_GRACE_MS;
  const tails = opts.keepTailBytes === undefined ? null : { stdout: new TailBuffer(opts.keepTailBytes), stderr: new TailBuffer(opts.keepTailBytes) };
  const started = performance.now();
  const child = execa(spec.file, [...spec.args], {
    ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
    ...(spec.env === undefined ? {} : { env: spec.env }),
    ...(spec.input === undefined ? { stdin: 'ignore' as const } : { input: spec.input }),
    reject: false,
    stripFinalNewline: false,
    detached: true,
    // we read the tails ourselves: raw bytes are cheaper than execa's decoding
    ...(tails ? { buffer: false, ...(opts.onStdoutLine || opts.onStderrLine ? {} : { encoding: 'buffer' }) } : {}),
    ...(opts.onStdoutLine || opts.onStderrLine
      ? {
          stdout: opts.onStdoutLine ? [lineTransform(opts.onStdoutLine), 'pipe'] : 'pipe',
          stderr: opts.onStderrLine ? [lineTransform(opts.onStderrLine), 'pipe'] : 'pipe',
        }
      : {}),
  } as Options) as unknown as ResultPromise;
  installExitHook();
  const pid = child.pid;
  if (tails) {
    child.stdout?.on('data', (chunk: unknown) => tails.stdout.push(chunk));
    child.stderr?.on('data', (chunk: unknown) => tails.stderr.push(chunk));
  }

  let exited = false;
  let killRequested = false;
  let timedOut = false;
  let aborted = false;
  let escalation: NodeJS.Timeout | undefined;
  const escalate = (graceMs: number): void => {
    if (escalation !== undefined || pid === undefined) return;
    escalation = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
    escalation.unref();
  };
  const terminate = (signal: NodeJS.Signals = 'SIGTERM', graceMs = graceDefault): void => {
    if (pid === undefined) return;
    killRequested = true;
    signalGroup(pid, signal);
    if (signal !== 'SIGKILL' && !exited) escalate(graceMs);
  };
  const timer =
    spec.timeoutMs === undefined || spec.timeoutMs === 0
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          terminate('SIGTERM');
        }, spec.timeoutMs);
  const onAbort = (): void => {
    aborted = true;
    terminate('SIGTERM');
  };
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });

  // The leader is gone: once a kill was asked for, what is left of its group
  // has had its SIGTERM and gets SIGKILL now; with killLeftovers, leftovers of
  // a normal exit get SIGTERM and the usual grace period.
  child.once('exit', () => {
    exited = true;
    if (timer !== undefined) clearTimeout(timer);
    if (pid === undefined) return;
    if (killRequested) {
      if (escalation !== undefined) clearTimeout(escalation);
      signalGroup(pid, 'SIGKILL');
    } else if (opts.killLeftovers && signalGroup(pid, 'SIGTERM')) {
      escalate(graceDefault);
    }
  });

  const finished = (child as unknown as Promise<Record<string, unknown>>).then((r) => {
    if (timer !== undefined) clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    const result: ProcessResult = {
      command,
      exitCode: typeof r.exitCode === 'number' ? r.exitCode : undefined,
      signal: typeof r.signal === 'string' ? r.signal : undefined,
      durationMs: performance.now() - started,
      stdout: tails ? tails.stdout.text() : typeof r.stdout === 'string' ? r.stdout : '',
      stderr: tails ? tails.stderr.text() : typeof r.stderr === 'string' ? r.stderr : '',
      timedOut,
      failed: r.failed === true || timedOut,
      droppedBytes: { stdout: tails?.stdout.dropped ?? 0, stderr: tails?.stderr.dropped ?? 0 },
    };
    return { result, errorCode: typeof r.code === 'string' ? r.code : undefined };
  });
  const entry: Started = { pid, command, finished, aborted: () => aborted, terminate };
  running.add(entry);
  void finished.finally(() => running.delete(entry));
  return entry;
}

function lineTransform(onLine: (line: string) => void) {
  return function* (line: unknown) {
    onLine(String(line));
    yield line;
  };
}

// Runs a command to completion. Spawn failures (ENOENT...) always throw a
// ProcessError with a hint; a non-zero exit throws unless `reject: false`;
// an abort rejects with the signal's reason once the process group is gone.
export async function runCommand(spec: CommandSpec, opts: RunOptions = {}): Promise<ProcessResult> {
  validateOptions(spec, opts);
  opts.signal?.throwIfAborted();
  const started = startProcess(spec, opts);
  const { result, errorCode } = await started.finished;
  if (started.aborted()) throw opts.signal?.reason;
  if (errorCode === 'ENOENT' && result.exitCode === undefined) {
    // spawn says ENOENT for a missing working directory too
    if (spec.cwd !== undefined && !existsSync(spec.cwd)) {
      throw new ProcessError({ message: `cannot run ${spec.file}: its working directory ${spec.cwd} does not exist`, command: result.command });
    }
    throw new ProcessError({
      message: `${spec.file}: command not found`,
      command: result.command,
      hint: opts.hint ?? `install it (sudo bash scripts/setup-host.sh), or check PATH`,
    });
  }
  if (result.failed && opts.reject !== false) throw describeFailure(spec, result, opts.hint);
  return result;
}

// Seconds for messages: "0.5", "30".
function formatSeconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}

// Turns a failed ProcessResult into the error the user sees.
export function describeFailure(spec: CommandSpec, result: ProcessResult, hint?: string): ProcessError {
  const how = result.timedOut
    ? `timed out after ${formatSeconds(spec.timeoutMs ?? 0)} s (the whole process group was killed)`
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
  // signals the whole process group; SIGTERM is followed by SIGKILL after the grace period
  kill(signal?: NodeJS.Signals): void;
}

// Starts a long-running command (QEMU, netserver) and hands back a handle;
// the caller kills it by its process group, never by name.
export function startCommand(spec: CommandSpec, opts: RunOptions = {}): RunningCommand {
  validateOptions(spec, opts);
  const started = startProcess(spec, opts);
  return {
    pid: started.pid,
    command: started.command,
    done: started.finished.then((f) => f.result),
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      started.terminate(signal);
    },
  };
}

// Ctrl-C or SIGTERM to kbisect: every child's whole group gets SIGTERM, then
// SIGKILL after the grace period. Children are in their own groups, so this is
// the only way a terminal's Ctrl-C reaches them.
export async function killAllChildren(graceMs = KILL_GRACE_MS): Promise<void> {
  const all = [...running];
  for (const s of all) s.terminate('SIGTERM', graceMs);
  const settled = Promise.allSettled(all.map((s) => s.finished));
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
  if ((await Promise.race([settled, timer])) === 'timeout') for (const s of all) s.terminate('SIGKILL');
}
