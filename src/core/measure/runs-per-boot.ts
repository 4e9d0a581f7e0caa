// How many netperf runs a boot should take, and whether it needs a warm-up
// run, chosen from the variance components of the endpoint boots measured so
// far (profile `sampling.adaptive`). Boots dominate netperf's variance under
// QEMU (between-boot SD 0.04–0.11 on log scale against 0.02–0.04 run to run
// on this project's TCG host), so a second spent on a fifth run buys far less
// than a second spent on another boot. Pure: the app feeds it the logged
// boots and records what it returns, so that a resumed or replayed session
// measures alike.
import { chooseRunsPerBoot, computeOptimalRunsPerBoot, estimateVarianceComponents, fSurvival, mean, median, studentTQuantile, variance } from '../stats/index.ts';

/** Boots per endpoint after which the decision is taken (the first Mann–Whitney look of calibration by default). */
export const DECIDE_AFTER_BOOTS = 6;
/** Boot overhead assumed when the log cannot show it: bench:trace's TCG host took 10.9 s a boot beyond netperf. */
export const DEFAULT_BOOT_OVERHEAD_S = 11;
/** TOST margin for the warm-up run's offset, as a share of the smallest effect that matters (see decideWarmup). */
const WARMUP_MARGIN_SHARE = 0.25;
const WARMUP_ALPHA = 0.05;

export interface SampledBoot {
  /** The judged test's runs and warm-up runs of one boot, as netperf reported them (positive). */
  readonly runs: readonly number[];
  readonly warmup: readonly number[];
}

export interface RunsPerBootInput {
  /** GOOD's boots and BAD's boots, each measured with the profile's own sampling. */
  readonly endpoints: readonly (readonly SampledBoot[])[];
  readonly runsPerBoot: number;
  readonly warmupRuns: number;
  /** Seconds one run of every test of the profile takes (Σ durationS). */
  readonly runS: number;
  /** Seconds a boot costs beyond its netperf runs: QEMU, guest boot, network setup. */
  readonly bootOverheadS: number;
  /** The smallest relative change the user cares about (profile minEffect). */
  readonly minEffect: number;
}

export interface WarmupCheck {
  /** Mean log offset of a boot's first run from its judged runs, and its 90% CI (two one-sided 5% tests). */
  readonly offset: number;
  readonly ci: readonly [number, number];
  readonly margin: number;
  /** One-sided p of "the first run spreads more than an ordinary run" (F test). */
  readonly spreadP: number;
  readonly boots: number;
  readonly needed: boolean;
}

export interface RunsPerBootDecision {
  readonly version: 1;
  readonly runsPerBoot: number;
  readonly warmupRuns: number;
  /**
   * Log-scale SD between boots of what the engine judges, the median of a
   * boot's first j runs, for j = 1..cap (measured on the endpoint boots;
   * empty when they are too few).
   */
  readonly summarySd: readonly number[];
  /** Cochran's continuous optimum k*; null when it is not finite (boots do not differ) or not estimable. */
  readonly optimum: number | null;
  /** Log-scale SDs; null when the boots could not separate them. */
  readonly sdWithin: number | null;
  readonly sdBetween: number | null;
  readonly dfWithin: number;
  readonly dfBetween: number;
  readonly bootOverheadS: number;
  readonly runS: number;
  readonly warmup: WarmupCheck | null;
  /** Boots of GOOD and BAD the decision used. */
  readonly boots: readonly [number, number];
  readonly reason: string;
}

// When to decide: once each endpoint has DECIDE_AFTER_BOOTS boots, or when
// the engine first asks for another commit (calibration is over), whichever
// comes first. Not at the end of calibration only: a calibration that finds
// no change, or a small one, spends most of a session's boots on the
// endpoints (96 a side at most), and those boots are where the time goes.
// GOOD's and BAD's boots are interleaved, so both sides switch to the new
// setting at about the same boot and their comparison stays like for like.
export function isTimeToDecide(commitIndex: number, lastIndex: number, endpointBoots: readonly [number, number]): boolean {
  if (commitIndex !== 0 && commitIndex !== lastIndex) return true;
  return Math.min(endpointBoots[0], endpointBoots[1]) >= DECIDE_AFTER_BOOTS;
}

const positive = (b: SampledBoot): boolean => b.runs.length > 0 && b.runs.every((v) => Number.isFinite(v) && v > 0);

