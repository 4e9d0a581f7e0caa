// netperf 2.7 as data: the command line for one run (the same words whether
// netperf runs on the host side or inside the guest) and a parser for its omni
// output (`-P 0 -- -o LIST` prints exactly one CSV line in LIST order). Errors
// become typed failures; units come out in kbisect's names (core/units.ts).
// Pure: nothing here runs a process.
import type { Metric, ProfileTest } from '../core/profile/index.ts';
import { normalizeUnit, UNITS } from '../core/units.ts';
import type { CommandSpec } from './exec.ts';

export const NETSERVER_PORT = 12865;

// The omni output selectors kbisect asks for; the CSV line has exactly this order.
export const omniSelectors = [
  'THROUGHPUT',
  'THROUGHPUT_UNITS',
  'MEAN_LATENCY',
  'P50_LATENCY',
  'P99_LATENCY',
  'TRANSACTION_RATE',
  'ELAPSED_TIME',
  'LOCAL_SEND_SIZE',
  'REMOTE_RECV_SIZE',
] as const;

export interface NetperfRecord {
  throughput: number;
  // kbisect's name for netperf's THROUGHPUT_UNITS: Mbit/s, or trans/s for request/response tests
  throughputUnits: string;
  // microseconds; null where netperf has none (stream tests) or reports garbage
  meanLatencyUs: number | null;
  p50LatencyUs: number | null;
  p99LatencyUs: number | null;
  transactionRate: number | null;
  elapsedS: number | null;
  localSendBytes: number | null;
  remoteRecvBytes: number | null;
}

export type NetperfFailureKind =
  | 'refused' // nothing listens on the netserver port
  | 'unreachable' // the control connection could not be set up
  | 'resolve' // the target address could not be resolved
  | 'unknown-test'
  | 'data-error' // the data connection broke during the run
  | 'timeout'
  | 'parse'; // netperf ended without the CSV line

export type NetperfOutcome =
  | { kind: 'ok'; record: NetperfRecord }
  | { kind: 'failed'; failure: NetperfFailureKind; message: string };

// The netperf arguments (without the program name) for one run of a profile test against `targetIp`.
export function buildNetperfArgs(test: ProfileTest, targetIp: string): string[] {
  const args = ['-4', '-H', targetIp, '-t', test.type, '-l', String(test.durationS), '-P', '0', '-j', '--', '-o', omniSelectors.join(',')];
  if (test.messageBytes !== undefined) args.push('-m', String(test.messageBytes));
  if (test.requestBytes !== undefined || test.responseBytes !== undefined) {
    args.push('-r', `${test.requestBytes ?? 1},${test.responseBytes ?? 1}`);
  }
  if (test.nodelay) args.push('-D');
  return args;
}

// One TCP_RR transaction (`-l -1`): answers within milliseconds once netserver listens.
export function buildNetperfProbeArgs(targetIp: string): string[] {
  return ['-4', '-H', targetIp, '-t', 'TCP_RR', '-l', '-1', '-P', '0', '--', '-o', 'THROUGHPUT'];
}

// netserver in the foreground (-D), one test at a time (-f: no child per test, so one pid
// to stop), IPv4, on kbisect's port, bound to `listenIp`.
export function buildNetserverCommand(listenIp: string): CommandSpec {
  return { file: 'netserver', args: ['-D', '-f', '-4', '-p', String(NETSERVER_PORT), '-L', listenIp] };
}

// Generous bound on one run's wall time: its duration plus connection setup and teardown.
export function netperfTimeoutMs(test: Pick<ProfileTest, 'durationS'>): number {
  return (test.durationS + 15) * 1000;
}

// netperf prints INT_MIN for percentiles it could not compute (seen inside guests).
function latencyOrNull(raw: string | undefined): number | null {
  const n = numberOrNull(raw);
  return n === null || n < 0 ? null : n;
}

function numberOrNull(raw: string | undefined): number | null {
  if (raw === undefined || raw.trim() === '') return null;
  const n = Number(raw);
  return Number.isFinite(n) ? n : null;
}

function sizeOrNull(raw: string | undefined): number | null {
  const n = numberOrNull(raw);
  return n === null || n < 0 ? null : n;
}

const failurePatterns: readonly [RegExp, NetperfFailureKind][] = [
  [/are you sure there is a netserver listening|Connection refused/i, 'refused'],
  [/could not resolve host/i, 'resolve'],
  [/could not establish the control connection|No route to host|Network is unreachable|Connection timed out/i, 'unreachable'],
  [/is unknown to this netperf/i, 'unknown-test'],
  [/send_data|recv_data|data send error|data recv error|Connection reset by peer|Broken pipe/i, 'data-error'],
];

// Parses one run's combined stdout+stderr. `exitCode` null = unknown (guest runs report it).
export function parseNetperfOutput(text: string, exitCode: number | null, timedOut = false): NetperfOutcome {
  const lines = text
    .replace(/\r/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (timedOut) {
    return { kind: 'failed', failure: 'timeout', message: `netperf did not finish in time${lines.length ? `: ${lines.at(-1)}` : ''}` };
  }
  // the CSV line: as many fields as selectors, first one numeric
  const csv = [...lines].reverse().find((l) => {
    const f = l.split(',');
    return f.length === omniSelectors.length && numberOrNull(f[0]) !== null;
  });
  if (csv !== undefined && (exitCode === null || exitCode === 0)) {
    const f = csv.split(',');
    const throughput = numberOrNull(f[0]);
    if (throughput !== null) {
      return {
        kind: 'ok',
        record: {
          throughput,
          throughputUnits: normalizeUnit(f[1] ?? ''),
          meanLatencyUs: latencyOrNull(f[2]),
          p50LatencyUs: latencyOrNull(f[3]),
          p99LatencyUs: latencyOrNull(f[4]),
          transactionRate: numberOrNull(f[5]),
          elapsedS: numberOrNull(f[6]),
          localSendBytes: sizeOrNull(f[7]),
          remoteRecvBytes: sizeOrNull(f[8]),
        },
      };
    }
  }
  const all = lines.join('\n');
  for (const [re, failure] of failurePatterns) {
    if (re.test(all)) return { kind: 'failed', failure, message: lines.join(' | ') };
  }
  const how = exitCode === null ? '' : ` (exit code ${exitCode})`;
  return {
    kind: 'failed',
    failure: 'parse',
    message: lines.length ? `no result line in netperf's output${how}: ${lines.slice(-3).join(' | ')}` : `netperf printed nothing${how}`,
  };
}

// The judged value of a run and its unit; null when netperf gave no usable value.
export function metricValue(record: NetperfRecord, metric: Metric): { value: number | null; unit: string } {
  switch (metric) {
    case 'throughput':
      return { value: record.throughput, unit: record.throughputUnits };
    case 'transaction-rate':
      return { value: record.transactionRate, unit: UNITS.rate };
    case 'mean-latency':
      return { value: record.meanLatencyUs, unit: UNITS.latency };
    case 'p99-latency':
      return { value: record.p99LatencyUs, unit: UNITS.latency };
  }
}
