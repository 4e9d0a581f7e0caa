// Probabilistic bisection (Horstein 1963; Waeber, Frazier & Henderson 2013):
// a posterior over "commit k is the first bad one", updated by every commit's
// evidence, and a next query chosen by expected information gain.
//
// Hypothesis k says commits k.. are bad and ..k−1 good, so a commit i with
// log-likelihood ratio L_i (bad vs good) multiplies every hypothesis k ≤ i by
// e^{L_i}. A verdict of error rate ε has |L| = ln((1−ε)/ε), which makes this
// the textbook noisy-oracle update; unknown verdicts still count, weakly.

export interface CommitLlr {
  readonly index: number;
  readonly llr: number;
}

export interface Block {
  /** First and last candidate index of the block (inclusive). */
  readonly first: number;
  readonly last: number;
  readonly probability: number;
}

// Posterior over candidates 1..n−1 (array position k−1) with a uniform prior.
export function computePosterior(commitCount: number, evidence: readonly CommitLlr[]): number[] {
  const candidates = commitCount - 1;
  const llrAt = new Float64Array(commitCount);
  for (const { index, llr } of evidence) {
    if (index >= 1 && index <= commitCount - 2) llrAt[index] = (llrAt[index] as number) + llr;
  }
  // logWeight[k] = Σ_{i ≥ k} L_i, a suffix sum.
  const logWeight = new Float64Array(candidates);
  let suffix = 0;
  for (let k = commitCount - 1; k >= 1; k--) {
    suffix += llrAt[k] as number;
    logWeight[k - 1] = suffix;
  }
  let max = Number.NEGATIVE_INFINITY;
  for (const w of logWeight) max = Math.max(max, w);
  const posterior = new Array<number>(candidates);
  let total = 0;
  for (let k = 0; k < candidates; k++) {
    const p = Math.exp((logWeight[k] as number) - max);
    posterior[k] = p;
    total += p;
  }
  for (let k = 0; k < candidates; k++) posterior[k] = (posterior[k] as number) / total;
  return posterior;
}

// Below this a measurement is not worth a boot.
const MIN_GAIN_BITS = 1e-6;

// The posterior after hypothetical extra evidence `llr` at commit `index`
// (hypotheses k ≤ index gain e^llr), without recomputing anything else.
export function tiltPosterior(posterior: readonly number[], index: number, llr: number): number[] {
  const factor = Math.exp(llr);
  const tilted = posterior.map((p, k) => (k + 1 <= index ? p * factor : p));
  const total = tilted.reduce((a, b) => a + b, 0);
  return tilted.map((p) => p / total);
}

// Binary entropy in bits.
function computeBinaryEntropy(p: number): number {
  if (p <= 0 || p >= 1) return 0;
  return -(p * Math.log2(p) + (1 - p) * Math.log2(1 - p));
}

// Expected information (bits) of one more verdict of error rate ε at a commit
// that is bad with probability f: H(f(1−ε) + (1−f)ε) − H(ε).
export function computeExpectedInformation(badProbability: number, errorRate: number): number {
  const q = badProbability * (1 - errorRate) + (1 - badProbability) * errorRate;
  return computeBinaryEntropy(q) - computeBinaryEntropy(errorRate);
}

// Picks the commit whose verdict is expected to teach the most. With one error
// rate for both kinds of mistake the gain only grows as P(bad) nears ½, so the
// choice is the eligible commit closest to an even split — with clean
// evidence the classic midpoint, the posterior median (Horstein 1963). Ties
// go to the oldest. Null when no eligible commit would teach anything.
export function chooseNextCommit(posterior: readonly number[], isEligible: (index: number) => boolean, errorRate: number): number | null {
  let best: number | null = null;
  let bestBalance = Number.POSITIVE_INFINITY;
  let bestBadProbability = 0;
  let cumulative = 0;
  // Commit i (1..n−2) is bad with probability P(first bad ≤ i).
  for (let i = 1; i < posterior.length; i++) {
    cumulative += posterior[i - 1] as number;
    const balance = Math.abs(cumulative - 0.5);
    if (balance < bestBalance - 1e-12 && isEligible(i)) {
      best = i;
      bestBalance = balance;
      bestBadProbability = cumulative;
    }
  }
  if (best === null || computeExpectedInformation(Math.min(1, bestBadProbability), errorRate) < MIN_GAIN_BITS) return null;
  return best;
}

