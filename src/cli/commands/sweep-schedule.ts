// `kbisect sweep schedule`: a systemd timer (or a crontab line) that runs
// `kbisect sweep run` unattended. Thin: parse, call app/sweep-schedule.ts, print.
import type { Argv, CommandModule } from 'yargs';
import { scheduleSweep, type ScheduleOutcome } from '../../app/sweep-schedule.ts';
import { assertNever, describeValue, UserError } from '../../core/errors.ts';
import type { CommandContext, GlobalArgs } from '../context.ts';

type Cmd = CommandModule<GlobalArgs, GlobalArgs & Record<string, unknown>>;

// The `sweep run` options a schedule carries, and how each is passed on.
const PASSED_ON = [
  ['sweep', 'string'],
  ['profile', 'string'],
  ['cmd', 'string'],
  ['branch', 'string'],
  ['remote', 'string'],
  ['max-commits', 'count'],
  ['boots', 'count'],
  ['bisect-improvements', 'boolean'],
] as const;

// The `sweep run` words for the options given (only those), as --name=value
// so that a value starting with "-" stays a value.
export function sweepRunArgs(argv: Readonly<Record<string, unknown>>): string[] {
  const args: string[] = [];
  for (const [name, kind] of PASSED_ON) {
    const value = argv[name];
    if (value === undefined) continue;
    switch (kind) {
      case 'string':
        args.push(`--${name}=${String(value)}`);
        break;
      case 'count':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
          throw new UserError(`--${name}: expected a positive integer, got ${describeValue(value)}`);
        }
        args.push(`--${name}=${value}`);
        break;
      case 'boolean':
        args.push(value === true ? `--${name}` : `--no-${name}`);
        break;
      default:
        assertNever(kind, 'option kind');
    }
  }
  return args;
}

// What the outcome says to people (notes go to stderr separately).
export function formatScheduleOutcome(o: ScheduleOutcome): string {
  switch (o.kind) {
    case 'printed':
      if (o.cronLine !== undefined) return o.cronLine;
      return [`# ${o.files?.[0] ?? ''}`, o.service ?? '', `# ${o.files?.[1] ?? ''}`, o.timer ?? ''].join('\n');
    case 'cron':
      return o.cronLine ?? '';
    case 'installed':
      return `kbisect: wrote and enabled ${(o.files ?? []).join(' and ')}`;
    case 'removed':
      return (o.files ?? []).length === 0 ? 'kbisect: nothing removed' : `kbisect: disabled and removed ${(o.files ?? []).join(' and ')}`;
    default:
      return assertNever(o.kind, 'schedule outcome');
  }
}

// `sweep schedule`, a subcommand of `kbisect sweep`.
export function sweepScheduleCommand(ctx: CommandContext): Cmd {
  return {
    command: 'schedule',
    describe: 'run `kbisect sweep run` unattended: a systemd timer (daily by default), or a crontab line where systemd is not PID 1',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .option('on-calendar', {
          type: 'string',
          default: 'daily',
          requiresArg: true,
          describe: 'when, as a systemd calendar event: daily, weekly, 03:00, "Mon..Fri 03:00" (systemd-analyze calendar SPEC shows the next runs); with cron only daily/hourly/weekly/monthly and HH:MM',
        })
        .option('cron', { type: 'boolean', default: false, describe: 'print a crontab line instead of writing systemd units' })
        .option('print', { type: 'boolean', default: false, describe: 'only print the units (or with --cron the line); write nothing' })
        .option('remove', { type: 'boolean', default: false, describe: "disable and delete this tree's timer and service (with cron: say which line to delete)" })
        .option('unit-dir', { type: 'string', requiresArg: true, hidden: true, describe: 'where the units go (default /etc/systemd/system as root, else ~/.config/systemd/user)' })
        .option('sweep', { type: 'string', requiresArg: true, describe: 'passed on to sweep run: which sweep of this tree (default: default); part of the unit name' })
        .option('profile', { alias: 'p', type: 'string', requiresArg: true, describe: 'passed on to sweep run: the measurement profile' })
        .option('cmd', { type: 'string', requiresArg: true, describe: 'passed on to sweep run: measure with this shell command instead' })
        .option('branch', { type: 'string', requiresArg: true, describe: 'passed on to sweep run: the branch to follow' })
        .option('remote', { type: 'string', requiresArg: true, describe: 'passed on to sweep run: fetch this remote first' })
        .option('max-commits', { type: 'number', requiresArg: true, describe: 'passed on to sweep run: at most this many new commits per run' })
        .option('boots', { type: 'number', requiresArg: true, describe: 'passed on to sweep run: boots per commit' })
        .option('bisect-improvements', { type: 'boolean', describe: 'passed on to sweep run: bisect speedups too' })
        .example('$0 -C ~/linux sweep schedule --profile tcp-rr --remote origin --branch master', 'systemd: writes and enables kbisect-sweep-linux-<hash>.timer, daily at midnight plus up to 15 min')
        .example("$0 sweep schedule --on-calendar 'Mon..Fri 03:00' --print", 'show the service and timer, write nothing')
        .example('$0 sweep schedule --cron --on-calendar 02:30 --profile tcp-rr', 'cron: prints "30 2 * * * cd ... exec ... sweep run ..."; add it with crontab -e')
        .example('$0 sweep schedule --remove', "disable and delete this tree's timer"),
    handler: async (argv) => {
      const out = ctx.output(argv);
      const outcome = await scheduleSweep({
        repo: ctx.cwd(argv),
        runArgs: sweepRunArgs(argv),
        ...(argv.sweep === undefined ? {} : { sweep: String(argv.sweep) }),
        onCalendar: String(argv['on-calendar']),
        cron: argv.cron === true,
        print: argv.print === true,
        remove: argv.remove === true,
        ...(argv['unit-dir'] === undefined ? {} : { unitDir: String(argv['unit-dir']) }),
      });
      if (out.json) {
        out.printJson(outcome);
        return;
      }
      out.print(formatScheduleOutcome(outcome));
      for (const note of outcome.notes) out.info(`kbisect: ${note}`);
    },
  };
}
