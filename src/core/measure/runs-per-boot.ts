// How many netperf runs a boot should take, and whether it needs a warm-up
// run, chosen from the variance components of the endpoint boots measured so
// far (profile `sampling.adaptive`). Boots dominate netperf's variance under
// QEMU (between-boot SD 0.04–0.11 on log scale against 0.02–0.04 run to run
// on this project's TCG host), so a second spent on a fifth run buys far less
// than a second spent on another boot. Pure: the app feeds it the logged
// boots and records what it returns, so that a resumed or replayed session
// measures alike.
import { chooseRunsPerBootForRounds, computeOptimalRunsPerBoot, estimateVarianceComponents, expectedRoundBoots, fSurvival, mean, median, pooledVariance, studentTQuantile, testPairedSpread, testWelch, variance } from '../stats/index.ts';

/** Boots per endpoint after which the decision is taken (the first Mann–Whitney look of calibration by default). */
export const DECIDE_AFTER_BOOTS = 6;
/** Boots per endpoint from which a large effect decides at once (the first t-test look of calibration by default; see planRunsPerBoot). */
export const EARLY_DECIDE_BOOTS = 3;
/** Runs a boot takes before the decision, when the profile allows that many (see probeRunsPerBoot). */
export const PROBE_RUNS = 3;
/** Two-sided confidence of the interval whose end nearer 0 is the GOOD→BAD shift the rounds are planned for (a one-sided 90% lower bound). */
const EFFECT_CONFIDENCE = 0.8;
/** Boot overhead assumed when the log cannot show it: bench:trace's TCG host took 10.9 s a boot beyond netperf. */
export const DEFAULT_BOOT_OVERHEAD_S = 11;
/** TOST margin for the warm-up run's offset, as a share of the smallest effect that matters (see decideWarmup). */
const WARMUP_MARGIN_SHARE = 0.25;
const WARMUP_ALPHA = 0.05;
/** Family-wise level of the checks that more runs than the model's choice spread a boot's median measurably less per second. */
const MORE_RUNS_ALPHA = 0.05;

export interface SampledBoot {
  /** The judged test's runs and warm-up runs of one boot, as netperf reported them (positive). */
  readonly runs: readonly number[];
  readonly warmup: readonly number[];
}

export interface RunsPerBootInput {
  /** GOOD's boots and BAD's boots, each measured with the profile's warm-up and probeRunsPerBoot runs (or more). */
  readonly endpoints: readonly (readonly SampledBoot[])[];
  readonly runsPerBoot: number;
  readonly warmupRuns: number;
  /** Seconds one run of every test of the profile takes (Σ durationS). */
  readonly runS: number;
  /** Seconds a boot costs beyond its netperf runs: QEMU, guest boot, network setup. */
  readonly bootOverheadS: number;
  /** The smallest relative change the user cares about (profile minEffect). */
  readonly minEffect: number;
  /** The engine's sequential test of a commit: its least boots a round and its α = β (minBootsPerCommit, verdictErrorRate). */
  readonly rounds: { readonly minBoots: number; readonly errorRate: number };
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
  /** The GOOD→BAD log shift the rounds were planned for (the end nearer 0 of its 80% CI, signed; 0: none shown), and the boots a round was then expected to take. */
  readonly effect?: number;
  readonly roundBoots?: number;
  readonly reason: string;
}

// Runs per boot before the decision: the profile's, but no more than
// PROBE_RUNS. Three runs are the fewest that split a boot's variance from
// the run-to-run part (two degrees of freedom a boot), whose median outvotes
// one wild run, and that let chooseMoreRuns compare the median of 1, 2 and
// 3 runs on the same boots. The runs above them bought the decision little
// and cost the most: on bench:trace's recorded demo range the endpoint boots
// before the decision took the profile's 5 runs for a decision of 1 (auto
// 1.79× less wall than fixed 5 runs; with 3 before it, 2.03×, same verdicts).
export function probeRunsPerBoot(runsPerBoot: number): number {
  return Math.min(runsPerBoot, PROBE_RUNS);
}

