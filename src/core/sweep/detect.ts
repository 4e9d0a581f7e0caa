// Change points in a sweep series: one value per measured commit, in commit
// order, the log of the commit's median of boot medians (reference-adjusted
// by the caller when the host drifts). Method: Hunter's split/merge
// (Fleming et al. 2023; Apache Otava docs/MATH.md) over E-divisive means
// (Matteson & James 2014) with a Student-t test, plus three rules of ours:
// isolated wild points are screened out (screen.ts), every side of an
// accepted change holds at least `minSegment` points, and a step among the
// newest `minSegment − 1` points is only a candidate. Pure and
// deterministic: no permutation test, so nothing to seed.

import { findWeakChangePoints } from './edivisive.ts';
import { screenSpikes } from './screen.ts';
import { buildPrefixSums, estimateRelativeChange, estimateStepLocation, testSplit, type PointNoise, type PrefixSums, type SplitTest } from './segments.ts';

export type ChangeKind = 'accepted' | 'candidate';
export type ChangeDirection = 'regression' | 'improvement';

export interface ChangePoint {
  readonly kind: ChangeKind;
  /** First point after the step (best estimate). */
  readonly index: number;
  /** L: the last point surely before the step; the culprit is in (L, F]. */
  readonly lastBeforeIndex: number;
  /** F: the first point surely after the step. */
  readonly firstAfterIndex: number;
  /** after / before − 1 (ratio of geometric means; −0.05 = 5% lower). */
  readonly relativeChange: number;
  readonly relativeChangeCi: readonly [number, number];
  /** Student-t p of the two segments either side, times the split positions it was the best of (selectionAdjustment). */
  readonly pValue: number;
  readonly direction: ChangeDirection;
  /** Points (not screened out) in the segments either side that were compared. */
  readonly pointsBefore: number;
  readonly pointsAfter: number;
}

export interface Detection {
  readonly changePoints: readonly ChangePoint[];
  /** Indices of isolated wild points left out of the analysis. */
  readonly excluded: readonly number[];
  /** Robust σ of one point (log scale), NaN for fewer than two points. */
  readonly noiseSigma: number;
}

export interface DetectOptions {
  /** A change is accepted only with p ≤ this (Otava's max_pvalue; p adjusted for the split positions searched). */
  readonly maxPValue: number;
  /** … and |relative change| ≥ this (Otava's min_magnitude). */
  readonly minEffect: number;
  /** Fewest points on each side of an accepted change. */
  readonly minSegment: number;
  /** Sliding window of the split step (Otava's window_len). */
  readonly windowLength: number;
  /** Weak change points of the split step need p ≤ maxPValue × this (Otava: 10). */
  readonly splitPValueFactor: number;
  /** Throughput: true; latency: false. */
  readonly higherIsBetter: boolean;
  /** Of the change's interval. */
  readonly confidence: number;
  /** Of the step's location range (L, F]; 0: no range, just the point before and the point after the estimate. */
  readonly locationConfidence: number;
  /** 'bonferroni': a split's p is multiplied by the positions it was chosen among; 'none': Otava's plain t p-value. */
  readonly selectionAdjustment: 'bonferroni' | 'none';
  /** Set isolated wild points aside (0 turns the screen off). */
  readonly spikeThreshold: number;
  /**
   * The boots' own spread (estimatePointNoise), or null. With it, a split's
   * t-test pools it in when the points scatter no more than their boots
   * explain (Bancroft's rule, segments.ts): a short series of noisy boots
   * then has the degrees of freedom of its boots, not of its few points.
   */
  readonly pointNoise: PointNoise | null;
}

// Otava's defaults (p ≤ 0.001, window 50, weak ×10) plus ours; bench/detect.ts measures them.
export const defaultDetectOptions: DetectOptions = {
  maxPValue: 0.001,
  minEffect: 0.03,
  minSegment: 3,
  windowLength: 50,
  splitPValueFactor: 10,
  higherIsBetter: true,
  confidence: 0.95,
  locationConfidence: 0.99,
  selectionAdjustment: 'bonferroni',
  spikeThreshold: 5,
  pointNoise: null,
};

