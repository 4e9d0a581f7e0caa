// Entry point: runs the CLI and maps every error kind to its exit code (the
// one place that does), and turns Ctrl-C into: kill children, clean up, exit 130.
import { hideBin } from 'yargs/helpers';
import { killAllChildren } from './adapters/exec.ts';
import { beginShutdown, runCleanups } from './adapters/cleanup.ts';
import { runCli, UsageError } from './cli/index.ts';
import { forTerminal } from './cli/output.ts';
import { exitCodes, InconclusiveError, InterruptedError, ProcessError, UserError } from './core/errors.ts';

function wantsJson(args: readonly string[]): boolean {
  return args.includes('--json');
}

// Prints an error the way its kind deserves and says which exit code it means
// (a message may quote a foreign file: no control characters reach the terminal).
export function reportError(
  error: unknown,
  json: boolean,
  writeRaw: (s: string) => void = (s) => process.stderr.write(s),
  writeOutRaw: (s: string) => void = (s) => process.stdout.write(s),
): number {
  const write = (s: string): void => writeRaw(forTerminal(s));
  const writeOut = (s: string): void => writeOutRaw(forTerminal(s));
  let code: number = exitCodes.internal;
  let kind = 'internal';
  let hint: string | undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError) {
    code = exitCodes.userError;
    kind = 'usage';
    write(`kbisect: ${message}\n\n${error.usage}\n`);
  } else if (error instanceof UserError) {
    code = exitCodes.userError;
    kind = 'user';
    hint = error.hint;
    write(`kbisect: ${message}\n${hint ? `hint: ${hint}\n` : ''}`);
  } else if (error instanceof ProcessError) {
    code = exitCodes.processFailure;
    kind = 'process';
    hint = error.hint;
    write(
      `kbisect: ${message}\n  command: ${error.command}\n` +
        (error.stderrTail ? `  output (last lines):\n${error.stderrTail.replace(/^/gm, '    ')}\n` : '') +
        (hint ? `hint: ${hint}\n` : ''),
    );
  } else if (error instanceof InconclusiveError) {
    code = exitCodes.inconclusive;
    kind = 'inconclusive';
    write(`kbisect: ${message}\n`);
  } else if (error instanceof InterruptedError) {
    code = exitCodes.interrupted;
    kind = 'interrupted';
    write('kbisect: interrupted\n');
  } else {
    write(`kbisect: internal error: ${error instanceof Error ? (error.stack ?? message) : message}\nplease report this as a bug\n`);
  }
  if (json) writeOut(`${JSON.stringify({ error: { kind, message, ...(hint ? { hint } : {}) } })}\n`);
  return code;
}

// onSignal's work once a signal came (null before); it ends the process with 130
let stopping: Promise<void> | null = null;
async function onSignal(signal: NodeJS.Signals): Promise<void> {
  beginShutdown();
  process.stderr.write(`\nkbisect: ${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping children and cleaning up (the sample in flight is discarded)...\n`);
  try {
    await killAllChildren();
    await runCleanups((what, e) => process.stderr.write(`kbisect: cleanup of ${what} failed: ${String(e)}\n`));
  } finally {
    process.exit(exitCodes.interrupted);
  }
}

// The first signal stops children and cleans up; a second one exits at once.
function handleSignal(signal: NodeJS.Signals): void {
  if (stopping !== null) process.exit(exitCodes.interrupted);
  stopping = onSignal(signal);
}

// Runs one kbisect invocation from process.argv and sets the exit code.
export async function main(): Promise<void> {
  const args = hideBin(process.argv);
  process.on('SIGINT', () => handleSignal('SIGINT'));
  process.on('SIGTERM', () => handleSignal('SIGTERM'));
  // a closed terminal or ssh session: children run in their own process groups and would not see it
  process.on('SIGHUP', () => handleSignal('SIGHUP'));
  let code: number;
  try {
    code = exitCodes[await runCli(args)];
  } catch (error) {
    // after a signal, what failed is what the signal handler killed: the command was interrupted
    code = reportError(stopping !== null ? new InterruptedError('interrupted') : error, wantsJson(args));
  }
  await runCleanups();
  if (stopping !== null) {
    // the handler's work ends the process with 130; should nothing be left to
    // keep Node's event loop alive before it is done, the exit code is 130 all the same
    process.exitCode = exitCodes.interrupted;
    await stopping;
  }
  process.exitCode = code;
}
