// `kbisect sweep schedule` against real files, a real git tree, a real sh and,
// where installed, the real systemd-analyze. Only what needs systemd as PID 1
// (is it? systemctl) is a fake, injected at the app boundary.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scheduleSweep, selfCommand, type ScheduleOptions } from '../../src/app/sweep-schedule.ts';
import { UserError } from '../../src/core/errors.ts';
import { validateOnCalendar } from '../../src/core/sweep/schedule.ts';
import { initTestRepo } from '../helpers/git-repo.ts';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.ts';

const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' }).status === 0;
const NO_ANALYZE = 'systemd-analyze is not installed (Debian: apt-get install systemd)';

// Arguments every quoting layer must carry through untouched.
const NASTY_ARGS = [
  `--cmd=echo "it's $HOME" 100% \`id\` done`,
  '--profile=a b',
  '--branch=;',
  '--remote=$(touch /tmp/kbisect-pwned)',
  'a\\%b',
  '\\\\',
  '%%',
  'tab\there',
  'ünïcode',
  '',
];

let dir: string;
let repo: string;
let fake: string;
let calls: string[][];

beforeEach(() => {
  dir = realpathSync(makeTempDir('schedule'));
  // a tree whose path needs quoting everywhere
  repo = join(dir, `tree with 'quotes' $x 100%`);
  initTestRepo(repo).commitFile('a.txt', 'a\n', 'first');
  // a stand-in for kbisect: prints what it was started with
  fake = join(dir, 'fake kbisect.mjs');
  writeFileSync(
    fake,
    `console.log(JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd(), env: { HOME: process.env.HOME, KBISECT_DATA_DIR: process.env.KBISECT_DATA_DIR, PATH: process.env.PATH } }));\n`,
  );
  calls = [];
});
afterEach(() => removeTempDir(dir));

const env = (): NodeJS.ProcessEnv => ({ HOME: '/home/ada', PATH: process.env.PATH ?? '/usr/bin:/bin', KBISECT_DATA_DIR: join(dir, "data 50% 'x'"), EDITOR: 'not carried' });

const schedule = (over: Partial<ScheduleOptions> = {}) =>
  scheduleSweep({
    repo,
    runArgs: ['--profile=tcp-rr'],
    kbisectArgv: [process.execPath, fake],
    env: env(),
    unitDir: join(dir, 'units'),
    isRoot: true,
    isSystemdPid1: async () => true,
    runSystemctl: async (args) => {
      calls.push([...args]);
    },
    ...over,
  });

const unitFiles = (): string[] => (existsSync(join(dir, 'units')) ? readdirSync(join(dir, 'units')).sort() : []);

