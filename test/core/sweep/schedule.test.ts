import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/core/errors.ts';
import {
  buildCrontabLine,
  buildSweepUnits,
  cronScheduleOf,
  deriveScheduleName,
  quoteShell,
  sanitizeUnitName,
  validateOnCalendar,
  type SweepUnitsInput,
} from '../../../src/core/sweep/schedule.ts';

const input = (over: Partial<SweepUnitsInput> = {}): SweepUnitsInput => ({
  name: 'linux-0123abcd',
  execArgv: ['/usr/bin/node', '/opt/kbisect/kbisect.mjs', '-C', '/src/linux', 'sweep', 'run'],
  workingDirectory: '/src/linux',
  onCalendar: 'daily',
  environment: { HOME: '/root', PATH: '/usr/bin:/bin' },
  description: 'kbisect sweep of /src/linux',
  ...over,
});

const line = (text: string, key: string): string | undefined => text.split('\n').find((l) => l.startsWith(`${key}=`));

describe('ExecStart quoting (systemd.service(5) "Command lines")', () => {
  it.each([
    ['plain', '"plain"'],
    ['with space', '"with space"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["it's", `"it's"`],
    ['$HOME', '"$$HOME"'],
    ['${HOME}', '"$${HOME}"'],
    ['100%', '"100%%"'],
    ['%n', '"%%n"'],
    ['back\\slash', '"back\\\\slash"'],
    ['\\"', '"\\\\\\""'],
    [';', '";"'],
    ['two\nlines', '"two\\nlines"'],
    ['tab\there', '"tab\\there"'],
    ['bell\x07', '"bell\\x07"'],
    ['', '""'],
    ['ünïcode', '"ünïcode"'],
  ])('%j → %s', (arg, quoted) => {
    const units = buildSweepUnits(input({ execArgv: ['/usr/bin/node', arg] }));
    expect(line(units.service, 'ExecStart')).toBe(`ExecStart="/usr/bin/node" ${quoted}`);
  });

  it('quotes every word, the program too', () => {
    expect(line(buildSweepUnits(input()).service, 'ExecStart')).toBe(
      'ExecStart="/usr/bin/node" "/opt/kbisect/kbisect.mjs" "-C" "/src/linux" "sweep" "run"',
    );
  });

  it.each([
    ['a relative program', ['node', 'x']],
    ['a program path with $', ['/opt/$x/node']],
    ['a program path with a quote', ['/opt/"x/node']],
    ['a program path with a backslash', ['/opt/x\\/node']],
    ['no program at all', []],
    ['a NUL in an argument', ['/usr/bin/node', 'a\0b']],
  ])('refuses %s', (_, execArgv) => {
    expect(() => buildSweepUnits(input({ execArgv }))).toThrow(UserError);
  });
});

describe('the other service lines', () => {
  it.each([
    [{ HOME: '/root' }, 'Environment="HOME=/root"'],
    [{ X: 'a b' }, 'Environment="X=a b"'],
    // no variable expansion in Environment=: $ stays single
    [{ X: '$y' }, 'Environment="X=$y"'],
    [{ X: '50%' }, 'Environment="X=50%%"'],
    [{ X: 'q"\\' }, 'Environment="X=q\\"\\\\"'],
  ])('%j → %s', (environment, expected) => {
    expect(line(buildSweepUnits(input({ environment })).service, 'Environment')).toBe(expected);
  });

  it('one Environment= per variable, in the order given', () => {
    const service = buildSweepUnits(input({ environment: { B: '1', A: '2' } })).service;
    expect(service.split('\n').filter((l) => l.startsWith('Environment='))).toEqual(['Environment="B=1"', 'Environment="A=2"']);
  });

  it.each([['1BAD'], ['A-B'], ['A B'], ['']])('refuses the variable name %j', (key) => {
    expect(() => buildSweepUnits(input({ environment: { [key]: 'x' } }))).toThrow(/expected environment variable names/);
  });

  it('is a oneshot in the tree, without a start timeout and without Nice=', () => {
    const { service } = buildSweepUnits(input());
    expect(service).toMatch(/^\[Service\]$/m);
    expect(line(service, 'Type')).toBe('Type=oneshot');
    expect(line(service, 'WorkingDirectory')).toBe('WorkingDirectory=/src/linux');
    expect(line(service, 'TimeoutStartSec')).toBe('TimeoutStartSec=infinity');
    expect(service).not.toMatch(/^Nice=/m);
  });

  it('escapes % where specifiers expand, and flattens control characters in the description', () => {
    const { service } = buildSweepUnits(input({ workingDirectory: '/src/100%', description: 'sweep of /src/100%\nExecStart=/bin/sh' }));
    expect(line(service, 'WorkingDirectory')).toBe('WorkingDirectory=/src/100%%');
    expect(line(service, 'Description')).toBe('Description=sweep of /src/100%% ExecStart=/bin/sh');
    expect(service.split('\n').filter((l) => l.startsWith('ExecStart='))).toHaveLength(1);
  });

  it.each([['src/linux'], ['/src/linux\n'], [' /src/linux']])('refuses the working directory %j', (workingDirectory) => {
    expect(() => buildSweepUnits(input({ workingDirectory }))).toThrow(/expected an absolute working directory/);
  });
});

describe('the timer', () => {
  it.each([['daily'], ['*-*-* 02:00:00'], ['Mon..Fri 03:00']])('OnCalendar=%s, persistent, randomized, bound to the service', (onCalendar) => {
    const units = buildSweepUnits(input({ onCalendar }));
    expect(units.timer.split('\n')).toEqual(
      expect.arrayContaining([
        '[Timer]',
        `OnCalendar=${onCalendar}`,
        'Persistent=true',
        'RandomizedDelaySec=15m',
        `Unit=${units.serviceName}`,
        '[Install]',
        'WantedBy=timers.target',
      ]),
    );
  });

  it('refuses a calendar event validateOnCalendar refuses', () => {
    expect(() => buildSweepUnits(input({ onCalendar: 'daily\nOnCalendar=minutely' }))).toThrow(UserError);
  });
});

describe('OnCalendar values', () => {
  it.each([
    ['daily'],
    ['weekly'],
    ['hourly'],
    ['monthly'],
    ['Daily'],
    ['Mon'],
    ['03:00'],
    ['*-*-* 02:00:00'],
    ['Mon..Fri 03:00'],
    ['Sat,Sun 04:30'],
    ['*-*~1'],
    ['*:0/15'],
    ['*-*-* 02:00:00 Europe/Berlin'],
    ['*-*-* 02:00:00 America/New_York'],
  ])('accepts %j', (spec) => {
    expect(validateOnCalendar(spec)).toEqual([]);
  });

  it.each([
    ['', /got an empty value/],
    ['   ', /got an empty value/],
    ['nightly', /expected one of systemd's shorthands .*got "nightly" \(systemd does not know "nightly"/],
    ['sometimes', /expected one of systemd's shorthands .*got "sometimes"/],
    ['daily\nExecStart=/bin/sh', /got "\\n" "=" in/],
    ['daily; rm -rf /', /got ";" in/],
    ['$(reboot)', /got "\$" "\(" "\)" in/],
    ['"daily"', /got "\\"" in/],
    ["'daily'", /got "'" in/],
    ['%n', /got "%" in/],
    ['daily\\', /got "\\\\" in/],
    ['*-*-* 0'.padEnd(200, '0'), /at most 120 characters, got 200/],
  ])('refuses %j', (spec, message) => {
    const errors = validateOnCalendar(spec);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('; ')).toMatch(message);
    expect(errors.join('; ')).toMatch(/^expected /);
  });
});

describe('unit names', () => {
  it.each([
    ['linux', 'kbisect-sweep-linux.service', 'kbisect-sweep-linux.timer'],
    ['linux-0123abcd', 'kbisect-sweep-linux-0123abcd.service', 'kbisect-sweep-linux-0123abcd.timer'],
    ['my tree', 'kbisect-sweep-my_tree.service', 'kbisect-sweep-my_tree.timer'],
    ['a/b\\c$d', 'kbisect-sweep-a_b_c_d.service', 'kbisect-sweep-a_b_c_d.timer'],
    ['v6.1_rc', 'kbisect-sweep-v6.1_rc.service', 'kbisect-sweep-v6.1_rc.timer'],
  ])('%j → %s', (name, serviceName, timerName) => {
    const units = buildSweepUnits(input({ name }));
    expect([units.serviceName, units.timerName]).toEqual([serviceName, timerName]);
  });

  it.each([[''], ['///'], ['..']])('refuses a name with nothing left: %j', (name) => {
    expect(() => sanitizeUnitName(name)).toThrow(/expected a schedule name with a letter or digit/);
  });

  it('derives a readable, stable name per tree that two trees of one name do not share', () => {
    const a = deriveScheduleName('/src/linux');
    expect(a).toMatch(/^linux-[0-9a-f]{8}$/);
    expect(deriveScheduleName('/src/linux')).toBe(a);
    expect(deriveScheduleName('/home/ada/linux')).not.toBe(a);
    expect(deriveScheduleName('/src/my linux tree/')).toMatch(/^my_linux_tree-[0-9a-f]{8}$/);
    expect(deriveScheduleName('/')).toMatch(/^root-[0-9a-f]{8}$/);
    expect(sanitizeUnitName(deriveScheduleName('/src/.hidden'))).toMatch(/^hidden-/);
  });
});

describe('POSIX shell quoting', () => {
  it.each([
    ['plain', "'plain'"],
    ['with space', "'with space'"],
    ["it's", "'it'\\''s'"],
    ['$HOME `x` "y"', "'$HOME `x` \"y\"'"],
    ['back\\slash', "'back\\slash'"],
    ['', "''"],
  ])('%j → %s', (arg, quoted) => {
    expect(quoteShell(arg)).toBe(quoted);
  });
});

describe('cron schedules', () => {
  it.each([
    ['daily', '0 0 * * *'],
    ['Daily', '0 0 * * *'],
    ['hourly', '0 * * * *'],
    ['weekly', '0 0 * * 1'],
    ['monthly', '0 0 1 * *'],
    ['03:00', '0 3 * * *'],
    ['3:07', '7 3 * * *'],
    ['23:59:00', '59 23 * * *'],
    ['*-*-* 02:30', '30 2 * * *'],
    ['*-*-* 02:30:00', '30 2 * * *'],
    ['Mon..Fri 03:00', null],
    ['*-*-* 02:30:15', null],
    ['24:00', null],
    ['12:60', null],
    ['*:0/15', null],
  ])('%j → %s', (spec, expected) => {
    expect(cronScheduleOf(spec)).toBe(expected);
  });
});

describe('the crontab line', () => {
  const cron = (over: Partial<Parameters<typeof buildCrontabLine>[0]> = {}): string =>
    buildCrontabLine({
      name: 'linux-0123abcd',
      execArgv: ['/usr/bin/node', '/opt/kbisect.mjs', '-C', '/src/linux', 'sweep', 'run'],
      workingDirectory: '/src/linux',
      environment: { HOME: '/root' },
      onCalendar: 'daily',
      logFile: '/src/linux/.git/kbisect-sweep-cron.log',
      ...over,
    });

  it('cd, environment, exec, log, marker', () => {
    expect(cron()).toBe(
      "0 0 * * * cd '/src/linux' && HOME='/root' exec '/usr/bin/node' '/opt/kbisect.mjs' '-C' '/src/linux' 'sweep' 'run' >> '/src/linux/.git/kbisect-sweep-cron.log' 2>&1 # kbisect-sweep-linux-0123abcd",
    );
  });

  it.each([
    // cron makes an unescaped % a newline; \% is a %
    ['50%', "'50\\%'"],
    // a backslash before \ or % is split off with '' (Vixie cron reads \\ as \, cronie does not)
    ['a\\\\b', "'a\\''\\b'"],
    ['a\\%', "'a\\''\\%'"],
    ['a\\b', "'a\\b'"],
    ["it's", "'it'\\''s'"],
  ])('the argument %j is written %s', (arg, written) => {
    expect(cron({ execArgv: ['/usr/bin/node', arg] })).toContain(` exec '/usr/bin/node' ${written} >> `);
  });

  it('refuses what cron cannot express, saying why', () => {
    expect(() => cron({ onCalendar: 'Mon..Fri 03:00' })).toThrow(/expected a schedule cron can express .*got "Mon\.\.Fri 03:00"/);
  });

  it.each([['two\nlines'], ['cr\r']])('refuses the argument %j (a crontab line is one line)', (arg) => {
    expect(() => cron({ execArgv: ['/usr/bin/node', arg] })).toThrow(/expected arguments without line breaks/);
  });
});
