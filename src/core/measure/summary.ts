// Descriptive summaries of a measurement, per test: what `kbisect measure`
// prints and what the bench reports as noise. The decomposition into
// within-boot and boot-to-boot spread is the one-way random-effects layout
// (boot = group): within-boot CV = √(mean within-boot variance) / grand mean,
// boot-to-boot CV = SD of the per-boot means / grand mean.
import { mean, median, standardDeviation } from '../stats/descriptive.ts';
import type { BootOutcome } from './types.ts';

export interface TestSummary {
  test: string;
  metric: string;
  unit: string;
  boots: number;
  runs: number;
  median: number;
  // median absolute deviation (unscaled)
  mad: number;
  // SD / mean over all judged runs
  cv: number;
  withinBootCv: number;
  bootToBootCv: number;
  bootMedians: number[];
}

// Raw median absolute deviation: median |x - median(x)|.
export function rawMad(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

// Coefficient of variation, 0 for a single value, NaN for a zero mean.
export function coefficientOfVariation(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return m === 0 ? Number.NaN : standardDeviation(values) / Math.abs(m);
}

// Within-boot and boot-to-boot CV of groups of runs (one group per boot).
export function decomposeCv(groups: readonly (readonly number[])[]): { withinBootCv: number; bootToBootCv: number } {
  const nonEmpty = groups.filter((g) => g.length > 0);
  if (nonEmpty.length === 0) return { withinBootCv: Number.NaN, bootToBootCv: Number.NaN };
  const grand = mean(nonEmpty.flat());
  if (grand === 0) return { withinBootCv: Number.NaN, bootToBootCv: Number.NaN };
  const withGroups = nonEmpty.filter((g) => g.length > 1);
  const withinVar = withGroups.length > 0 ? mean(withGroups.map((g) => standardDeviation(g) ** 2)) : 0;
  const bootMeans = nonEmpty.map((g) => mean(g));
  return {
    withinBootCv: Math.sqrt(withinVar) / Math.abs(grand),
    bootToBootCv: bootMeans.length > 1 ? standardDeviation(bootMeans) / Math.abs(grand) : 0,
  };
}

// One summary per test over the boots that succeeded; tests without runs are left out.
export function summarizeBoots(boots: readonly BootOutcome[]): TestSummary[] {
  const byTest = new Map<string, { metric: string; unit: string; groups: number[][] }>();
  for (const b of boots) {
    if (b.kind !== 'ok') continue;
    for (const t of b.tests) {
      const entry = byTest.get(t.test) ?? { metric: t.metric, unit: t.unit, groups: [] };
      entry.groups.push(t.runs);
      byTest.set(t.test, entry);
    }
  }
  const out: TestSummary[] = [];
  for (const [test, { metric, unit, groups }] of byTest) {
    const all = groups.flat();
    if (all.length === 0) continue;
    const { withinBootCv, bootToBootCv } = decomposeCv(groups);
    out.push({
      test,
      metric,
      unit,
      boots: groups.length,
      runs: all.length,
      median: median(all),
      mad: rawMad(all),
      cv: coefficientOfVariation(all),
      withinBootCv,
      bootToBootCv,
      bootMedians: groups.filter((g) => g.length > 0).map((g) => median(g)),
    });
  }
  return out;
}
