// Scheduling a sweep: the systemd service and timer that run `kbisect sweep
// run` unattended, or the crontab line for hosts where systemd is not PID 1.
// Pure text builders. A unit file and a crontab line are code, so every value
// that reaches one is validated or quoted here, by the rules of the program
// that reads it (systemd.syntax(7), systemd.service(5), POSIX sh, cron(8)).
import { describeValue, UserError } from '../errors.ts';

// systemd.time(5), "Calendar Events": the shorthands systemd knows. Not
// "nightly": systemd refuses it.
const CALENDAR_SHORTHANDS = ['minutely', 'hourly', 'daily', 'weekly', 'monthly', 'yearly', 'annually', 'quarterly', 'semiannually'] as const;
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
// Conservative: enough for "*-*-* 02:00:00", "Mon..Fri 03:00", "*-*~1" and a
// time zone such as Europe/Berlin; nothing that could end the line, quote,
// or be expanded (newline, ; $ % " ' \).
const CALENDAR_CHAR = /^[A-Za-z0-9*:,./~ _-]$/;
const MAX_CALENDAR_LENGTH = 120;
const CALENDAR_EXAMPLES = 'daily, weekly, 03:00, "*-*-* 02:00:00" or "Mon..Fri 03:00"';

// A --on-calendar value goes verbatim into OnCalendar=, so it is checked
// before systemd ever reads it; returns the problems (none: usable).
export function validateOnCalendar(spec: string): string[] {
  if (spec.trim() === '') return [`expected a calendar event such as ${CALENDAR_EXAMPLES}, got an empty value`];
  const errors: string[] = [];
  const bad = [...new Set([...spec].filter((ch) => !CALENDAR_CHAR.test(ch)))];
  if (bad.length > 0) {
    errors.push(
      `expected only letters, digits, spaces and * : , . / ~ _ - in a calendar event, got ${bad.map((ch) => JSON.stringify(ch)).join(' ')} in ${JSON.stringify(spec)}`,
    );
  }
  if (spec.length > MAX_CALENDAR_LENGTH) errors.push(`expected a calendar event of at most ${MAX_CALENDAR_LENGTH} characters, got ${spec.length}`);
  const word = spec.trim();
  if (/^[A-Za-z]+$/.test(word)) {
    const lower = word.toLowerCase();
    if (!(CALENDAR_SHORTHANDS as readonly string[]).includes(lower) && !WEEKDAYS.includes(lower)) {
      errors.push(
        `expected one of systemd's shorthands (${CALENDAR_SHORTHANDS.join(', ')}) or a weekday, got ${JSON.stringify(word)}${lower === 'nightly' ? ' (systemd does not know "nightly"; daily is midnight)' : ''}`,
      );
    }
  }
  return errors;
}

const UNIT_PREFIX = 'kbisect-sweep-';
const MAX_NAME_LENGTH = 100;

// Unit names must be typed in systemctl and stored as file names. Where
// systemd-escape would write "\x2f" (which nobody types and a shell eats),
// every character outside [A-Za-z0-9_.-] becomes "_" instead: lossy, so the
// caller puts a hash in the name when it must be unique (deriveScheduleName).
export function sanitizeUnitName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, MAX_NAME_LENGTH);
  if (clean === '' || /^[._-]*$/.test(clean)) throw new UserError(`expected a schedule name with a letter or digit, got ${describeValue(name)}`);
  return clean;
}

// The base of both unit names and the crontab marker: kbisect-sweep-NAME.
export function scheduleUnitBase(name: string): string {
  return `${UNIT_PREFIX}${sanitizeUnitName(name)}`;
}

// FNV-1a, 32 bits, over UTF-16 code units (Fowler, Noll, Vo; IETF draft
// draft-eastlake-fnv): a stable short tag, not a security measure.
function fnv1a32(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

// One schedule per tree: the tree's directory name (readable in systemctl
// list-timers) plus a hash of its whole path, so two trees called "linux"
// never replace each other's units, and --remove finds what was written.
export function deriveScheduleName(repoPath: string): string {
  const base = repoPath.split('/').filter((part) => part !== '').pop() ?? 'root';
  const readable = base.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[._-]+/, '').slice(0, 40);
  return `${readable === '' ? 'tree' : readable}-${fnv1a32(repoPath)}`;
}

