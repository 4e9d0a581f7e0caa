// The conversation between kbisect and its guest's /init, both ways and pure:
// the job goes in as kernel command-line words (`kbisect.*`, read by /init from
// /proc/cmdline), the answers come back as marker lines on the serial console.
import { InternalError } from './errors.ts';
import { formatDuration } from './format.ts';

export const MARKER_PREFIX = 'KBISECT';
export const markers = {
  ready: `${MARKER_PREFIX}-READY`,
  runBegin: `${MARKER_PREFIX}-RUN-BEGIN`,
  runEnd: `${MARKER_PREFIX}-RUN-END`,
  done: `${MARKER_PREFIX}-DONE`,
  error: `${MARKER_PREFIX}-ERROR`,
  // hotplug: the NIC came back and /init configured it again
  linkUp: `${MARKER_PREFIX}-LINK-UP`,
} as const;

// server: netserver, then wait to be killed; client: run netperf, print, power off;
// probe: print the ready marker and power off (no network).
export type GuestRole = 'server' | 'client' | 'probe';

export interface GuestRun {
  // test name from the profile ([a-z0-9-])
  test: string;
  // how many times to run it (warm-up included)
  reps: number;
  // the netperf arguments, without the program name (no spaces or colons in a word)
  netperfArgs: readonly string[];
}

export interface GuestJob {
  role: GuestRole;
  // the guest's eth0 address and netmask ("10.77.0.2", "255.255.255.0"); absent for the probe
  ip?: string;
  netmask?: string;
  // client: the netserver to wait for before the first run
  serverIp?: string;
  runs?: readonly GuestRun[];
  // 802.1Q sub-interfaces eth0.<vid>, each with its address (netmask as eth0's)
  vlans?: readonly { vid: number; ip: string }[];
  // macvlan sub-interfaces of eth0, each with its own MAC and address
  extraMacs?: readonly { mac: string; ip: string }[];
  // hotplug: /init watches for eth0 to go and come back, configures it again and says so
  watchNic?: boolean;
}

const IPV4_RE = /^\d{1,3}(\.\d{1,3}){3}$/;
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function checkJobValue(ok: boolean, what: string, value: unknown): void {
  if (!ok) throw new InternalError(`guest job ${what} ${JSON.stringify(value)} cannot travel on the kernel command line`);
}

// x86 COMMAND_LINE_SIZE is 2048 bytes including the terminating NUL.
export const MAX_CMDLINE = 2047;

// Turns a job into kernel command-line words; each run is one `kbisect.runN=` word.
export function encodeGuestJob(job: GuestJob): string[] {
  const words = [`kbisect.role=${job.role}`];
  if (job.ip !== undefined) words.push(`kbisect.ip=${job.ip}`);
  if (job.netmask !== undefined) words.push(`kbisect.mask=${job.netmask}`);
  if (job.serverIp !== undefined) words.push(`kbisect.server=${job.serverIp}`);
  if (job.watchNic === true) words.push('kbisect.hotplug=1');
  // kbisect.vlans=10/10.77.100.2,20/10.77.101.2  kbisect.macs=52:54:00:78:02:01/10.77.0.101,...
  if (job.vlans !== undefined && job.vlans.length > 0) {
    for (const v of job.vlans) checkJobValue(Number.isInteger(v.vid) && v.vid >= 1 && v.vid <= 4094 && IPV4_RE.test(v.ip), 'VLAN', v);
    words.push(`kbisect.vlans=${job.vlans.map((v) => `${v.vid}/${v.ip}`).join(',')}`);
  }
  if (job.extraMacs !== undefined && job.extraMacs.length > 0) {
    for (const m of job.extraMacs) checkJobValue(MAC_RE.test(m.mac) && IPV4_RE.test(m.ip), 'extra MAC', m);
    words.push(`kbisect.macs=${job.extraMacs.map((m) => `${m.mac}/${m.ip}`).join(',')}`);
  }
  (job.runs ?? []).forEach((run, i) => {
    for (const word of [run.test, ...run.netperfArgs]) {
      if (word === '' || /[\s:"]/.test(word)) {
        throw new InternalError(`guest job word ${JSON.stringify(word)} cannot travel on the kernel command line`);
      }
    }
    words.push(`kbisect.run${i + 1}=${[run.test, String(run.reps), ...run.netperfArgs].join(':')}`);
  });
  return words;
}

// Assembles the whole kernel command line and checks it fits.
export function buildKernelCmdline(baseWords: readonly string[], job: GuestJob, extra: string): string {
  const line = [...baseWords, extra.trim(), ...encodeGuestJob(job)].filter((w) => w !== '').join(' ');
  if (line.length > MAX_CMDLINE) {
    throw new InternalError(`kernel command line is ${line.length} bytes, more than the ${MAX_CMDLINE} the kernel keeps`);
  }
  return line;
}

export type ConsoleEvent =
  | { kind: 'ready'; uptimeS: number | null; role: string }
  | { kind: 'run-begin'; test: string; rep: number }
  | { kind: 'run-end'; test: string; rep: number; exitCode: number }
  | { kind: 'done'; uptimeS: number | null }
  | { kind: 'link-up'; uptimeS: number | null }
  | { kind: 'guest-error'; message: string }
  | { kind: 'panic'; line: string }
  | { kind: 'oops'; line: string }
  | { kind: 'text'; line: string };

const PANIC_RE = /Kernel panic - not syncing/;
const OOPS_RE = /(^|\]\s*)(Oops:|BUG: |general protection fault|kernel BUG at|Unable to handle kernel)/;

