// `kbisect sweep schedule`: runs `kbisect sweep run` unattended. Where systemd
// is PID 1, a oneshot service and a timer are written and enabled; elsewhere
// (containers, these lab machines) the crontab line to add is handed back.
// The texts come from core/sweep/schedule.ts; this file decides which, finds
// the command that runs this very kbisect, and does the writing.
import { readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from '../core/errors.ts';
import { buildCrontabLine, buildSweepUnits, deriveScheduleName, scheduleUnitBase, validateOnCalendar, type SweepUnits } from '../core/sweep/schedule.ts';
import { runCommand } from '../adapters/exec.ts';
import { findGitCommonDir } from '../adapters/git.ts';
import { exists, writeFileAtomic } from '../adapters/store.ts';

// The variables that decide where kbisect keeps things (adapters/paths.ts,
// ccache) and what it finds on PATH: the scheduled run sees what this shell sees.
const CARRIED_ENV = ['KBISECT_DATA_DIR', 'KBISECT_CACHE_DIR', 'KBISECT_CONFIG_DIR', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'XDG_CONFIG_HOME', 'CCACHE_DIR', 'PATH', 'HOME'] as const;

// Debian's cron (Vixie) keeps at most this many characters of a command.
const CRON_COMMAND_LIMIT = 1000;

export interface ScheduleOptions {
  repo: string;
  // the `kbisect sweep run` options, passed on verbatim
  runArgs: readonly string[];
  onCalendar?: string;
  // which sweep of the tree (--sweep); part of the unit name so that two sweeps get two timers
  sweep?: string;
  cron?: boolean;
  print?: boolean;
  remove?: boolean;
  unitDir?: string;
  env?: NodeJS.ProcessEnv;
  // seams for tests; the defaults look at this host
  isSystemdPid1?: () => Promise<boolean>;
  runSystemctl?: (args: readonly string[]) => Promise<void>;
  isRoot?: boolean;
  // the command that runs kbisect (default: this one, see selfCommand)
  kbisectArgv?: readonly string[];
}

export interface ScheduleOutcome {
  // printed: nothing written (files: where the units would go); installed /
  // removed: systemd units written or deleted (files); cron: a crontab line to
  // add, or with --remove to delete, by hand
  kind: 'printed' | 'installed' | 'removed' | 'cron';
  files?: string[];
  service?: string;
  timer?: string;
  cronLine?: string;
  notes: string[];
}

// systemd runs as PID 1 only where it booted the machine; containers and
// these lab hosts run something else there, and systemctl cannot work.
export async function isSystemdPid1(): Promise<boolean> {
  try {
    return (await readFile('/proc/1/comm', 'utf8')).trim() === 'systemd';
  } catch {
    return false;
  }
}

// A Node single executable (dist/kbisect) is its own script; `node:sea` tells.
function isSingleExecutable(): boolean {
  try {
    const require = createRequire(import.meta.url);
    return (require('node:sea') as { isSea(): boolean }).isSea();
  } catch {
    // no node:sea (Deno, older Node): a SEA's argv[1] is the executable itself
    const script = process.argv[1];
    return script === undefined || resolve(script) === process.execPath;
  }
}

// The command that runs this very kbisect again, with absolute paths, as
// cron and systemd need: the single executable alone, `deno run -A SCRIPT`,
// or `node SCRIPT`.
export function selfCommand(): string[] {
  if (isSingleExecutable()) return [process.execPath];
  const script = resolve(process.argv[1] ?? '');
  if ('Deno' in globalThis) return [process.execPath, 'run', '-A', script];
  return [process.execPath, script];
}

function defaultSystemctl(args: readonly string[]): Promise<void> {
  return runCommand(
    { file: 'systemctl', args, timeoutMs: 120_000 },
    { hint: 'systemctl must reach the service manager: run as root for system units, or from a login session for --user units' },
  ).then(() => undefined);
}

function pickEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const key of CARRIED_ENV) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  return picked;
}

