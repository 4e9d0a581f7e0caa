// Variance components of a two-stage sample (runs nested in boots nested in
// commits): how much of the spread comes from booting again and how much from
// running netperf again in the same boot. Method of moments on the nested
// one-way random-effects ANOVA (Searle, Casella & McCulloch, "Variance
// Components", 1992, §3.5–3.6 and §4.7 for unbalanced data): the within-boot
// mean square estimates σ²_within, the between-boot mean square
// σ²_within + k₀·σ²_between, with k₀ the "effective runs per boot" of an
// unbalanced design; the between estimate is truncated at 0 (their §4.4).
// The commit is a fixed effect (GOOD and BAD differ by the regression), so
// boots are compared with their own commit's mean only.

export interface VarianceComponents {
  /** Run-to-run variance inside one boot. */
  readonly varWithin: number;
  /** Boot-to-boot variance of a boot's true level, truncated at 0. */
  readonly varBetween: number;
  /** Degrees of freedom behind each: runs − boots and boots − commits. */
  readonly dfWithin: number;
  readonly dfBetween: number;
  /** Effective runs per boot (k₀ of the unbalanced design; = k when balanced). */
  readonly k0: number;
  /** Between-boot mean square (σ²_within + k₀·σ²_between in expectation), before truncation. */
  readonly msBetween: number;
  readonly boots: number;
  readonly runs: number;
}

// σ²_within and σ²_between from groups (commits) of boots of runs, all on the
// scale they are judged on (log). Null when either has no degree of freedom:
// no boot with two runs, or no commit with two boots.
export function estimateVarianceComponents(groups: readonly (readonly (readonly number[])[])[]): VarianceComponents | null {
  let ssWithin = 0;
  let ssBetween = 0;
  let runs = 0;
  let boots = 0;
  let commits = 0;
  let sumSquaredSizeShare = 0;
  for (const group of groups) {
    const used = group.filter((b) => b.length > 0 && b.every(Number.isFinite));
    if (used.length === 0) continue;
    commits++;
    let groupSum = 0;
    let groupRuns = 0;
    let groupSquaredSizes = 0;
    const means: number[] = [];
    for (const boot of used) {
      let sum = 0;
      for (const x of boot) sum += x;
      const m = sum / boot.length;
      means.push(m);
      for (const x of boot) ssWithin += (x - m) ** 2;
      groupSum += sum;
      groupRuns += boot.length;
      groupSquaredSizes += boot.length ** 2;
    }
    const groupMean = groupSum / groupRuns;
    used.forEach((boot, i) => {
      ssBetween += boot.length * ((means[i] as number) - groupMean) ** 2;
    });
    runs += groupRuns;
    boots += used.length;
    sumSquaredSizeShare += groupSquaredSizes / groupRuns;
  }
  const dfWithin = runs - boots;
  const dfBetween = boots - commits;
  if (dfWithin < 1 || dfBetween < 1) return null;
  const varWithin = ssWithin / dfWithin;
  const msBetween = ssBetween / dfBetween;
  const k0 = (runs - sumSquaredSizeShare) / dfBetween;
  return { varWithin, varBetween: Math.max(0, (msBetween - varWithin) / k0), dfWithin, dfBetween, k0, msBetween, boots, runs };
}

// Cochran's ("Sampling Techniques", 3rd ed. 1977, §10.6) optimum number of
// second-stage units per first-stage unit: with a boot costing c_boot and a
// run c_run, the variance of a boot's mean per second spent,
// (σ²_between + σ²_within/k)(c_boot + k·c_run), is least at
// k* = sqrt(c_boot/c_run · σ²_within/σ²_between). Infinity when the boots do
// not differ (every second is best spent on runs); 0 when runs do not.
export function computeOptimalRunsPerBoot(c: { varWithin: number; varBetween: number; bootCostS: number; runCostS: number }): number {
  if (!(c.varWithin > 0) || !(c.bootCostS > 0)) return 0;
  if (!(c.varBetween > 0) || !(c.runCostS > 0)) return Number.POSITIVE_INFINITY;
  return Math.sqrt((c.bootCostS / c.runCostS) * (c.varWithin / c.varBetween));
}

// The integer k in [1, maxK] with the least variance per second (the cost
// curve is flat near k*, so rounding k* can miss the better neighbour).
export function chooseRunsPerBoot(c: { varWithin: number; varBetween: number; bootCostS: number; runCostS: number }, maxK: number): number {
  return leastCostK((k) => (c.varBetween + c.varWithin / k) * (c.bootCostS + k * c.runCostS), maxK);
}

// The k in [1, maxK] of least cost, from the top down: a tie keeps the larger k, which is the profile's own setting.
function leastCostK(cost: (k: number) => number, maxK: number): number {
  const top = Math.max(1, Math.floor(maxK));
  let best = top;
  for (let k = top - 1; k >= 1; k--) if (cost(k) < cost(best) * (1 - 1e-9)) best = k;
  return best;
}

export interface RoundShape {
  /** GOOD→BAD shift on the log scale the test tells apart (≤ 0: unknown). */
  readonly effect: number;
  /** Boots a round takes at the least. */
  readonly minBoots: number;
  /** α = β of the test. */
  readonly errorRate: number;
}

// The integer k in [1, maxK] that makes a commit's sequential test cheapest
// in seconds, when the test's boots are known. Wald's (1947, §3.3) average
// sample number of an SPRT whose boots shift the log-likelihood ratio by
// δ²/(2σ²) on average, with α = β, is (1 − 2α)·B·2σ²/δ² (B its boundary
// ln((1 − α)/α)); σ² = σ²_between + σ²_within/k for a boot of k runs. So a
// round takes max(minBoots, that) boots of (c_boot + k·c_run) seconds each.
// For a small effect the floor never binds and the choice is Cochran's
// (variance per second); for a large one every k ends the round at its
// minimum boots and a run more buys nothing: k = 1. `effect` is δ on the
// log scale (≤ 0: unknown, Cochran's choice).
export function chooseRunsPerBootForRounds(
  c: { varWithin: number; varBetween: number; bootCostS: number; runCostS: number },
  round: RoundShape,
  maxK: number,
): number {
  if (!(round.effect > 0)) return chooseRunsPerBoot(c, maxK);
  return leastCostK((k) => expectedRoundBoots(c.varBetween + c.varWithin / k, round) * (c.bootCostS + k * c.runCostS), maxK);
}

// Boots of one commit's sequential test at per-boot log variance `varBoot` (see chooseRunsPerBootForRounds).
export function expectedRoundBoots(varBoot: number, round: RoundShape): number {
  const boundary = Math.log((1 - round.errorRate) / round.errorRate);
  const asn = ((1 - 2 * round.errorRate) * boundary * 2 * varBoot) / (round.effect * round.effect);
  return Math.max(round.minBoots, asn);
}