function fields(rest: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const w of rest.trim().split(/\s+/)) {
    const eq = w.indexOf('=');
    if (eq > 0) out.set(w.slice(0, eq), w.slice(eq + 1));
  }
  return out;
}

function numberOrNull(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const n = Number(raw);
  return Number.isFinite(n) ? n : null;
}

// Classifies one console line (the serial port may add \r; the kernel may prefix a timestamp).
export function parseConsoleLine(rawLine: string): ConsoleEvent {
  const line = rawLine.replace(/\r/g, '');
  const at = line.indexOf(`${MARKER_PREFIX}-`);
  if (at >= 0) {
    const marker = line.slice(at).split(/\s/, 1)[0] ?? '';
    const rest = line.slice(at + marker.length);
    const f = fields(rest);
    switch (marker) {
      case markers.ready:
        return { kind: 'ready', uptimeS: numberOrNull(f.get('uptime')), role: f.get('role') ?? '' };
      case markers.runBegin:
        return { kind: 'run-begin', test: f.get('test') ?? '', rep: Number(f.get('rep') ?? 0) };
      case markers.runEnd:
        return { kind: 'run-end', test: f.get('test') ?? '', rep: Number(f.get('rep') ?? 0), exitCode: Number(f.get('rc') ?? -1) };
      case markers.done:
        return { kind: 'done', uptimeS: numberOrNull(f.get('uptime')) };
      case markers.error:
        return { kind: 'guest-error', message: rest.trim() };
      case markers.linkUp:
        return { kind: 'link-up', uptimeS: numberOrNull(f.get('uptime')) };
      default:
        break;
    }
  }
  if (PANIC_RE.test(line)) return { kind: 'panic', line: line.trim() };
  if (OOPS_RE.test(line)) return { kind: 'oops', line: line.trim() };
  return { kind: 'text', line };
}

export interface GuestRunOutput {
  test: string;
  rep: number;
  exitCode: number;
  // netperf's stdout and stderr, as printed between the markers
  output: string;
}

export interface ConsoleState {
  ready: { uptimeS: number | null } | null;
  runs: GuestRunOutput[];
  current: { test: string; rep: number; lines: string[] } | null;
  done: boolean;
  // the first fatal thing seen: a panic, an oops, or the guest's own error marker
  failure: { kind: 'panic' | 'oops' | 'guest-error'; text: string } | null;
}

export const initialConsoleState: ConsoleState = { ready: null, runs: [], current: null, done: false, failure: null };

