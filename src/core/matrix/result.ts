// What `kbisect matrix` found per cell: works, fails (with the boot's own
// reason: connection dropped, NIC never came back, guest hung) or
// unavailable (with why); the first test's median and CV; the migrations'
// count and downtime, the hotplug link-up time; with two kernels, the change
// A→B judged by `kbisect compare`'s statistics (one look at the boots
// measured). The report's JSON shape and the exit code. Pure.
import { evaluateLook } from '../compare/engine.ts';
import { validateCompareSettings } from '../compare/settings.ts';
import type { ExitKind } from '../errors.ts';
import type { BootOutcome } from '../measure/types.ts';
import { summarizeBoots } from '../measure/summary.ts';
import { chooseDirection } from '../session-settings.ts';
import { median } from '../stats/descriptive.ts';
import type { MatrixAxes, MatrixCell } from './axes.ts';

export type CellStatus = 'works' | 'fails' | 'unavailable';

// One kernel's boots of one cell, summarized.
export interface CellMeasurement {
  status: 'works' | 'fails';
  // the first failed boot's reason ("boot 2: NIC never came back after hotplug: ...")
  reason: string | null;
  boots: { ok: number; failed: number };
  // the profile's first test over the boots that worked
  test: string | null;
  metric: string | null;
  unit: string | null;
  median: number | null;
  cv: number | null;
  higherIsBetter: boolean;
  // median of each working boot's judged runs (what compare judges)
  bootMedians: number[];
  migration: { completed: number; failed: number; downtimeMedianMs: number | null } | null;
  hotplug: { cycles: number; linkUpMedianMs: number | null } | null;
}

// A→B on one cell: compare's outcome, the Hodges–Lehmann change and its CI.
export interface CellChange {
  outcome: 'different' | 'same' | 'inconclusive';
  verdict: 'worse' | 'better' | null;
  // relative change A→B (−0.2 = 20 % lower) and its CI at the look's level
  change: number;
  ci: [number, number];
  p: number;
  alpha: number;
}

export interface MatrixCellResult {
  cell: MatrixCell;
  status: CellStatus;
  reason: string | null;
  // the cell's profile; null when the schema refused the combination
  profile: { name: string; hash: string; file: string | null } | null;
  // the command that would bisect this cell (null: unavailable)
  bisect: string | null;
  // the (first) kernel's measurement; null when unavailable
  a: CellMeasurement | null;
  // --compare: the second kernel's, and the change
  b: CellMeasurement | null;
  change: CellChange | null;
}

export interface MatrixKernelInfo {
  // what the user gave: a revision or an image path
  label: string;
  imageHash: string;
  commit: string | null;
}

export interface MatrixReport {
  schema: 1;
  mode: 'single' | 'compare';
  kernels: { a: MatrixKernelInfo; b: MatrixKernelInfo | null };
  base: { name: string; hash: string };
  axes: MatrixAxes;
  bootsPerCell: number;
  // --compare: the seed of the order within each pair of boots (null: one kernel)
  seed: number | null;
  host: { id: string; accel: string } | null;
  // where the cells' profiles and matrix.json are
  dir: string;
  cells: MatrixCellResult[];
  counts: { works: number; fails: number; unavailable: number };
  generatedAt: string;
}

// One kernel's boots of a cell: status, first failure, the first test's summary and the conditions' records.
export function summarizeCellBoots(boots: readonly BootOutcome[], higherIsBetter: boolean): CellMeasurement {
  const failed = boots.filter((b) => b.kind === 'boot-failed');
  const ok = boots.flatMap((b) => (b.kind === 'ok' ? [b] : []));
  const first = failed[0];
  const summary = summarizeBoots(boots)[0];
  const bootMedians = ok.flatMap((b) => {
    const runs = b.tests[0]?.runs ?? [];
    return runs.length > 0 ? [median(runs)] : [];
  });
  const migrationRuns = boots.flatMap((b) => b.migration ?? []);
  const downtimes = migrationRuns.flatMap((r) => r.migrations.flatMap((m) => (m.outcome.kind === 'completed' ? [m.outcome.downtimeMs] : [])));
  const cycles = ok.flatMap((b) => b.hotplug ?? []);
  const empty = boots.length === 0 || summary === undefined;
  return {
    status: failed.length === 0 && !empty ? 'works' : 'fails',
    reason: first ? `boot ${first.bootIndex + 1}: ${first.reason}` : empty ? 'no netperf result' : null,
    boots: { ok: ok.length, failed: failed.length },
    test: summary?.test ?? null,
    metric: summary?.metric ?? null,
    unit: summary?.unit ?? null,
    median: summary?.median ?? null,
    cv: summary?.cv ?? null,
    higherIsBetter,
    bootMedians,
    migration:
      migrationRuns.length === 0
        ? null
        : {
            completed: migrationRuns.reduce((n, r) => n + r.completed, 0),
            failed: migrationRuns.reduce((n, r) => n + r.failed, 0),
            downtimeMedianMs: downtimes.length > 0 ? median(downtimes) : null,
          },
    hotplug: cycles.length === 0 ? null : { cycles: cycles.length, linkUpMedianMs: median(cycles.map((c) => c.linkUpMs)) },
  };
}