// execa's message shape; invalid options are a programming error, so throw.
function validateOptions(o: DetectOptions): void {
  const check = (ok: boolean, name: keyof DetectOptions, what: string): void => {
    if (!ok) throw new RangeError(`Expected the \`${name}\` option to be ${what}, got \`${String(o[name])}\`.`);
  };
  check(o.maxPValue > 0 && o.maxPValue < 1, 'maxPValue', 'in (0, 1)');
  check(o.minEffect >= 0 && o.minEffect < 1, 'minEffect', 'in [0, 1)');
  check(Number.isInteger(o.minSegment) && o.minSegment >= 1, 'minSegment', 'a positive integer');
  check(Number.isInteger(o.windowLength) && o.windowLength >= 2 * o.minSegment, 'windowLength', `an integer ≥ 2 × minSegment (${2 * o.minSegment})`);
  check(o.splitPValueFactor >= 1, 'splitPValueFactor', '≥ 1');
  check(o.confidence > 0 && o.confidence < 1, 'confidence', 'in (0, 1)');
  check(o.locationConfidence >= 0 && o.locationConfidence < 1, 'locationConfidence', 'in [0, 1)');
  check(o.selectionAdjustment === 'bonferroni' || o.selectionAdjustment === 'none', 'selectionAdjustment', '`bonferroni` or `none`');
  check(o.spikeThreshold >= 0, 'spikeThreshold', '≥ 0');
  check(o.pointNoise === null || (Number.isFinite(o.pointNoise.variance) && o.pointNoise.variance >= 0 && Number.isInteger(o.pointNoise.df) && o.pointNoise.df >= 1), 'pointNoise', 'null or { variance ≥ 0, df ≥ 1 }');
}

interface Scored {
  readonly at: number;
  readonly test: SplitTest;
  /** The t-test's p-value times the split positions it was chosen among. */
  readonly pValue: number;
  readonly valid: boolean;
}

// The split was the best of every admissible position between its
// neighbours, so its plain t p-value is far too small on pure noise (Worsley
// 1979 studies the null distribution of that maximum); Bonferroni over the
// positions is the simple, conservative correction.
function adjustForSelection(pValue: number, positions: number): number {
  return Math.min(1, pValue * Math.max(1, positions));
}

// Stats of each change point against its neighbours' segments.
function scoreAll(cuts: readonly number[], sums: PrefixSums, n: number, o: DetectOptions): Scored[] {
  return cuts.map((at, k) => {
    const from = k === 0 ? 0 : (cuts[k - 1] as number);
    const to = k + 1 === cuts.length ? n : (cuts[k + 1] as number);
    const test = testSplit(sums, from, at, to, o.pointNoise);
    const positions = o.selectionAdjustment === 'bonferroni' ? to - from - 2 * o.minSegment + 1 : 1;
    return { at, test, pValue: adjustForSelection(test.pValue, positions), valid: at - from >= o.minSegment && to - at >= o.minSegment };
  });
}

// Index of the largest value of key among the entries that pass `where`.
function findArgMax<T>(items: readonly T[], key: (item: T) => number, where: (item: T) => boolean = () => true): number {
  let best = -1;
  for (let k = 0; k < items.length; k++) {
    const item = items[k] as T;
    if (where(item) && (best < 0 || key(item) > key(items[best] as T))) best = k;
  }
  return best;
}

// Hunter's merge step (Fleming et al. 2023; Otava's analysis.merge): drop the weakest change
// point (largest p, then smallest effect) and re-score its neighbours, until
// every one left passes both thresholds. Change points from different
// windows that crowd a segment below minSegment go first.
function mergeWeak(weak: readonly number[], sums: PrefixSums, n: number, o: DetectOptions): Scored[] {
  const cuts = [...weak];
  for (;;) {
    const scored = scoreAll(cuts, sums, n, o);
    if (scored.length === 0) return scored;
    let drop = findArgMax(scored, (s) => s.pValue, (s) => !s.valid);
    if (drop < 0) {
      const weakest = findArgMax(scored, (s) => s.pValue);
      if ((scored[weakest] as Scored).pValue > o.maxPValue) drop = weakest;
    }
    if (drop < 0) {
      const smallest = findArgMax(scored, (s) => -Math.abs(Math.expm1(s.test.difference)));
      if (Math.abs(Math.expm1((scored[smallest] as Scored).test.difference)) < o.minEffect) drop = smallest;
    }
    if (drop < 0) return scored;
    cuts.splice(drop, 1);
  }
}