// Folds one console event into the state; pure (returns a new state).
export function applyConsoleEvent(state: ConsoleState, event: ConsoleEvent): ConsoleState {
  switch (event.kind) {
    case 'ready':
      return state.ready ? state : { ...state, ready: { uptimeS: event.uptimeS } };
    case 'run-begin':
      return { ...state, current: { test: event.test, rep: event.rep, lines: [] } };
    case 'run-end': {
      const lines = state.current && state.current.test === event.test && state.current.rep === event.rep ? state.current.lines : [];
      return {
        ...state,
        current: null,
        runs: [...state.runs, { test: event.test, rep: event.rep, exitCode: event.exitCode, output: lines.join('\n') }],
      };
    }
    case 'done':
      return { ...state, done: true };
    case 'link-up':
      // counted by whoever hot-plugged the NIC (app/measure-boot.ts)
      return state;
    case 'guest-error':
      return state.failure ? state : { ...state, failure: { kind: 'guest-error', text: event.message } };
    case 'panic':
    case 'oops':
      return state.failure && state.failure.kind !== 'guest-error' ? state : { ...state, failure: { kind: event.kind, text: event.line } };
    case 'text':
      if (!state.current) return state;
      return { ...state, current: { ...state.current, lines: [...state.current.lines, event.line] } };
  }
}

// QEMU stderr lines that mean the guest will never make progress (QEMU itself
// keeps running: on a nested/software KVM it stops the vCPU and waits).
const QEMU_FATAL_RE = /KVM internal error|emulation failure|KVM_RUN failed|failed to initialize kvm/i;

// True when a QEMU message means the guest is stuck for good.
export function isFatalQemuMessage(line: string): boolean {
  return QEMU_FATAL_RE.test(line);
}

export type GuestStop =
  | { kind: 'failure'; failure: NonNullable<ConsoleState['failure']> }
  | { kind: 'qemu-fatal'; message: string }
  | { kind: 'exited'; exitCode: number | undefined; signal: string | undefined; qemuStderr: string }
  | { kind: 'timeout'; waitedMs: number; waitingFor: string };

// One sentence for a guest that stopped before doing what was asked.
export function describeGuestStop(stop: GuestStop): string {
  switch (stop.kind) {
    case 'failure':
      switch (stop.failure.kind) {
        case 'panic':
          return `kernel panic: ${stop.failure.text}`;
        case 'oops':
          return `kernel oops: ${stop.failure.text}`;
        case 'guest-error':
          return `guest init: ${stop.failure.text}`;
      }
      break;
    case 'qemu-fatal':
      return `QEMU: ${stop.message}`;
    case 'exited': {
      const how = stop.signal ? `was killed by ${stop.signal}` : `exited with code ${stop.exitCode ?? '?'}`;
      const last = stop.qemuStderr.trim().split('\n').filter((l) => l.trim() !== '').at(-1);
      return `QEMU ${how}${last ? `: ${last.trim()}` : ''}`;
    }
    case 'timeout':
      return `no ${stop.waitingFor} within ${formatDuration(stop.waitedMs)} (hung?)`;
  }
  return 'guest stopped';
}

// The kernel words every guest gets: serial console, little printk noise,
// panic=-1 (reboot at once, which -no-reboot turns into QEMU's exit), and
// random.trust_cpu=on: without an entropy source the guest's first netperf
// blocks ~1 s in getrandom() until the CRNG is seeded (measured); RDRAND seeds
// it at boot. Under TCG also nolapic_timer: calibrating the local APIC timer
// busy-waits a tenth of a second of emulated ticks, ~200 ms of every boot
// here; the PIT ticks instead.
export function baseKernelArgs(accel: 'kvm' | 'tcg', opts: { skipLapicCalibration?: boolean } = {}): string[] {
  const skip = accel === 'tcg' && (opts.skipLapicCalibration ?? true);
  return ['console=ttyS0', 'quiet', 'panic=-1', 'random.trust_cpu=on', ...(skip ? ['nolapic_timer'] : [])];
}
