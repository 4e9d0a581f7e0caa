// Builds the yargs parser: global options, strict parsing, and the commands
// that really work. Parsing errors become a UserError carrying the usage.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import yargs, { type Argv, type CommandModule } from 'yargs';
import { UserError, type ExitKind } from '../core/errors.ts';
import { version } from '../version.ts';
import { createContext, type CommandContext, type GlobalArgs } from './context.ts';
import { doctorCommand } from './commands/doctor.ts';
import { bisectCommands } from './commands/bisect.ts';
import { buildCommand } from './commands/build.ts';
import { cacheCommand } from './commands/cache.ts';
import { measureCommand } from './commands/measure.ts';
import { profileCommand } from './commands/profile.ts';
import { sweepCommand } from './commands/sweep.ts';
import { compareCommand } from './commands/compare.ts';
import { matrixCommand } from './commands/matrix.ts';

export class UsageError extends UserError {
  readonly usage: string;
  constructor(message: string, usage: string) {
    super(message);
    this.usage = usage;
  }
}

function resolveWorkDir(raw: string | undefined): string {
  const dir = resolve(raw ?? process.cwd());
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new UserError(`-C: expected an existing directory, got ${JSON.stringify(raw)}`, 'give the path of your kernel git tree');
  return dir;
}

// Creates the parser for one invocation; `args` are the words after the program name.
export function createCli(args: readonly string[], ctx: CommandContext = createContext(resolveWorkDir)): Argv<GlobalArgs> {
  const cli: Argv = yargs([...args])
    .scriptName('kbisect')
    .usage(
      [
        'kbisect: find the kernel commit that made guest networking slower.',
        '',
        'It builds each guest kernel it visits, boots it under QEMU (KVM where it works,',
        'TCG otherwise) with a virtio-net NIC, runs netperf between guest and host, and',
        'decides statistically whether the commit behaves like GOOD or like BAD.',
        '',
        'Usage: $0 <command> [options]',
      ].join('\n'),
    )
    .option('json', { type: 'boolean', default: false, describe: 'print results as JSON on stdout' })
    .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'say more on stderr' })
    .option('C', { type: 'string', requiresArg: true, describe: 'run as if started in <dir> (like git -C)' })
    .command(doctorCommand(ctx))
    .command(buildCommand(ctx))
    .command(cacheCommand(ctx))
    .command(measureCommand(ctx))
    .command(profileCommand(ctx))
    .command(bisectCommands(ctx) as unknown as CommandModule[])
    .command(sweepCommand(ctx) as unknown as CommandModule)
    .command(compareCommand(ctx) as unknown as CommandModule)
    .command(matrixCommand(ctx) as unknown as CommandModule)
    // a default command instead of demandCommand(): strict parsing then names
    // an unknown option (`kbisect --bogus`) before complaining about the command
    .command('$0', false, (y) => y, () => {
      let usage = '';
      cli.showHelp((s: string) => {
        usage = s;
      });
      throw new UsageError('a command is required', usage);
    })
    .strict()
    .recommendCommands()
    .version(version)
    .alias('version', 'V')
    .help()
    .alias('help', 'h')
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .epilogue('Exit codes: 0 ok, 1 a process or host check failed, 2 bad usage, 3 inconclusive, 70 internal error, 130 interrupted.')
    .exitProcess(false)
    .fail((msg, err, y) => {
      // yargs' own parse errors (YError) and ours without usage get the usage text
      const isParseError = err?.name === 'YError';
      if (err && !isParseError) throw err;
      let usage = '';
      y.showHelp((s: string) => {
        usage = s;
      });
      throw new UsageError(err ? err.message : msg, usage);
    });
  return cli as unknown as Argv<GlobalArgs>;
}

// Parses and runs one command line; resolves to how the command ended (errors are thrown).
export async function runCli(args: readonly string[], ctx: CommandContext = createContext(resolveWorkDir)): Promise<ExitKind> {
  await createCli(args, ctx).parseAsync();
  return ctx.outcome();
}