describe('--print', () => {
  it('returns the service and the timer and writes nothing', async () => {
    const o = await schedule({ print: true });
    expect(o.kind).toBe('printed');
    expect(o.files).toEqual([expect.stringMatching(/\/units\/kbisect-sweep-tree_with_quotes_x_100_-[0-9a-f]{8}\.service$/), expect.stringMatching(/\.timer$/)]);
    expect(o.service).toContain(`ExecStart="${process.execPath}" "${fake}" "-C" "${repo.replace('$', '$$$$').replace('%', '%%')}" "sweep" "run" "--profile=tcp-rr"`);
    expect(o.service).toContain(`WorkingDirectory=${repo.replace('%', '%%')}`);
    expect(o.service).toContain('Environment="HOME=/home/ada"');
    expect(o.service).not.toContain('EDITOR');
    expect(o.timer).toContain('OnCalendar=daily');
    expect(o.notes).toEqual([]);
    expect(unitFiles()).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('says so where systemd is not PID 1', async () => {
    const o = await schedule({ print: true, isSystemdPid1: async () => false });
    expect(o.kind).toBe('printed');
    expect(o.notes.join('\n')).toMatch(/systemd is not PID 1 on this host.*--cron/);
  });

  it('with --cron prints the crontab line', async () => {
    const o = await schedule({ print: true, cron: true, onCalendar: '02:30' });
    expect(o.kind).toBe('printed');
    expect(o.cronLine).toMatch(/^30 2 \* \* \* cd '.*' && .* exec '.*' >> '.*kbisect-sweep-cron\.log' 2>&1 # kbisect-sweep-tree_with_quotes_x_100_-[0-9a-f]{8}$/);
    expect(o.notes.join('\n')).toContain('crontab -e');
  });
});

describe('systemd-analyze accepts what is written (needs systemd-analyze)', () => {
  it('verify: the printed service and timer, with arguments that need every escape', async (ctx) => {
    if (!analyze) ctx.skip(NO_ANALYZE);
    const o = await schedule({ print: true, runArgs: NASTY_ARGS, onCalendar: 'Mon..Fri 03:00' });
    const out = join(dir, 'verify');
    mkdirSync(out);
    const [service, timer] = (o.files ?? []).map((f) => join(out, f.split('/').pop() ?? ''));
    writeFileSync(service ?? '', o.service ?? '');
    writeFileSync(timer ?? '', o.timer ?? '');
    const r = spawnSync('systemd-analyze', ['verify', service ?? '', timer ?? ''], { encoding: 'utf8' });
    expect(r.stderr.split('\n').filter((l) => l.includes('kbisect-sweep'))).toEqual([]);
    expect(r.status).toBe(0);
  });

  it('verify refuses a broken unit (the check can fail)', async (ctx) => {
    if (!analyze) ctx.skip(NO_ANALYZE);
    const o = await schedule({ print: true });
    const out = join(dir, 'verify');
    mkdirSync(out);
    const service = join(out, (o.files?.[0] ?? '').split('/').pop() ?? '');
    writeFileSync(service, (o.service ?? '').replace(/^ExecStart="/m, 'ExecStart="/nonexistent'));
    expect(spawnSync('systemd-analyze', ['verify', service], { encoding: 'utf8' }).status).not.toBe(0);
  });

  it.for(['daily', 'weekly', 'Daily', '03:00', '*-*-* 02:00:00', 'Mon..Fri 03:00', '*-*~1', '*-*-* 02:00:00 Europe/Berlin'])(
    'calendar: %j is valid for both',
    (spec, ctx) => {
      if (!analyze) ctx.skip(NO_ANALYZE);
      expect(validateOnCalendar(spec)).toEqual([]);
      expect(spawnSync('systemd-analyze', ['calendar', spec], { encoding: 'utf8' }).status).toBe(0);
    },
  );

  it.for(['nightly', 'sometimes'])('calendar: %j is invalid for both', (spec, ctx) => {
    if (!analyze) ctx.skip(NO_ANALYZE);
    expect(validateOnCalendar(spec)).not.toEqual([]);
    expect(spawnSync('systemd-analyze', ['calendar', spec], { encoding: 'utf8' }).status).not.toBe(0);
  });
});

describe('with systemd as PID 1', () => {
  it('writes both units atomically and enables the timer', async () => {
    const o = await schedule();
    expect(o.kind).toBe('installed');
    const [service, timer] = o.files ?? [];
    expect(readFileSync(service ?? '', 'utf8')).toBe(o.service);
    expect(readFileSync(timer ?? '', 'utf8')).toBe(o.timer);
    // nothing left aside by the atomic writes
    expect(unitFiles()).toEqual([(service ?? '').split('/').pop(), (timer ?? '').split('/').pop()]);
    const timerName = (timer ?? '').split('/').pop() ?? '';
    expect(calls).toEqual([['daemon-reload'], ['enable', '--now', timerName]]);
    expect(o.notes.join('\n')).toContain(`list-timers ${timerName}`);
  });

  it('replacing a schedule restarts the timer so that the new calendar counts', async () => {
    await schedule({ onCalendar: 'daily' });
    calls = [];
    const o = await schedule({ onCalendar: 'weekly' });
    const timerName = (o.files?.[1] ?? '').split('/').pop() ?? '';
    expect(readFileSync(o.files?.[1] ?? '', 'utf8')).toContain('OnCalendar=weekly');
    expect(calls).toEqual([['daemon-reload'], ['enable', '--now', timerName], ['restart', timerName]]);
  });

  it('as a user: --user units, and a word about lingering', async () => {
    const o = await schedule({ isRoot: false });
    expect(calls.every((c) => c[0] === '--user')).toBe(true);
    expect(o.notes.join('\n')).toMatch(/loginctl enable-linger/);
  });

  it('--remove disables the timer and deletes both files; again, nothing to do', async () => {
    const installed = await schedule();
    calls = [];
    const o = await schedule({ remove: true });
    const timerName = (installed.files?.[1] ?? '').split('/').pop() ?? '';
    expect(o).toMatchObject({ kind: 'removed', files: installed.files });
    expect(calls).toEqual([['disable', '--now', timerName], ['daemon-reload']]);
    expect(unitFiles()).toEqual([]);
    calls = [];
    const again = await schedule({ remove: true });
    expect(again).toMatchObject({ kind: 'removed', files: [] });
    expect(again.notes.join('\n')).toMatch(/nothing to remove/);
    expect(calls).toEqual([]);
  });
});

describe('where systemd is not PID 1', () => {
  it('writes nothing and hands back the crontab line', async () => {
    const o = await schedule({ isSystemdPid1: async () => false });
    expect(o.kind).toBe('cron');
    expect(o.cronLine).toMatch(/^0 0 \* \* \* cd /);
    expect(o.notes.join('\n')).toMatch(/systemd is not PID 1 here[\s\S]*crontab -e/);
    expect(unitFiles()).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('--remove says which line to delete', async () => {
    const o = await schedule({ remove: true, isSystemdPid1: async () => false });
    expect(o.kind).toBe('cron');
    expect(o.notes.join('\n')).toMatch(/grep -vF '# kbisect-sweep-tree_with_quotes_x_100_-[0-9a-f]{8}'/);
  });
});

// cron(8) before the shell: the command ends at the first unescaped %, and
// "\%" is "%". Vixie cron (Debian, do_command.c) also turns "\\" into "\";
// cronie (do_command.c) leaves it. The line must mean the same to both.
function cronCommand(line: string, flavour: 'vixie' | 'cronie'): string {
  const text = line.split(' ').slice(5).join(' ');
  let out = '';
  let escaped = false;
  for (const ch of text) {
    if (escaped) {
      escaped = false;
      if (ch === '%' || (flavour === 'vixie' && ch === '\\')) out = out.slice(0, -1);
      out += ch;
      continue;
    }
    if (ch === '%') throw new Error(`cron would cut the command at an unescaped %: ${line}`);
    escaped = ch === '\\';
    out += ch;
  }
  return out;
}

describe('the crontab line, run by sh as cron would', () => {
  it.each([['vixie'], ['cronie']] as const)('%s: the same argv, directory and environment reach kbisect', async (flavour) => {
    const o = await schedule({ cron: true, print: true, runArgs: NASTY_ARGS });
    const command = cronCommand(o.cronLine ?? '', flavour);
    // cron's own environment: little more than this
    const r = spawnSync('/bin/sh', ['-c', command], { cwd: '/', encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent', SHELL: '/bin/sh' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const log = readFileSync(join(repo, '.git', 'kbisect-sweep-cron.log'), 'utf8').trim().split('\n');
    expect(JSON.parse(log[log.length - 1] ?? '')).toEqual({
      argv: ['-C', repo, 'sweep', 'run', ...NASTY_ARGS],
      cwd: repo,
      env: { HOME: '/home/ada', KBISECT_DATA_DIR: env().KBISECT_DATA_DIR, PATH: env().PATH },
    });
    expect(existsSync('/tmp/kbisect-pwned')).toBe(false);
  });
});

describe('refusals', () => {
  it.each([
    [{ print: true, remove: true }, /expected --print or --remove, got both/],
    [{ onCalendar: 'nightly' }, /^--on-calendar: expected one of systemd's shorthands/],
    [{ onCalendar: 'daily;reboot' }, /^--on-calendar: expected only letters/],
    [{ cron: true, onCalendar: 'Mon..Fri 03:00' }, /expected a schedule cron can express/],
    [{ isSystemdPid1: async () => false, runArgs: ['--cmd=a\nb'] }, /expected arguments without line breaks/],
  ] as [Partial<ScheduleOptions>, RegExp][])('%j', async (over, message) => {
    const error = await schedule(over).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(message);
    expect(unitFiles()).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('a directory that is not a git tree', async () => {
    const error = await schedule({ repo: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/not a git repository/);
  });
});

describe('the command that runs kbisect again', () => {
  it('is this node and this script, absolute', () => {
    const argv = selfCommand();
    expect(argv[0]).toBe(process.execPath);
    expect(argv.every((a) => isAbsolute(a))).toBe(true);
  });
});
