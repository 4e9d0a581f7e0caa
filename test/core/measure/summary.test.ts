import { describe, expect, it } from 'vitest';
import { coefficientOfVariation, decomposeCv, rawMad, summarizeBoots } from '../../../src/core/measure/summary.ts';
import type { BootOutcome, TestSamples } from '../../../src/core/measure/types.ts';

function ok(bootIndex: number, runs: number[]): BootOutcome {
  const t: TestSamples = { test: 'rr', type: 'TCP_RR', metric: 'transaction-rate', unit: 'Trans/s', higherIsBetter: true, runs, warmup: [1], records: [] };
  return { kind: 'ok', bootIndex, readyMs: 800, timings: { readyMs: 800, guestUptimeAtReadyS: 0.6, totalMs: 7000, netperfMs: 6000, overheadMs: 1000 }, tests: [t] };
}

describe('summary statistics', () => {
  it('computes the raw MAD and the CV', () => {
    expect(rawMad([1, 2, 3, 4, 100])).toBe(1);
    expect(coefficientOfVariation([10, 10, 10])).toBe(0);
    expect(coefficientOfVariation([9, 11])).toBeCloseTo(Math.SQRT2 / 10);
    expect(coefficientOfVariation([5])).toBe(0);
  });

  it('puts all spread within boots when the boots are identical', () => {
    const d = decomposeCv([
      [90, 110],
      [90, 110],
    ]);
    expect(d.withinBootCv).toBeCloseTo((Math.SQRT2 * 10) / 100);
    expect(d.bootToBootCv).toBe(0);
  });

  it('puts all spread between boots when each boot is constant', () => {
    const d = decomposeCv([
      [90, 90],
      [110, 110],
    ]);
    expect(d.withinBootCv).toBe(0);
    expect(d.bootToBootCv).toBeCloseTo((Math.SQRT2 * 10) / 100);
  });

  it('summarizes ok boots per test and ignores failed ones', () => {
    const failed: BootOutcome = { kind: 'boot-failed', bootIndex: 2, phase: 'boot', reason: 'kernel panic', consoleTail: '' };
    const [s] = summarizeBoots([ok(0, [100, 102, 98]), ok(1, [110, 108, 112]), failed]);
    expect(s).toMatchObject({ test: 'rr', boots: 2, runs: 6, median: 105, bootMedians: [100, 110] });
    expect(s?.bootToBootCv).toBeGreaterThan(s?.withinBootCv ?? Infinity);
  });
});