// Whether a boot's first run (its first warm-up) is measurably off the runs
// judged after it. A warm-up run costs a run's time in every boot; it is worth
// it only when the first run after boot differs (TCP slow start, cold caches,
// the guest still settling). Dropping it changes what later boots measure
// against the endpoint boots already taken with it, so the rule is one of
// equivalence, not of difference: the warm-up goes only when two one-sided
// t tests (Schuirmann 1987) put its offset inside ±¼ of minEffect (a quarter
// of the smallest change that matters, so that even a full shift of every
// later boot cannot fake or hide a change) and an F test (Snedecor) does not
// show it spreading more than an ordinary run would. Few boots, a noisy host
// or a real offset keep it.
export function checkWarmup(boots: readonly SampledBoot[], within: { varWithin: number; dfWithin: number }, minEffect: number): WarmupCheck | null {
  const { varWithin, dfWithin } = within;
  const paired = boots.filter((b) => positive(b) && b.warmup.length > 0 && (b.warmup[0] as number) > 0);
  if (paired.length < 3) return null;
  const offsets = paired.map((b) => Math.log(b.warmup[0] as number) - mean(b.runs.map(Math.log)));
  const n = offsets.length;
  const d = mean(offsets);
  const s2 = variance(offsets);
  const half = studentTQuantile(1 - WARMUP_ALPHA, n - 1) * Math.sqrt(s2 / n);
  const margin = WARMUP_MARGIN_SHARE * Math.log1p(minEffect);
  // an ordinary run's offset from its boot's mean of k other runs has variance σ²_within·(1 + 1/k)
  const expected = varWithin * (1 + mean(paired.map((b) => 1 / b.runs.length)));
  const spreadP = expected > 0 ? fSurvival(s2 / expected, n - 1, Math.max(1, dfWithin)) : s2 > 0 ? 0 : 1;
  const ci: [number, number] = [d - half, d + half];
  const needed = !(ci[0] > -margin && ci[1] < margin && spreadP >= WARMUP_ALPHA);
  return { offset: d, ci, margin, spreadP, boots: n, needed };
}

// Runs per boot and warm-up for the boots still to come, from the endpoint
// boots so far: variance components by the nested ANOVA, then the integer k
// in [1, runsPerBoot] of least variance per second (Cochran 1977, §10.6);
// and, as the engine judges a boot by the median of its runs, not their
// mean, the least variance per second of that median measured on the same
// boots (measureSummarySpread). The larger of the two: fewer runs only where
// both the model and the boots themselves say they cost nothing. Never more
// than the profile asks for: the profile's runsPerBoot is a cap.
export function decideRunsPerBoot(input: RunsPerBootInput): RunsPerBootDecision {
  const logs = input.endpoints.map((boots) => boots.filter(positive).map((b) => b.runs.map(Math.log)));
  const used: [number, number] = [logs[0]?.length ?? 0, logs[1]?.length ?? 0];
  const components = estimateVarianceComponents(logs);
  const base = { version: 1 as const, bootOverheadS: input.bootOverheadS, runS: input.runS, boots: used };
  if (components === null) {
    return {
      ...base,
      summarySd: [],
      runsPerBoot: input.runsPerBoot,
      warmupRuns: input.warmupRuns,
      optimum: null,
      sdWithin: null,
      sdBetween: null,
      dfWithin: 0,
      dfBetween: 0,
      warmup: null,
      reason: `kept the profile's ${input.runsPerBoot} run(s) per boot: the variance components need a boot with two runs and an endpoint with two boots, got ${used[0]}+${used[1]} boots`,
    };
  }
  const { varWithin, varBetween } = components;
  const warmup = input.warmupRuns > 0 ? checkWarmup(input.endpoints.flat(), components, input.minEffect) : null;
  const warmupRuns = warmup !== null && !warmup.needed ? 0 : input.warmupRuns;
  const costs = { varWithin, varBetween, bootCostS: input.bootOverheadS + warmupRuns * input.runS, runCostS: input.runS };
  const optimum = computeOptimalRunsPerBoot(costs);
  const summarySd = measureSummarySpread(input.endpoints, input.runsPerBoot, warmupRuns);
  const runsPerBoot = Math.max(chooseRunsPerBoot(costs, input.runsPerBoot), chooseBySummary(summarySd, costs.bootCostS, input.runS));
  const sdW = Math.sqrt(varWithin);
  const sdB = Math.sqrt(varBetween);
  const why =
    warmup === null
      ? input.warmupRuns > 0
        ? `; kept the ${input.warmupRuns} warm-up run(s): too few boots to judge them`
        : ''
      : warmup.needed
        ? `; kept the ${input.warmupRuns} warm-up run(s): the first run is off the others by ${fmt(warmup.offset)} (90% CI ${fmt(warmup.ci[0])} … ${fmt(warmup.ci[1])}, margin ±${fmt(warmup.margin)}, spread p=${warmup.spreadP.toPrecision(2)})`
        : `; dropped the warm-up: the first run is within ±${fmt(warmup.margin)} of the others (90% CI ${fmt(warmup.ci[0])} … ${fmt(warmup.ci[1])})`;
  return {
    ...base,
    runsPerBoot,
    warmupRuns,
    summarySd,
    optimum: Number.isFinite(optimum) ? optimum : null,
    sdWithin: sdW,
    sdBetween: sdB,
    dfWithin: components.dfWithin,
    dfBetween: components.dfBetween,
    warmup,
    reason:
      `${runsPerBoot} run(s) per boot (cap ${input.runsPerBoot}): log SD between boots ${sdB.toFixed(3)}, within a boot ${sdW.toFixed(3)}, ` +
      `boot ${costs.bootCostS.toFixed(1)} s, run ${input.runS.toFixed(1)} s, k* = ${Number.isFinite(optimum) ? optimum.toFixed(2) : '∞'}; ` +
      `SD of a boot's median of 1..${summarySd.length} runs ${summarySd.length === 0 ? '-' : summarySd.map((v) => v.toFixed(3)).join(' ')}${why}`,
  };
}

