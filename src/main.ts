// Entry point: runs the CLI and maps every error kind to its exit code (the
// one place that does), and turns Ctrl-C into: kill children, clean up, exit 130.
import { hideBin } from 'yargs/helpers';
import { killAllChildren } from './adapters/exec.ts';
import { beginShutdown, runCleanups } from './adapters/cleanup.ts';
import { runCli, UsageError } from './cli/index.ts';
import { exitCodes, InconclusiveError, InterruptedError, ProcessError, UserError } from './core/errors.ts';

function wantsJson(args: readonly string[]): boolean {
  return args.includes('--json');
}

// Prints an error the way its kind deserves and says which exit code it means.
export function reportError(
  error: unknown,
  json: boolean,
  write: (s: string) => void = (s) => process.stderr.write(s),
  writeOut: (s: string) => void = (s) => process.stdout.write(s),
): number {
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

let interrupted = false;
async function onSignal(signal: NodeJS.Signals): Promise<void> {
  if (interrupted) process.exit(exitCodes.interrupted);
  interrupted = true;
  beginShutdown();
  process.stderr.write(`\nkbisect: ${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping children and cleaning up (the sample in flight is discarded)...\n`);
  await killAllChildren();
  await runCleanups((what, e) => process.stderr.write(`kbisect: cleanup of ${what} failed: ${String(e)}\n`));
  process.exit(exitCodes.interrupted);
}

// Runs one kbisect invocation from process.argv and sets the exit code.
export async function main(): Promise<void> {
  const args = hideBin(process.argv);
  process.on('SIGINT', () => void onSignal('SIGINT'));
  process.on('SIGTERM', () => void onSignal('SIGTERM'));
  // a closed terminal or ssh session: children run in their own process groups and would not see it
  process.on('SIGHUP', () => void onSignal('SIGHUP'));
  let code: number;
  try {
    code = exitCodes[await runCli(args)];
  } catch (error) {
    code = reportError(error, wantsJson(args));
  }
  await runCleanups();
  process.exitCode = code;
}