// Schedules (or prints, or removes) the sweep of one tree.
export async function scheduleSweep(opts: ScheduleOptions): Promise<ScheduleOutcome> {
  if (opts.print === true && opts.remove === true) {
    throw new UserError('expected --print or --remove, got both', 'kbisect sweep schedule --remove deletes what was scheduled; --print only shows what would be');
  }
  const onCalendar = opts.onCalendar ?? 'daily';
  const calendarErrors = validateOnCalendar(onCalendar);
  if (calendarErrors.length > 0) {
    throw new UserError(`--on-calendar: ${calendarErrors.join('; ')}`, 'give a systemd calendar event (check one with: systemd-analyze calendar SPEC)');
  }
  const env = opts.env ?? process.env;
  const repo = resolve(opts.repo);
  // a git tree, or the scheduled run would fail every night
  const gitDir = await findGitCommonDir(repo);
  const name = opts.sweep === undefined || opts.sweep === 'default' ? deriveScheduleName(repo) : `${deriveScheduleName(repo)}-${opts.sweep}`;
  const base = scheduleUnitBase(name);
  const execArgv = [...(opts.kbisectArgv ?? selfCommand()), '-C', repo, 'sweep', 'run', ...opts.runArgs];
  const environment = pickEnvironment(env);
  const root = opts.isRoot ?? (process.getuid?.() === 0);
  const scope = root ? [] : ['--user'];
  const unitDir = resolve(
    opts.unitDir ?? (root ? '/etc/systemd/system' : join(env.XDG_CONFIG_HOME ?? join(env.HOME ?? homedir(), '.config'), 'systemd', 'user')),
  );

  // the crontab line, with what to do with it: `why` says why cron at all
  const cron = (why: string | null): ScheduleOutcome => {
    const logFile = join(gitDir, 'kbisect-sweep-cron.log');
    const cronLine = buildCrontabLine({ name, execArgv, workingDirectory: repo, environment, onCalendar, logFile });
    const marker = `# ${base}`;
    const notes = why === null ? [] : [why];
    if (opts.remove === true) {
      notes.push(`delete the line ending in '${marker}' with \`crontab -e\`, or: crontab -l | grep -vF '${marker}' | crontab -`);
      return { kind: 'cron', cronLine, notes };
    }
    notes.push('add this line with `crontab -e`', `its output goes to ${logFile}`);
    notes.push('cron starts it at that very minute: no randomized delay, and a run missed while the host was off is not caught up');
    const commandLength = cronLine.length - cronLine.indexOf(' cd ') - 1;
    if (commandLength > CRON_COMMAND_LIMIT) {
      notes.push(`the command is ${commandLength} characters; Debian's cron keeps at most ${CRON_COMMAND_LIMIT}: put it in a script and call that from cron`);
    }
    return { kind: opts.print === true ? 'printed' : 'cron', cronLine, notes };
  };

  if (opts.cron === true) return cron(null);

  const units = (): SweepUnits =>
    buildSweepUnits({ name, execArgv, workingDirectory: repo, onCalendar, environment, description: `kbisect sweep of ${repo}` });
  const pid1 = await (opts.isSystemdPid1 ?? isSystemdPid1)();
  const serviceFile = join(unitDir, `${base}.service`);
  const timerFile = join(unitDir, `${base}.timer`);

  if (opts.print === true) {
    const u = units();
    const notes = pid1 ? [] : ['systemd is not PID 1 on this host: these units are for a host where it is; here, use --cron'];
    return { kind: 'printed', files: [serviceFile, timerFile], service: u.service, timer: u.timer, notes };
  }
  if (!pid1) {
    return cron(opts.remove === true ? 'systemd is not PID 1 here, so the sweep was scheduled with cron' : 'systemd is not PID 1 here, so no timer: use cron');
  }

  const systemctl = opts.runSystemctl ?? defaultSystemctl;
  const { serviceName, timerName, service, timer } = units();
  const how = root ? '' : ' --user';
  if (opts.remove === true) {
    const present = [];
    for (const file of [serviceFile, timerFile]) if (await exists(file)) present.push(file);
    if (present.length === 0) return { kind: 'removed', files: [], notes: [`nothing to remove: no ${base} units in ${unitDir}`] };
    if (await exists(timerFile)) await systemctl([...scope, 'disable', '--now', timerName]);
    for (const file of present) await rm(file, { force: true });
    await systemctl([...scope, 'daemon-reload']);
    return {
      kind: 'removed',
      files: present,
      notes: [`a sweep already running is left to finish; to stop it: systemctl${how} stop ${serviceName}`],
    };
  }

  const replacing = (await exists(serviceFile)) || (await exists(timerFile));
  await writeFileAtomic(serviceFile, service);
  await writeFileAtomic(timerFile, timer);
  await systemctl([...scope, 'daemon-reload']);
  await systemctl([...scope, 'enable', '--now', timerName]);
  // an active timer keeps its old schedule until restarted
  if (replacing) await systemctl([...scope, 'restart', timerName]);
  const notes = [
    `next run: systemctl${how} list-timers ${timerName}`,
    `run one now: systemctl${how} start --no-block ${serviceName}`,
    `logs: journalctl${how} -u ${serviceName}`,
  ];
  if (!root) notes.push(`user units run only while you are logged in, unless: loginctl enable-linger ${env.USER ?? '$USER'}`);
  return { kind: 'installed', files: [serviceFile, timerFile], service, timer, notes };
}
