// One name per unit in everything kbisect prints, stores and reports, and the
// one place where netperf's spellings (and older records') map to them. Pure.
import { isRequestResponse, type Metric, type NetperfTestType } from './profile/index.ts';

// Throughput (10^6 bit/s), transaction rate, latency (microseconds).
export const UNITS = { throughput: 'Mbit/s', rate: 'trans/s', latency: 'us' } as const;
export type Unit = (typeof UNITS)[keyof typeof UNITS];

// netperf 2.7's omni THROUGHPUT_UNITS with the default `-f m` ("10^6bits/s") and
// for request/response tests ("Trans/s"), its "usec", and kbisect's own names;
// keys lower-case. Records written before this mapping carry netperf's words.
const ALIASES: Readonly<Record<string, Unit>> = {
  '10^6bits/s': UNITS.throughput,
  'mbit/s': UNITS.throughput,
  'trans/s': UNITS.rate,
  us: UNITS.latency,
  usec: UNITS.latency,
  'µs': UNITS.latency,
};

// The unit a metric of a test is reported in: netperf's THROUGHPUT of a
// request/response test is its transaction rate.
export function unitOfMetric(metric: Metric, type: NetperfTestType): Unit {
  switch (metric) {
    case 'throughput':
      return isRequestResponse(type) ? UNITS.rate : UNITS.throughput;
    case 'transaction-rate':
      return UNITS.rate;
    case 'mean-latency':
    case 'p99-latency':
      return UNITS.latency;
  }
}

// kbisect's name for a unit as netperf (or an older record) spells it; an
// unknown spelling is kept as it is.
export function normalizeUnit(raw: string): string {
  const trimmed = raw.trim();
  return ALIASES[trimmed.toLowerCase()] ?? trimmed;
}