// Fewer boots per side than this cannot be ranked at all.
export const MIN_COMPARE_BOOTS = 2;

// A→B on a cell with `kbisect compare`'s statistics: its look (Mann–Whitney
// both ways at α/2, Hodges–Lehmann CI against ±minEffect) taken once, on the
// boots measured; null when a side has fewer than MIN_COMPARE_BOOTS boots.
export function compareCell(a: CellMeasurement, b: CellMeasurement, minEffect: number, seed: number): CellChange | null {
  const logA = a.bootMedians.filter((v) => v > 0).map(Math.log);
  const logB = b.bootMedians.filter((v) => v > 0).map(Math.log);
  if (logA.length < MIN_COMPARE_BOOTS || logB.length < MIN_COMPARE_BOOTS) return null;
  const direction = chooseDirection(a.higherIsBetter, false);
  // one look, at the boots both sides have
  const { settings } = validateCompareSettings({ seed, direction, minEffect, maxBootsPerSide: Math.min(logA.length, logB.length) });
  const look = evaluateLook(logA, logB, 0, settings);
  const outcome = look.status === 'different' || look.status === 'same' ? look.status : 'inconclusive';
  const lower = look.logShift < 0;
  const worse = direction === 'lower-is-worse' ? lower : !lower;
  return {
    outcome,
    verdict: outcome === 'different' ? (worse ? 'worse' : 'better') : null,
    change: Math.expm1(look.logShift),
    ci: [Math.expm1(look.logCi[0]), Math.expm1(look.logCi[1])],
    p: look.p,
    alpha: look.alpha,
  };
}

// The status of a measured cell: works only when every kernel's every boot did.
export function cellStatusOf(a: CellMeasurement, b: CellMeasurement | null): { status: 'works' | 'fails'; reason: string | null } {
  if (a.status === 'fails') return { status: 'fails', reason: b ? `A: ${a.reason ?? ''}` : a.reason };
  if (b?.status === 'fails') return { status: 'fails', reason: `B: ${b.reason ?? ''}` };
  return { status: 'works', reason: null };
}

export function countStatuses(cells: readonly MatrixCellResult[]): MatrixReport['counts'] {
  return {
    works: cells.filter((c) => c.status === 'works').length,
    fails: cells.filter((c) => c.status === 'fails').length,
    unavailable: cells.filter((c) => c.status === 'unavailable').length,
  };
}

// ok when every available cell works; a failing cell is a measured failure
// (1, as `measure` with no boot ok); no cell could run at all: inconclusive (3).
export function matrixExitKind(cells: readonly MatrixCellResult[]): ExitKind {
  const counts = countStatuses(cells);
  if (counts.works + counts.fails === 0) return 'inconclusive';
  return counts.fails > 0 ? 'processFailure' : 'ok';
}

// A shell word: as it is when it needs no quoting, else in single quotes.
export function quoteShellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

// The line that bisects a cell: GOOD and BAD are the compared revisions when there are two, placeholders otherwise.
export function bisectCommandFor(profileFile: string, repo: string | null, revs: { good: string; bad: string } | null): string {
  const where = repo === null ? '' : ` -C ${quoteShellWord(repo)}`;
  const good = revs ? quoteShellWord(revs.good) : 'GOOD';
  const bad = revs ? quoteShellWord(revs.bad) : 'BAD';
  return `kbisect${where} start ${good} ${bad} --profile ${quoteShellWord(profileFile)}`;
}