// systemd.syntax(7) "Quoting" and systemd.service(5) "Command lines": a
// double-quoted word with C escapes for \ " and control characters; % is a
// specifier (%% is a literal one); in ExecStart= (`dollar`) $ expands
// variables ($$ is a literal one), in Environment= it does not.
function quoteSystemdWord(word: string, opts: { dollar: boolean }): string {
  let out = '"';
  for (const ch of word) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '%') out += '%%';
    else if (ch === '$' && opts.dollar) out += '$$';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CONTROL = /[\x00-\x1f\x7f]/;

function checkNoNul(values: readonly string[], what: string): void {
  const bad = values.find((v) => v.includes('\0'));
  if (bad !== undefined) throw new UserError(`expected ${what} without NUL characters, got ${describeValue(bad)}`);
}

function checkEnvironment(environment: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(environment)) {
    if (!ENV_NAME.test(key)) throw new UserError(`expected environment variable names of letters, digits and _, got ${describeValue(key)}`);
    checkNoNul([value], `the value of ${key}`);
  }
}

function checkAbsoluteDir(dir: string): void {
  if (!dir.startsWith('/') || CONTROL.test(dir) || dir !== dir.trim()) {
    throw new UserError(`expected an absolute working directory without control characters or surrounding spaces, got ${describeValue(dir)}`, 'give the tree with -C as an absolute path');
  }
}

export interface SweepUnitsInput {
  // what the units are named after (sanitised: sanitizeUnitName)
  name: string;
  // the whole command, argv[0] an absolute path
  execArgv: readonly string[];
  workingDirectory: string;
  onCalendar: string;
  environment: Readonly<Record<string, string>>;
  description: string;
}

export interface SweepUnits {
  serviceName: string;
  timerName: string;
  service: string;
  timer: string;
}