// When to decide, and the decision: once each endpoint has
// DECIDE_AFTER_BOOTS boots, or when the engine first asks for another commit
// (calibration is over), whichever comes first. Not at the end of
// calibration only: a calibration that finds no change, or a small one,
// spends most of a session's boots on the endpoints (96 a side at most), and
// those boots are where the time goes. Earlier, from EARLY_DECIDE_BOOTS a
// side, when the decision is already one run a boot: a shift so large that a
// commit's test ends at its least boots with any number of runs (the lower
// end of its interval, so that three boots a side cannot oversell it). On
// the recorded demo range that saves 3 × 2 boots of the profile's full runs,
// a fifth of its boot time. Null: keep the profile's runs for now. GOOD's and
// BAD's boots are interleaved, so both sides switch to the new setting at
// about the same boot and their comparison stays like for like. Pure: a
// resumed or replayed session that reaches the same boots decides alike.
export function planRunsPerBoot(commitIndex: number, lastIndex: number, input: RunsPerBootInput): RunsPerBootDecision | null {
  const boots = input.endpoints.map((b) => b.length);
  const fewest = Math.min(boots[0] ?? 0, boots[1] ?? 0);
  const due = (commitIndex !== 0 && commitIndex !== lastIndex) || fewest >= DECIDE_AFTER_BOOTS;
  if (!due && fewest < EARLY_DECIDE_BOOTS) return null;
  const decision = decideRunsPerBoot(input);
  if (due) return decision;
  const settled = decision.runsPerBoot === 1 && decision.roundBoots !== undefined && decision.roundBoots <= input.rounds.minBoots;
  return settled ? decision : null;
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
// in [1, runsPerBoot] of least variance per second (Cochran 1977, §10.6).
// The engine judges a boot by the median of its runs, not their mean, so the
// model is checked against the spread of that median measured on the same
// boots (measureSummarySpread): more runs than the model's k when, and only
// when, the boots show them spreading the median less per second beyond
// chance (chooseMoreRuns). Never more than the profile asks for: the
// profile's runsPerBoot is a cap.
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
  // the runs every endpoint boot has (probeRunsPerBoot, or a profile's full runs in logs from before it): no test beyond them
  const measuredRuns = Math.min(input.runsPerBoot, ...input.endpoints.flat().filter(positive).map((b) => b.runs.length));
  const summarySd = measureSummarySpread(input.endpoints, measuredRuns, warmupRuns);
  const effect = planningEffect(logs);
  const round = { effect: Math.abs(effect), ...input.rounds };
  const modelRuns = chooseRunsPerBootForRounds(costs, round, input.runsPerBoot);
  // a round the boots' own spread at the model's k also ends at its least boots: no k costs less, nothing to test
  const measured = summarySd[modelRuns - 1];
  const atFloor = round.effect > 0 && measured !== undefined && expectedRoundBoots(measured * measured, round) <= round.minBoots;
  const more = atFloor ? { runs: modelRuns, p: null, tested: 0 } : chooseMoreRuns(input.endpoints, { from: modelRuns, cap: measuredRuns, warmupRuns, bootCostS: costs.bootCostS, runS: input.runS });
  const runsPerBoot = more.runs;
  const roundBoots = round.effect > 0 ? expectedRoundBoots(varBetween + varWithin / runsPerBoot, round) : null;
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
    effect,
    ...(roundBoots === null ? {} : { roundBoots }),
    reason:
      `${runsPerBoot} run(s) per boot (cap ${input.runsPerBoot}): log SD between boots ${sdB.toFixed(3)}, within a boot ${sdW.toFixed(3)}, ` +
      `boot ${costs.bootCostS.toFixed(1)} s, run ${input.runS.toFixed(1)} s, k* = ${Number.isFinite(optimum) ? optimum.toFixed(2) : '∞'}; ` +
      `${describeRounds(effect, roundBoots, input.rounds.minBoots)}; ` +
      `SD of a boot's median of 1..${summarySd.length} runs ${summarySd.length === 0 ? '-' : summarySd.map((v) => v.toFixed(3)).join(' ')}${describeMore(more, modelRuns)}${why}`,
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
  const sequences = judgedSequences(endpoints, cap, warmupRuns);
  const out: number[] = [];
  for (let j = 1; j <= cap; j++) {
    const v = pooledVariance(sequences.map((group) => group.map((seq) => Math.log(median(seq.slice(0, j))))));
    if (!Number.isFinite(v)) return [];
    out.push(Math.sqrt(v));
  }
  return out;
}

// Each endpoint's boots as the runs a boot would judge after `warmupRuns`
// warm-ups (a dropped warm-up becomes the first run), boots with fewer than
// `cap` such runs left out, so that every j compares the same boots.
function judgedSequences(endpoints: readonly (readonly SampledBoot[])[], cap: number, warmupRuns: number): number[][][] {
  return endpoints.map((boots) =>
    boots
      .filter(positive)
      .map((b) => [...b.warmup.slice(Math.min(warmupRuns, b.warmup.length)), ...b.runs])
      .filter((seq) => seq.length >= cap && seq.every((v) => v > 0)),
  );
}

