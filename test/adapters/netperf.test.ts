import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildNetperfArgs,
  buildNetperfProbeArgs,
  buildNetserverCommand,
  metricValue,
  omniSelectors,
  parseNetperfOutput,
} from '../../src/adapters/netperf.ts';
import type { ProfileTest } from '../../src/core/profile/index.ts';

// Recorded from netperf 2.7.0 on this kind of host (inside a private namespace)
// and inside a TCG guest; `.out` is stdout+stderr, `.rc` the exit code.
const dir = join(import.meta.dirname, '../fixtures/netperf');
function recorded(name: string): { text: string; rc: number } {
  return { text: readFileSync(join(dir, `${name}.out`), 'utf8'), rc: Number(readFileSync(join(dir, `${name}.rc`), 'utf8').trim()) };
}

const rr: ProfileTest = { name: 'rr', type: 'TCP_RR', durationS: 5, requestBytes: 1, responseBytes: 1, nodelay: false, metric: 'transaction-rate', higherIsBetter: true };

describe('buildNetperfArgs', () => {
  it('asks for the omni selectors, IPv4, latency percentiles (-j) and no banner', () => {
    expect(buildNetperfArgs(rr, '10.77.0.1')).toEqual([
      '-4', '-H', '10.77.0.1', '-t', 'TCP_RR', '-l', '5', '-P', '0', '-j', '--', '-o',
      'THROUGHPUT,THROUGHPUT_UNITS,MEAN_LATENCY,P50_LATENCY,P99_LATENCY,TRANSACTION_RATE,ELAPSED_TIME,LOCAL_SEND_SIZE,REMOTE_RECV_SIZE',
      '-r', '1,1',
    ]);
  });

  it('passes message size and TCP_NODELAY for stream tests', () => {
    const args = buildNetperfArgs({ name: 's', type: 'TCP_STREAM', durationS: 10, messageBytes: 16384, nodelay: true, metric: 'throughput', higherIsBetter: true }, '10.77.0.2');
    expect(args.slice(-3)).toEqual(['-m', '16384', '-D']);
    expect(args).not.toContain('-r');
  });

  it('keeps every word free of spaces and colons (they travel on the kernel command line)', () => {
    for (const w of buildNetperfArgs(rr, '10.77.0.1')) expect(w).not.toMatch(/[\s:]/);
  });

  it('probes with a single transaction and runs netserver as one foreground process', () => {
    expect(buildNetperfProbeArgs('10.77.0.1')).toContain('-1');
    expect(buildNetserverCommand('10.77.0.1')).toEqual({ file: 'netserver', args: ['-D', '-f', '-4', '-p', '12865', '-L', '10.77.0.1'] });
  });
});

describe('parseNetperfOutput', () => {
  it.each([
    ['host-TCP_STREAM', 'throughput', 'Mbit/s'],
    ['host-TCP_MAERTS', 'throughput', 'Mbit/s'],
    ['host-UDP_STREAM', 'throughput', 'Mbit/s'],
    ['host-TCP_RR', 'transaction-rate', 'trans/s'],
    ['host-TCP_CRR', 'transaction-rate', 'trans/s'],
    ['host-UDP_RR', 'transaction-rate', 'trans/s'],
  ] as const)('reads the recorded %s line, units in kbisect\'s names', (name, metric, unit) => {
    const { text, rc } = recorded(name);
    const r = parseNetperfOutput(text, rc);
    expect(r.kind).toBe('ok');
    if (r.kind !== 'ok') return;
    expect(r.record.throughput).toBeGreaterThan(0);
    expect(r.record.throughputUnits).toBe(metric === 'throughput' ? 'Mbit/s' : 'trans/s');
    expect(r.record.elapsedS).toBeCloseTo(1, 1);
    const v = metricValue(r.record, metric);
    expect(v.unit).toBe(unit);
    expect(v.value).toBeGreaterThan(0);
  });

  it('gives every field of a TCP_RR line', () => {
    const r = parseNetperfOutput('85192.81,Trans/s,11.69,9,11,85192.813,1.00,0,1\n', 0);
    expect(r).toEqual({
      kind: 'ok',
      record: {
        throughput: 85192.81,
        throughputUnits: 'trans/s',
        meanLatencyUs: 11.69,
        p50LatencyUs: 9,
        p99LatencyUs: 11,
        transactionRate: 85192.813,
        elapsedS: 1,
        localSendBytes: 0,
        remoteRecvBytes: 1,
      },
    });
  });

  it('treats the INT_MIN percentile netperf prints inside guests as missing', () => {
    const { text, rc } = recorded('guest-TCP_RR-p50-missing');
    const r = parseNetperfOutput(text, rc);
    expect(r.kind === 'ok' && r.record.p50LatencyUs).toBeNull();
    expect(r.kind === 'ok' && r.record.p99LatencyUs).toBe(4081);
  });

  it('turns "Connection refused" into a typed failure', () => {
    const { text, rc } = recorded('refused');
    expect(parseNetperfOutput(text, rc)).toMatchObject({ kind: 'failed', failure: 'refused' });
    expect(rc).toBe(255);
  });

  it('turns an unknown test into a typed failure', () => {
    const { text, rc } = recorded('unknown-test');
    expect(parseNetperfOutput(text, rc)).toMatchObject({ kind: 'failed', failure: 'unknown-test' });
  });

  it('classifies an unreachable control connection, a broken data connection and a timeout', () => {
    expect(parseNetperfOutput('establish_control could not establish the control connection from 0.0.0.0 port 0 address family AF_INET to 10.77.0.1 port 12865 address family AF_INET\n', 255)).toMatchObject({ failure: 'unreachable' });
    expect(parseNetperfOutput('send_data: data send error: Connection reset by peer (errno 104)\n', 1)).toMatchObject({ failure: 'data-error' });
    expect(parseNetperfOutput('', null, true)).toMatchObject({ failure: 'timeout' });
  });

  it('rejects output without the result line, and a result with a failing exit code', () => {
    expect(parseNetperfOutput('', 0)).toEqual({ kind: 'failed', failure: 'parse', message: 'netperf printed nothing (exit code 0)' });
    expect(parseNetperfOutput('1,2,3\n', 0)).toMatchObject({ kind: 'failed', failure: 'parse' });
    expect(parseNetperfOutput('85192.81,Trans/s,11.69,9,11,85192.813,1.00,0,1\n', 1)).toMatchObject({ kind: 'failed', failure: 'parse' });
  });

  it('finds the result line among console noise (a guest kernel may print in between)', () => {
    const r = parseNetperfOutput('random: crng init done\r\n14633.80,10^6bits/s,8.88,1,388,1.000,1.00,16384,131072\r\n', null);
    expect(r.kind === 'ok' && r.record.throughput).toBe(14633.8);
  });

  it('has one CSV field per selector', () => {
    expect(recorded('host-TCP_RR').text.trim().split(',')).toHaveLength(omniSelectors.length);
  });
});
