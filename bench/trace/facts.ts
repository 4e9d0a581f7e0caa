// What a recorded trace says about the host before any method replays it:
// the step, the variance components (two-stage sampling, Cochran ch. 10) and
// what a boot costs beyond netperf.
import { mean, median, pooledVariance } from '../../src/core/stats/descriptive.ts';
import type { Trace } from './trace.ts';

export interface TraceFacts {
  /** Relative change of the commits' median level from GOOD's side to BAD's side of the culprit. */
  readonly step: number;
  /** |log step| in SDs of one boot's mean. */
  readonly stepSigmas: number;
  /** Log-scale SD of boot means around their commit's mean, with the within-boot part removed. */
  readonly sigmaBetween: number;
  /** Log-scale SD of runs around their boot's mean (pooled). */
  readonly sigmaWithin: number;
  /** Median seconds a boot took beyond its warm-up and judged runs. */
  readonly overheadS: number;
  readonly failedBoots: number;
  /** sqrt(c_boot/c_run · σ²_within/σ²_between): the runs per boot that minimise variance per second. */
  readonly optimalRuns: number;
}

export function describeTrace(trace: Trace): TraceFacts {
  const ok = trace.boots.filter((b) => b.failed === undefined && b.runs.length > 0);
  const bootMeans = trace.commits.map((_, c) => ok.filter((b) => b.commit === c).map((b) => mean(b.runs.map(Math.log))));
  // within: Σ (x − boot mean)² / Σ (k − 1)
  let ss = 0;
  let df = 0;
  for (const b of ok) {
    const logs = b.runs.map(Math.log);
    const m = mean(logs);
    ss += logs.reduce((a, x) => a + (x - m) ** 2, 0);
    df += logs.length - 1;
  }
  const varWithin = df > 0 ? ss / df : 0;
  // between boot means of one commit, pooled over commits
  const pooled = pooledVariance(bootMeans);
  const varMeans = Number.isFinite(pooled) ? pooled : 0;
  const k = trace.run.runsPerBoot;
  const varBetween = Math.max(varMeans - varWithin / k, 1e-12);
  const levels = bootMeans.map((m) => (m.length > 0 ? median(m) : Number.NaN));
  const before = levels.slice(0, trace.answer).filter(Number.isFinite);
  const after = levels.slice(trace.answer).filter(Number.isFinite);
  const logStep = median(after) - median(before);
  const overheads = trace.boots.map((b) => b.ms / 1000 - (trace.run.warmupRuns + trace.run.runsPerBoot) * trace.run.seconds);
  const overheadS = median(overheads);
  const cBoot = overheadS + trace.run.warmupRuns * trace.run.seconds;
  return {
    step: Math.expm1(logStep),
    stepSigmas: Math.abs(logStep) / Math.sqrt(varMeans || 1e-12),
    sigmaBetween: Math.sqrt(varBetween),
    sigmaWithin: Math.sqrt(varWithin),
    overheadS,
    failedBoots: trace.boots.length - ok.length,
    optimalRuns: Math.sqrt((cBoot / trace.run.seconds) * (varWithin / varBetween)),
  };
}