interface MoreRuns {
  readonly runs: number;
  /** One-sided Pitman–Morgan p of the most telling j above the model's k (null: nothing to test). */
  readonly p: number | null;
  readonly tested: number;
}

// More runs than the model's k only on evidence (and only where a round at k
// would not end at its least boots anyway). For each j in (k, cap], the
// boots' median of their first k runs and of their first j runs, each scaled
// by the square root of its boot's cost in seconds, are two paired
// measurements of the same boots; j is better per second when the first
// spreads more, which the Pitman–Morgan test (stats/pitman-morgan.ts) checks
// one-sided, Bonferroni over the j tried. Among the j shown better, the one
// of least measured variance per second. Before, the j of least measured
// variance per second won outright whenever it was above k: from the 6 + 6
// boots of a decision that least is mostly noise, and it took 2.2 runs a
// boot on bench:trace's recorded demo range, where the model's 1 run is
// right (k* = 0.82). A wild run (netperf under TCG on a loaded host shows
// runs 50% off their boot) still shows: one run carries it whole into the
// boot's value, the median of three outvotes it, and the test sees that.
export function chooseMoreRuns(
  endpoints: readonly (readonly SampledBoot[])[],
  o: { from: number; cap: number; warmupRuns: number; bootCostS: number; runS: number },
): MoreRuns {
  const sequences = judgedSequences(endpoints, o.cap, o.warmupRuns);
  const summary = (seq: readonly number[], j: number): number => Math.log(median(seq.slice(0, j)));
  const cost = (j: number): number => o.bootCostS + j * o.runS;
  const tries = o.cap - o.from;
  let best = { runs: o.from, p: null as number | null, score: Number.POSITIVE_INFINITY };
  let leastP: number | null = null;
  const a = Math.sqrt(cost(o.from));
  for (let j = o.from + 1; j <= o.cap; j++) {
    const b = Math.sqrt(cost(j));
    const test = testPairedSpread(sequences.map((group) => group.map((seq) => [a * summary(seq, o.from), b * summary(seq, j)] as const)));
    if (test === null) continue;
    if (leastP === null || test.pGreater < leastP) leastP = test.pGreater;
    if (test.pGreater >= MORE_RUNS_ALPHA / tries) continue;
    // the variance per second the boots measured at j (the pooled within-endpoint variance of b·summary)
    const score = pooledVariance(sequences.map((group) => group.map((seq) => b * summary(seq, j))));
    if (score < best.score) best = { runs: j, p: test.pGreater, score };
  }
  return { runs: best.runs, p: best.p ?? leastP, tested: Math.max(0, tries) };
}

function describeMore(more: MoreRuns, modelRuns: number): string {
  if (more.tested === 0 || more.p === null) return '';
  return more.runs > modelRuns
    ? `; ${more.runs} rather than the model's ${modelRuns}: the boots' median of ${more.runs} runs spreads less per second than of ${modelRuns} (Pitman–Morgan p=${more.p.toPrecision(2)}, Bonferroni over ${more.tested})`
    : `; more runs than ${modelRuns} did not spread a boot's median less per second (least Pitman–Morgan p=${more.p.toPrecision(2)} of ${more.tested}, needs < ${(MORE_RUNS_ALPHA / more.tested).toPrecision(2)})`;
}

// The GOOD→BAD shift a commit's test will have to tell apart, on the log
// scale and signed: the end nearer 0 of the 80% Welch interval of the
// endpoint boots' mean log run (0 when it spans 0 or a side has fewer than
// two boots). The
// lower end, so that a shift overestimated from a few boots does not plan
// rounds shorter than they will be.
function planningEffect(logs: readonly (readonly (readonly number[])[])[]): number {
  const values = logs.map((boots) => boots.map((runs) => mean(runs)));
  const [good, bad] = values;
  if (good === undefined || bad === undefined || good.length < 2 || bad.length < 2) return 0;
  const { ci } = testWelch(good, bad, 'two-sided', EFFECT_CONFIDENCE);
  const [lo, hi] = ci;
  return lo > 0 ? lo : hi < 0 ? hi : 0;
}

function describeRounds(effect: number, roundBoots: number | null, minBoots: number): string {
  if (roundBoots === null) return 'no GOOD→BAD shift shown yet, so variance per second decides';
  const shift = `GOOD→BAD ${effect < 0 ? 'down' : 'up'} by ${fmt(effect).replace(/^-/, '')} or more`;
  return roundBoots <= minBoots
    ? `${shift} ends a commit's test at its least ${minBoots} boots whatever the runs, so a run more buys nothing`
    : `${shift} takes ~${roundBoots.toFixed(1)} boots a commit's test`;
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
