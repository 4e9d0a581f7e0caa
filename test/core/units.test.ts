import { describe, expect, it } from 'vitest';
import { normalizeUnit, unitOfMetric } from '../../src/core/units.ts';

describe('unit names', () => {
  it.each([
    ['10^6bits/s', 'Mbit/s'],
    ['Mbit/s', 'Mbit/s'],
    ['Trans/s', 'trans/s'],
    ['trans/s', 'trans/s'],
    ['usec', 'us'],
    [' us ', 'us'],
    ['10^9bits/s', '10^9bits/s'],
    ['', ''],
  ])('reads %j as %j', (raw, name) => {
    expect(normalizeUnit(raw)).toBe(name);
  });

  it.each([
    ['throughput', 'TCP_STREAM', 'Mbit/s'],
    ['throughput', 'TCP_RR', 'trans/s'],
    ['throughput', 'UDP_RR', 'trans/s'],
    ['transaction-rate', 'TCP_CRR', 'trans/s'],
    ['mean-latency', 'TCP_RR', 'us'],
    ['p99-latency', 'UDP_RR', 'us'],
  ] as const)('%s of %s is in %s', (metric, type, unit) => {
    expect(unitOfMetric(metric, type)).toBe(unit);
  });
});
