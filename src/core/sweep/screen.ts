// Wild points (a commit measured on a bad night, a ×0.6 outlier) would
// otherwise dominate the means that the t-test compares. A run of at most
// `maxRun` consecutive points is set aside when every one of its points
// lies more than `threshold` σ from the median of the points just before
// the run *and* from the median of those just after it, on the same side,
// and its two neighbours do not: no single step explains such a run, since a
// step leaves each point at one of the two levels around it, unless the two
// levels lie farther apart than the run from the nearer one (a step that
// dwarfs the run; then the run is that level's wander). One point is Hampel's (1974) identifier with
// the point left out of its own reference; runs of two or three catch a bad
// week (clustered outliers). σ comes from successive differences, which
// steps and spikes barely move.

import { MAD_TO_SIGMA, median } from '../stats/index.ts';

export interface ScreenOptions {
  /** Longest run of points that may be set aside together (the detector's minSegment). */
  readonly maxRun: number;
  /** Distance in σ from both neighbouring levels beyond which a run is set aside. */
  readonly threshold: number;
  /** Newest points never set aside (their step, if any, is a candidate). */
  readonly protectTail: number;
}

export interface ScreenResult {
  /** Indices of the points kept, ascending. */
  readonly kept: readonly number[];
  /** Indices of the points set aside, ascending. */
  readonly excluded: readonly number[];
  /** Robust per-point σ: NaN when there are fewer than two points. */
  readonly noiseSigma: number;
}

/** Points either side of a run whose median is its reference level. */
const NEIGHBOURS = 4;
/** Passes: setting a run aside can uncover a neighbour's. */
const MAX_PASSES = 5;

// σ from the median of |x_{i+1} − x_i| (the median form of von Neumann's
// 1941 successive-difference estimator): steps and single spikes barely move it.
export function estimateNoiseSigma(values: readonly number[]): number {
  if (values.length < 2) return Number.NaN;
  const diffs: number[] = [];
  for (let i = 1; i < values.length; i++) diffs.push(Math.abs((values[i] as number) - (values[i - 1] as number)));
  return (MAD_TO_SIGMA * median(diffs)) / Math.SQRT2;
}

// +1 / −1 when every point of the run is beyond `limit` from every reference on that side, else 0.
function findRunSide(run: readonly number[], references: readonly number[], limit: number): number {
  const first = run[0] as number;
  const side = Math.sign(first - (references[0] as number));
  if (side === 0) return 0;
  for (const x of run) for (const r of references) if ((x - r) * side <= limit) return 0;
  return side;
}

// True when the two reference levels lie farther apart than every point of the run lies from the nearer one.
function isDwarfedByStep(run: readonly number[], references: readonly number[]): boolean {
  const [a, b] = references as [number, number];
  const gap = Math.abs(a - b);
  return run.every((x) => Math.min(Math.abs(x - a), Math.abs(x - b)) < gap);
}

// Why a pure screen and not a robust test: the windows, the t-test and the
// merge stay Otava's; only points that no step can explain are left out.
export function screenSpikes(values: readonly number[], options: ScreenOptions): ScreenResult {
  const n = values.length;
  const noiseSigma = estimateNoiseSigma(values);
  let kept = values.map((_, i) => i);
  if (!(noiseSigma > 0) || !Number.isFinite(options.threshold)) return { kept, excluded: [], noiseSigma };
  const limit = options.threshold * noiseSigma;
  const valueAt = (i: number): number => values[i] as number;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const flagged = new Set<number>();
    // Shortest runs first, so that a lone spike is not taken for part of a longer run.
    for (let length = 1; length <= options.maxRun; length++) {
      for (let k = 0; k + length <= kept.length; k++) {
        const run = kept.slice(k, k + length);
        if (run.some((i) => flagged.has(i) || i >= n - options.protectTail)) continue;
        const before = kept.slice(Math.max(0, k - NEIGHBOURS), k);
        const after = kept.slice(k + length, k + length + NEIGHBOURS);
        // every side that has points counts, even one point: a run judged
        // against one side only is any step's edge (7 points at stride 4 lost
        // their whole first level to that). So a run with no point left on
        // one side may go only when it is the series' own first or last
        // point alone: once the first point was set aside, the next three
        // were judged against the far side alone and went too (a sweep lost
        // its whole level before a −91% step, and with it the step).
        if ((before.length === 0 || after.length === 0) && !(length === 1 && (run[0] === 0 || run[0] === n - 1))) continue;
        const references: number[] = [];
        if (before.length > 0) references.push(median(before.map(valueAt)));
        if (after.length > 0) references.push(median(after.map(valueAt)));
        const side = findRunSide(run.map(valueAt), references, limit);
        if (side === 0) continue;
        // Two levels farther apart than the run is from the nearer one: the
        // run is that level's own wander beside a step that dwarfs it (a host
        // a fifth faster for two points before a −93% step), not a wild
        // point; setting it aside would starve the level, and the step with it.
        if (references.length === 2 && isDwarfedByStep(run.map(valueAt), references)) continue;
        // Only a whole excursion goes: a neighbour out there with it means a longer one, left to the detector.
        const edges = [kept[k - 1], kept[k + length]].filter((i): i is number => i !== undefined);
        if (edges.some((i) => findRunSide([valueAt(i)], references, limit) === side)) continue;
        for (const i of run) flagged.add(i);
      }
    }
    if (flagged.size === 0) break;
    kept = kept.filter((i) => !flagged.has(i));
  }
  const keptSet = new Set(kept);
  return { kept, excluded: values.map((_, i) => i).filter((i) => !keptSet.has(i)), noiseSigma };
}
