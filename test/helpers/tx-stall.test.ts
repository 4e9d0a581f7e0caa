import { describe, expect, it } from 'vitest';
import { isTxStall, measureAgainOnTxStall } from './tx-stall.ts';

describe('measureAgainOnTxStall', () => {
  const reasonsOf = (r: string[]): string[] => r;
  const runs = (...results: string[][]): { measure: () => Promise<string[]>; calls: () => number } => {
    let n = 0;
    return { measure: () => Promise.resolve(results[n++] ?? []), calls: () => n };
  };

  it('knows the stall reasons of both directions and nothing else', () => {
    expect(isTxStall('netperf stream run 4 did not end within 17 s (guest or netserver stuck)')).toBe(true);
    expect(isTxStall('netperf did not finish in time')).toBe(true);
    expect(isTxStall("netperf stream run 2 did not finish in time: the guest's virtio-net transmit queue stalled (queue 1: 3 packets waiting, ...)")).toBe(true);
    expect(isTxStall('kernel panic: Kernel panic - not syncing')).toBe(false);
    expect(isTxStall('no ready marker within 5.0 s (hung?)')).toBe(false);
    expect(isTxStall(undefined)).toBe(false);
  });

  it('measures once more only when every failure was a stall', async () => {
    const stalled = runs(['netperf stream run 1 did not end within 16 s (guest or netserver stuck)'], []);
    expect(await measureAgainOnTxStall('t', stalled.measure, reasonsOf)).toEqual([]);
    expect(stalled.calls()).toBe(2);

    const clean = runs([], ['never']);
    expect(await measureAgainOnTxStall('t', clean.measure, reasonsOf)).toEqual([]);
    expect(clean.calls()).toBe(1);

    const other = runs(['netperf did not finish in time', 'kernel panic: x'], []);
    expect(await measureAgainOnTxStall('t', other.measure, reasonsOf)).toEqual(['netperf did not finish in time', 'kernel panic: x']);
    expect(other.calls()).toBe(1);
  });
});