// The oneshot service that runs one sweep and the timer that starts it,
// as the exact texts written to disk (and shown by --print).
export function buildSweepUnits(input: SweepUnitsInput): SweepUnits {
  const base = scheduleUnitBase(input.name);
  const serviceName = `${base}.service`;
  const timerName = `${base}.timer`;
  const calendarErrors = validateOnCalendar(input.onCalendar);
  if (calendarErrors.length > 0) throw new UserError(calendarErrors.join('; '), `give a calendar event such as ${CALENDAR_EXAMPLES}`);
  const [file] = input.execArgv;
  // systemd takes argv[0] as the path to run: absolute, and free of what its
  // "string_is_safe" check refuses; $ is refused too, since $$ would stay
  // doubled in the path while argv[0] got it expanded
  if (file === undefined || !file.startsWith('/') || /[\x00-\x1f\x7f"'\\$]/.test(file)) {
    throw new UserError(`expected an absolute program path without quotes, backslashes, $ or control characters, got ${describeValue(file)}`);
  }
  checkNoNul(input.execArgv, 'arguments');
  checkAbsoluteDir(input.workingDirectory);
  checkEnvironment(input.environment);
  // Description= and WorkingDirectory= take the rest of the line as it is:
  // no quoting, but specifiers, so only % needs escaping
  const description = input.description.replace(/[\x00-\x1f\x7f]+/g, ' ').replace(/%/g, '%%');
  const service = [
    '# Written by kbisect sweep schedule; kbisect sweep schedule --remove (in the same tree) deletes it.',
    '[Unit]',
    `Description=${description}`,
    // --remote fetches: after boot, wait for the network
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    `WorkingDirectory=${input.workingDirectory.replace(/%/g, '%%')}`,
    ...Object.entries(input.environment).map(([key, value]) => `Environment=${quoteSystemdWord(`${key}=${value}`, { dollar: false })}`),
    `ExecStart=${input.execArgv.map((arg) => quoteSystemdWord(arg, { dollar: true })).join(' ')}`,
    // builds and boots take hours; no Nice=: a deprioritised run would
    // measure the scheduler instead of the kernel
    'TimeoutStartSec=infinity',
    '',
  ].join('\n');
  const timer = [
    '# Written by kbisect sweep schedule; kbisect sweep schedule --remove (in the same tree) deletes it.',
    '[Unit]',
    `Description=Timer for ${description}`,
    '',
    '[Timer]',
    `OnCalendar=${input.onCalendar.trim()}`,
    // a run missed while the host was off starts at the next boot
    'Persistent=true',
    // several hosts on one schedule do not all fetch at the same second
    'RandomizedDelaySec=15m',
    `Unit=${serviceName}`,
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
  return { serviceName, timerName, service, timer };
}

// POSIX sh single quotes: nothing inside is special; a ' is written '\''
// (close, escaped quote, reopen). Every word is quoted, even plain ones.
export function quoteShell(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

// cron(8) turns an unescaped % into a newline (and the rest into stdin), and
// "\%" into "%". Vixie cron (Debian) also turns "\\" into "\"; cronie does
// not. So a backslash must never stand before \ or % unless it escapes a %:
// inside single quotes, an empty '' pair is put between the two characters.
function quoteCronWord(arg: string): string {
  if (/[\n\r\0]/.test(arg)) {
    throw new UserError(`expected arguments without line breaks for a crontab line, got ${describeValue(arg)}`, 'use a systemd timer, or a wrapper script that cron calls');
  }
  return quoteShell(arg).replace(/\\(?=[\\%])/g, "\\''").replace(/%/g, '\\%');
}

const CRON_SHORTHANDS: Readonly<Record<string, string>> = {
  minutely: '* * * * *',
  hourly: '0 * * * *',
  daily: '0 0 * * *',
  weekly: '0 0 * * 1',
  monthly: '0 0 1 * *',
  yearly: '0 0 1 1 *',
  annually: '0 0 1 1 *',
  quarterly: '0 0 1 1,4,7,10 *',
  semiannually: '0 0 1 1,7 *',
};

// Cron has no calendar syntax: only the forms with an exact five-field
// equivalent are translated (systemd's own normalisation, systemd.time(5));
// anything else is refused rather than approximated. null: not expressible.
export function cronScheduleOf(onCalendar: string): string | null {
  const spec = onCalendar.trim();
  const shorthand = CRON_SHORTHANDS[spec.toLowerCase()];
  if (shorthand !== undefined) return shorthand;
  const m = /^(?:\*-\*-\*\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(spec);
  if (!m) return null;
  const hour = Number(m[1]);
  const minute = Number(m[2]);
  if (hour > 23 || minute > 59 || (m[3] !== undefined && Number(m[3]) !== 0)) return null;
  return `${minute} ${hour} * * *`;
}

export interface CrontabInput {
  name: string;
  execArgv: readonly string[];
  workingDirectory: string;
  environment: Readonly<Record<string, string>>;
  onCalendar: string;
  // cron mails output or drops it; kbisect's goes here instead
  logFile: string;
}

// The crontab line for hosts without systemd: cd, the environment, exec, the
// log; it ends in "# kbisect-sweep-NAME", a marker to find it again. No
// `flock -n`: an overlapping run meets kbisect's own per-tree lock
// (adapters/lock.ts) and stops with a message saying who holds it.
export function buildCrontabLine(input: CrontabInput): string {
  const schedule = cronScheduleOf(input.onCalendar);
  if (schedule === null) {
    throw new UserError(
      `expected a schedule cron can express (${Object.keys(CRON_SHORTHANDS).join(', ')}, HH:MM or "*-*-* HH:MM[:00]"), got ${describeValue(input.onCalendar)}`,
      'use a systemd timer on a host where systemd is PID 1, or print a daily line (--on-calendar daily) and edit its five time fields',
    );
  }
  if (input.execArgv.length === 0) throw new UserError('expected a command to schedule, got an empty one');
  checkAbsoluteDir(input.workingDirectory);
  checkEnvironment(input.environment);
  const env = Object.entries(input.environment).map(([key, value]) => `${key}=${quoteCronWord(value)}`);
  const command = [
    'cd',
    quoteCronWord(input.workingDirectory),
    '&&',
    ...env,
    'exec',
    ...input.execArgv.map(quoteCronWord),
    '>>',
    quoteCronWord(input.logFile),
    '2>&1',
    `# ${scheduleUnitBase(input.name)}`,
  ];
  return `${schedule} ${command.join(' ')}`;
}