// A step among the newest points, with fewer than minSegment points after
// it: the last k points against the segment before them. Reported, never
// accepted, so that the sweep measures more commits before it believes it.
function findTailCandidate(sums: PrefixSums, lastCut: number, n: number, o: DetectOptions): Scored | null {
  let best: Scored | null = null;
  const tried = o.minSegment - 1;
  for (let k = 1; k <= tried; k++) {
    const at = n - k;
    if (at - lastCut < Math.max(o.minSegment, 2)) continue;
    const test = testSplit(sums, lastCut, at, n, o.pointNoise);
    const pValue = adjustForSelection(test.pValue, o.selectionAdjustment === 'bonferroni' ? tried : 1);
    if (pValue > o.maxPValue || Math.abs(Math.expm1(test.difference)) < o.minEffect) continue;
    if (best === null || pValue < best.pValue) best = { at, test, pValue, valid: true };
  }
  return best;
}

// The direction a change goes for the user: down is worse for throughput.
export function classifyDirection(relativeChange: number, higherIsBetter: boolean): ChangeDirection {
  return relativeChange < 0 === higherIsBetter ? 'regression' : 'improvement';
}

// The one entry point: change points of a series, oldest point first.
export function detectChangePoints(values: readonly number[], options: Partial<DetectOptions> = {}): Detection {
  const o: DetectOptions = { ...defaultDetectOptions, ...options };
  validateOptions(o);
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new RangeError(`Expected every value to be a finite number, got \`${v}\` at index ${i}.`);
  });
  const screen = screenSpikes(values, {
    maxRun: o.minSegment,
    threshold: o.spikeThreshold > 0 ? o.spikeThreshold : Number.POSITIVE_INFINITY,
    protectTail: o.minSegment - 1,
  });
  const kept = screen.kept;
  const series = kept.map((i) => values[i] as number);
  const n = series.length;
  const sums = buildPrefixSums(series);
  const weak = findWeakChangePoints(series, sums, {
    windowLength: o.windowLength,
    minSegment: o.minSegment,
    splitPValue: Math.min(1, o.maxPValue * o.splitPValueFactor),
    pointNoise: o.pointNoise,
  });
  const accepted = mergeWeak(weak, sums, n, o);
  const original = (k: number): number => kept[k] as number;

  const changePoints: ChangePoint[] = accepted.map((s, k) => {
    const from = k === 0 ? 0 : (accepted[k - 1] as Scored).at;
    const to = k + 1 === accepted.length ? n : (accepted[k + 1] as Scored).at;
    const [first, last] = o.locationConfidence > 0 ? estimateStepLocation(sums, from, to, s.at, o.locationConfidence) : [s.at, s.at];
    // The step may be as late as `last`: with fewer than minSegment points
    // from there to the newest one, it is still a candidate.
    const kind: ChangeKind = to === n && n - last < o.minSegment ? 'candidate' : 'accepted';
    return describeChange(kind, s, original(first - 1), original(last), s.at - from, to - s.at);
  });
  const lastCut = accepted.at(-1)?.at ?? 0;
  const tail = findTailCandidate(sums, lastCut, n, o);
  if (tail !== null) changePoints.push(describeChange('candidate', tail, original(tail.at - 1), original(tail.at), tail.at - lastCut, n - tail.at));
  return { changePoints, excluded: screen.excluded, noiseSigma: screen.noiseSigma };

  // One change point in the caller's indices, with its estimate and interval.
  function describeChange(kind: ChangeKind, s: Scored, lastBeforeIndex: number, firstAfterIndex: number, pointsBefore: number, pointsAfter: number): ChangePoint {
    const { change, ci } = estimateRelativeChange(s.test, o.confidence);
    return {
      kind,
      index: original(s.at),
      lastBeforeIndex,
      firstAfterIndex,
      relativeChange: change,
      relativeChangeCi: ci,
      pValue: s.pValue,
      direction: classifyDirection(change, o.higherIsBetter),
      pointsBefore,
      pointsAfter,
    };
  }
}
