// Boot outcomes for the matrix's unit tests: shaped like measureKernel's.
import type { MigrationRun } from '../../../src/core/conditions/migration.ts';
import type { BootOutcome } from '../../../src/core/measure/types.ts';

export function okBoot(bootIndex: number, runs: number[], extra: Partial<Extract<BootOutcome, { kind: 'ok' }>> = {}): BootOutcome {
  return {
    kind: 'ok',
    bootIndex,
    readyMs: 3000,
    timings: { readyMs: 3000, guestUptimeAtReadyS: 1, totalMs: 12000, netperfMs: 9000, overheadMs: 3000 },
    tests: [{ test: 'stream', type: 'TCP_STREAM', metric: 'throughput', unit: '10^6bits/s', higherIsBetter: true, runs, warmup: [runs[0] ?? 1], records: [] }],
    ...extra,
  };
}

export function failedBoot(bootIndex: number, reason: string): BootOutcome {
  return { kind: 'boot-failed', bootIndex, phase: 'measure', reason, consoleTail: '' };
}

export function migrationRun(downtimes: number[]): MigrationRun {
  return {
    test: 'stream',
    rep: 1,
    intervalS: 2,
    reachTimeoutS: 1,
    survived: true,
    migrations: downtimes.map((d, i) => ({ index: i + 1, startedAtS: 2 * (i + 1), outcome: { kind: 'completed', totalTimeMs: 500, downtimeMs: d, setupTimeMs: 1, transferredBytes: 1, reach: [] } })),
    completed: downtimes.length,
    failed: 0,
    downtimeMs: { median: null, max: null },
    totalTimeMs: { median: null, max: null },
    reach: [],
  };
}
