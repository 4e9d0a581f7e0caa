// Per-cell results: works / fails with the boot's reason, the first test's
// median and CV, migration and hotplug records, the comparison of two kernels
// with compare's statistics, the exit code, and the bisect line.
import { describe, expect, it } from 'vitest';
import { enumerateCells, type MatrixCell } from '../../../src/core/matrix/axes.ts';
import {
  bisectCommandFor,
  cellStatusOf,
  compareCell,
  matrixExitKind,
  quoteShellWord,
  summarizeCellBoots,
  type MatrixCellResult,
} from '../../../src/core/matrix/result.ts';
import { failedBoot, migrationRun, okBoot } from './samples.ts';

describe('summarizeCellBoots', () => {
  it('works when every boot did: the first test median and CV over all runs', () => {
    const m = summarizeCellBoots([okBoot(0, [100, 110]), okBoot(1, [90, 100])], true);
    expect(m).toMatchObject({ status: 'works', reason: null, boots: { ok: 2, failed: 0 }, test: 'stream', median: 100, bootMedians: [105, 95] });
    expect(m.cv).toBeCloseTo(Math.sqrt(((100 - 100) ** 2 + 100 + 100 + 0) / 3) / 100, 6);
    expect(m.migration).toBeNull();
    expect(m.hotplug).toBeNull();
  });

  it('fails with the first failed boot and its reason, keeping the numbers of those that worked', () => {
    const m = summarizeCellBoots([okBoot(0, [100]), failedBoot(1, 'NIC never came back after hotplug: no link-up within 30 s'), failedBoot(2, 'guest hung')], true);
    expect(m.status).toBe('fails');
    expect(m.reason).toBe('boot 2: NIC never came back after hotplug: no link-up within 30 s');
    expect(m.boots).toEqual({ ok: 1, failed: 2 });
    expect(m.median).toBe(100);
  });

  it('fails when no boot gave a number', () => {
    expect(summarizeCellBoots([], true)).toMatchObject({ status: 'fails', reason: 'no netperf result', median: null });
  });

  it('counts migrations and takes the downtime median; takes the hotplug link-up median', () => {
    const m = summarizeCellBoots(
      [
        okBoot(0, [100], { migration: [migrationRun([10, 30])], hotplug: [{ unplugMs: 7000, linkUpMs: 200 }] }),
        okBoot(1, [100], { migration: [migrationRun([20])], hotplug: [{ unplugMs: 7000, linkUpMs: 300 }] }),
      ],
      true,
    );
    expect(m.migration).toEqual({ completed: 3, failed: 0, downtimeMedianMs: 20 });
    expect(m.hotplug).toEqual({ cycles: 2, linkUpMedianMs: 250 });
  });
});

describe('compareCell: compare statistics on the boots of each side', () => {
  const side = (values: number[]) => summarizeCellBoots(values.map((v, i) => okBoot(i, [v, v * 1.001])), true);

  it('flags a clear drop as different and worse, with the change and a CI around it', () => {
    const change = compareCell(side([1000, 1010, 990, 1005, 995]), side([800, 810, 790, 805, 795]), 0.05, 1);
    expect(change?.outcome).toBe('different');
    expect(change?.verdict).toBe('worse');
    expect(change?.change).toBeCloseTo(-0.2, 1);
    expect(change?.ci[0]).toBeLessThan(change?.change ?? 0);
    expect(change?.ci[1]).toBeGreaterThan(change?.change ?? 0);
    expect(change?.ci[1]).toBeLessThan(0);
  });

  it('calls a rise of a throughput better', () => {
    expect(compareCell(side([800, 810, 790, 805, 795]), side([1000, 1010, 990, 1005, 995]), 0.05, 1)?.verdict).toBe('better');
  });

  it('never calls two boots per side different (a Mann–Whitney p below α needs 5)', () => {
    const change = compareCell(side([1000, 1010]), side([500, 505]), 0.05, 1);
    expect(change?.outcome).toBe('inconclusive');
    expect(change?.verdict).toBeNull();
  });

  it('says same when the CI is inside ±minEffect', () => {
    const values = [1000, 1001, 999, 1000.5, 999.5, 1000.2, 999.8, 1000.1];
    expect(compareCell(side(values), side(values.map((v) => v * 1.001)), 0.05, 1)?.outcome).toBe('same');
  });

  it('does not compare a side with fewer than two boots', () => {
    expect(compareCell(side([1000]), side([900, 910]), 0.05, 1)).toBeNull();
  });
});

describe('status, exit code and the bisect line', () => {
  const [cell] = enumerateCells({ vhost: ['off'], condition: ['plain'], topology: ['host-to-guest'], nic: ['plain'] }) as [MatrixCell];
  const result = (status: MatrixCellResult['status']): MatrixCellResult => ({ cell, status, reason: null, profile: null, bisect: null, a: null, b: null, change: null });

  it('a cell works only when both kernels worked', () => {
    const ok = summarizeCellBoots([okBoot(0, [1])], true);
    const bad = summarizeCellBoots([failedBoot(0, 'guest hung')], true);
    expect(cellStatusOf(ok, ok)).toEqual({ status: 'works', reason: null });
    expect(cellStatusOf(ok, bad)).toEqual({ status: 'fails', reason: 'B: boot 1: guest hung' });
    expect(cellStatusOf(bad, null)).toEqual({ status: 'fails', reason: 'boot 1: guest hung' });
  });

  it.each([
    [['works', 'unavailable'], 'ok'],
    [['works', 'fails', 'unavailable'], 'processFailure'],
    [['unavailable', 'unavailable'], 'inconclusive'],
    [['works'], 'ok'],
  ] as const)('%j → %s', (statuses, kind) => {
    expect(matrixExitKind(statuses.map(result))).toBe(kind);
  });

  it('names the profile file and the revisions, quoted for a shell', () => {
    expect(bisectCommandFor('/data/m/vhost-off.plain.host-to-guest.yaml', null, null)).toBe('kbisect start GOOD BAD --profile /data/m/vhost-off.plain.host-to-guest.yaml');
    expect(bisectCommandFor('/tmp/my dir/c.yaml', '/src/linux', { good: 'v6.1', bad: 'v6.2' })).toBe("kbisect -C /src/linux start v6.1 v6.2 --profile '/tmp/my dir/c.yaml'");
    expect(quoteShellWord("it's")).toBe(`'it'\\''s'`);
  });
});