// The next commit to test while other hosts test `pending` commits whose
// verdicts are not in yet. Their verdicts will cut the candidates into
// segments; a new test can only split the segment it falls in, so its worth
// is that segment's mass m times the information of one more verdict on a
// commit that is bad with probability a/m within it (a: the segment's mass
// up to the commit). Greedy insertion: the heaviest segment split nearest its
// own median, Horstein's (1963) rule within it. Without pending tests it is
// chooseNextCommit's choice. With k tests started together it approaches the
// k-quantiles, the split whose outcome carries log2(k+1) bits (the batch
// bound; greedy comes within 0.1 bit of it for k ≤ 8: 1/2, 1/4, 3/4, 1/8…).
// Commits the posterior already places firmly (P(bad) within errorRate of 0
// or 1) and pending ones are passed over; ties go to the oldest.
export function chooseBatchCommit(posterior: readonly number[], pending: readonly number[], isEligible: (index: number) => boolean, errorRate: number): number | null {
  const cdf = new Float64Array(posterior.length + 1);
  for (let i = 1; i <= posterior.length; i++) cdf[i] = (cdf[i - 1] as number) + (posterior[i - 1] as number);
  // cdf[i] = P(commit i is bad) for 1 ≤ i ≤ n − 2
  const sorted = [...new Set(pending)].sort((a, b) => a - b);
  let best: number | null = null;
  let bestGain = MIN_GAIN_BITS;
  let next = 0;
  for (let i = 1; i < posterior.length; i++) {
    while (next < sorted.length && (sorted[next] as number) < i) next++;
    if (sorted[next] === i) continue;
    const f = Math.min(1, cdf[i] as number);
    if (f <= errorRate || f >= 1 - errorRate) continue;
    const lo = next > 0 ? Math.min(1, cdf[sorted[next - 1] as number] as number) : 0;
    const hi = next < sorted.length ? Math.min(1, cdf[sorted[next] as number] as number) : 1;
    const mass = hi - lo;
    if (!(mass > 0)) continue;
    const gain = mass * computeExpectedInformation(Math.min(1, Math.max(0, (f - lo) / mass)), errorRate);
    if (gain > bestGain + 1e-12 && isEligible(i)) {
      best = i;
      bestGain = gain;
    }
  }
  return best;
}

// Groups hypotheses that no measurement can tell apart: k and k+1 differ only
// in whether commit k is bad, so a skipped commit k joins them. Returns the
// block with the most mass.
export function findLeadingBlock(posterior: readonly number[], isSkipped: (index: number) => boolean): Block {
  let best: Block = { first: 1, last: 1, probability: -1 };
  let first = 1;
  let mass = 0;
  for (let k = 1; k <= posterior.length; k++) {
    mass += posterior[k - 1] as number;
    const closes = k === posterior.length || !isSkipped(k);
    if (!closes) continue;
    if (mass > best.probability) best = { first, last: k, probability: mass };
    first = k + 1;
    mass = 0;
  }
  return best;
}

// Shortest run of candidates holding at least `confidence` of the mass, for
// an honest "somewhere in here" when the budget runs out.
export function findCredibleInterval(posterior: readonly number[], confidence: number): Block {
  let best: Block = { first: 1, last: posterior.length, probability: 1 };
  let lo = 0;
  let mass = 0;
  for (let hi = 0; hi < posterior.length; hi++) {
    mass += posterior[hi] as number;
    while (lo < hi && mass - (posterior[lo] as number) >= confidence) {
      mass -= posterior[lo] as number;
      lo++;
    }
    if (mass >= confidence && hi - lo < best.last - best.first) best = { first: lo + 1, last: hi + 1, probability: mass };
  }
  return best;
}