// What fewer runs would have given, read off the endpoint boots themselves:
// each boot's runs in the order taken (after `warmupRuns` warm-ups), the
// median of its first j (the engine's boot value, core/bisect/state.ts), and
// the SD of that between boots of one endpoint, pooled. Cochran's formula is
// for a boot's mean under normal noise; the median of a few runs is what
// makes a wild run (netperf under TCG on a loaded host shows runs 50% off
// their boot) harmless, and a single run has no such protection. The same
// boots serve every j, so the comparison between j is sharper than the
// levels (common random numbers).
export function measureSummarySpread(endpoints: readonly (readonly SampledBoot[])[], cap: number, warmupRuns: number): number[] {
  const out: number[] = [];
  for (let j = 1; j <= cap; j++) {
    let ss = 0;
    let df = 0;
    for (const boots of endpoints) {
      const values = boots
        .filter(positive)
        .map((b) => [...b.warmup.slice(Math.min(warmupRuns, b.warmup.length)), ...b.runs])
        .filter((seq) => seq.length >= cap && seq.every((v) => v > 0))
        .map((seq) => Math.log(median(seq.slice(0, j))));
      if (values.length < 2) continue;
      ss += variance(values) * (values.length - 1);
      df += values.length - 1;
    }
    if (df === 0) return [];
    out.push(Math.sqrt(ss / df));
  }
  return out;
}

// The j of least summary variance per second; 1 when nothing was measured (the ANOVA's choice then stands alone).
function chooseBySummary(summarySd: readonly number[], bootCostS: number, runS: number): number {
  let best = 1;
  let bestCost = Number.POSITIVE_INFINITY;
  summarySd.forEach((sd, i) => {
    const cost = sd * sd * (bootCostS + (i + 1) * runS);
    if (cost < bestCost * (1 - 1e-9)) {
      best = i + 1;
      bestCost = cost;
    }
  });
  return best;
}

function fmt(logValue: number): string {
  return `${(Math.expm1(logValue) * 100).toFixed(1)}%`;
}

// Seconds a boot costs beyond netperf, from when successive boots were logged:
// the gap before a boot of a commit booted before is one whole boot (its
// kernel was built already), whichever commit the previous boot was of. A
// bisection's calibration alternates GOOD and BAD, so successive boots of one
// commit are rare when the decision is due; counting only those left every
// gap out and took the 11 s default (measured 1.2 s on the demo). The median,
// so that a pause between two measurements does not count.
export function estimateBootOverheadS(boots: readonly { commit: string; atMs: number }[], netperfSPerBoot: number): number {
  const gaps: number[] = [];
  const booted = new Set<string>();
  for (let i = 0; i < boots.length; i++) {
    const b = boots[i];
    if (b === undefined) continue;
    const a = boots[i - 1];
    if (a !== undefined && booted.has(b.commit)) {
      const overhead = (b.atMs - a.atMs) / 1000 - netperfSPerBoot;
      if (Number.isFinite(overhead) && overhead > 0) gaps.push(overhead);
    }
    booted.add(b.commit);
  }
  return gaps.length === 0 ? DEFAULT_BOOT_OVERHEAD_S : median(gaps);
}
