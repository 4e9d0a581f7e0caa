import { describe, expect, it } from 'vitest';
import { formatDuration, formatLatency, formatMeasurement, formatNumber, formatPercent, formatQemuVersion, formatRate, formatThroughput } from '../../src/core/format.ts';

describe('formatNumber', () => {
  it.each([
    [2662.4, '2662'],
    [123.456, '123.5'],
    [12.345, '12.35'],
    [1.2345, '1.234'],
    [0, '0.000'],
    [Number.NaN, 'NaN'],
  ])('%d -> %s (4 significant digits)', (n, text) => {
    expect(formatNumber(n)).toBe(text);
  });
});

describe('one formatter per quantity, one name per unit', () => {
  it('throughput, rate and latency', () => {
    expect(formatThroughput(942.12)).toBe('942.1 Mbit/s');
    expect(formatRate(5908.3)).toBe('5908 trans/s');
    expect(formatLatency(171)).toBe('171.0 us');
  });

  it.each([
    [942.12, 'Mbit/s', '942.1 Mbit/s'],
    // netperf's spellings, as records written before the mapping carry them
    [942.12, '10^6bits/s', '942.1 Mbit/s'],
    [5908.3, 'Trans/s', '5908 trans/s'],
    [171, 'usec', '171.0 us'],
    [12.5, 'value', '12.50 value'],
    [12.5, '', '12.50'],
  ])('%d %s -> %s', (value, unit, text) => {
    expect(formatMeasurement(value, unit)).toBe(text);
  });
});

describe('formatDuration', () => {
  it.each([
    [120, '0.12 s'],
    [812, '0.81 s'],
    [4800, '4.8 s'],
    [9_960, '10 s'],
    [26_000, '26 s'],
    [59_600, '1m00s'],
    [60_000, '1m00s'],
    [204_000, '3m24s'],
    [7_500_000, '2h05m'],
    [Number.NaN, 'n/a'],
  ])('%i ms -> %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatPercent', () => {
  it.each([
    [0.123, {}, '12.3%'],
    [0.05, { signed: true }, '+5.0%'],
    [-0.071, { signed: true }, '-7.1%'],
    [0.8, { digits: 0 }, '80%'],
    [Number.NaN, {}, 'n/a'],
  ])('%d %o -> %s', (fraction, opts, text) => {
    expect(formatPercent(fraction, opts)).toBe(text);
  });
});

describe('formatQemuVersion', () => {
  it.each([
    ['QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u13)', 'QEMU 7.2.22 (Debian 1:7.2+dfsg-7+deb12u13)'],
    ['QEMU emulator version 7.2.22', 'QEMU 7.2.22'],
    ['7.2.9', 'QEMU 7.2.9'],
    ['qemu 8.0', 'qemu 8.0'],
  ])('%s → %s (never "QEMU QEMU emulator version")', (version, label) => {
    expect(formatQemuVersion(version)).toBe(label);
  });
});
