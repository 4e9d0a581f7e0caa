// Slow drift of the host's speed moves every commit's level alike (TCG on a
// shared host: the same kernel was seen at 1500, 600 and 1100 Mbit/s within
// twenty minutes). The engine then sees it as a change between commits
// measured at different times. With reference boots of GOOD and BAD spread
// among the tested commits' boots (config.referenceEvery), every boot is
// judged relative to the endpoint boots nearest to it in time:
//
//   Δ         = median over BAD boots of (log BAD − log GOOD interpolated
//               between the GOOD boots just before and after it): the
//               endpoints' gap, drift cancelled as in a paired comparison
//   r_i       = log value of endpoint boot i, less Δ if it is a BAD boot
//   offset(t) = median of the r of the NEIGHBOURS endpoint boots nearest to
//               t, less the median of all r (a running median, Tukey 1977:
//               one wild reference boot does not move it)
//
// An endpoint boot is never its own neighbour, so that its adjusted value
// keeps its own noise and the pooled spread stays honest. On a host that
// does not drift the fit would only add noise: it is used only when it makes
// the endpoint boots clearly tighter around their levels.

import { median } from '../stats/index.ts';
import type { BisectState } from './types.ts';

const NEIGHBOURS = 4;
/** Fewer endpoint boots than this per side: no drift estimate yet. */
const MIN_PER_SIDE = 3;
/** The fit is used when it shrinks the endpoints' spread (MAD) below this share. */
const WORTH_IT = 0.9;

interface Point {
  readonly t: number;
  readonly y: number;
}

export interface DriftFit {
  /** Log offset of the host's speed at event time t (0 when not tracked). */
  offsetAt(t: number): number;
}

const NO_DRIFT: DriftFit = { offsetAt: () => 0 };

// The host's drift as the endpoint boots of a state show it (model.ts keeps
// one fit per state and event count).
export function fitDrift(state: BisectState): DriftFit {
  if (state.config.referenceEvery === 0) return NO_DRIFT;
  const series = readEndpointSeries(state);
  if (series === null) return NO_DRIFT;
  const { times, values } = series;
  const center = median(values);
  // Kept only where it pays: the endpoint boots, each adjusted by its
  // neighbours (never itself), must sit clearly tighter around their level
  // than unadjusted. On a steady host the fit only adds its own noise.
  const raw = values.map((y) => Math.abs(y - center));
  const adjusted = values.map((y, i) => y - (medianOfNearest(times, values, times[i] as number) - center));
  const adjustedCenter = median(adjusted);
  if (median(adjusted.map((y) => Math.abs(y - adjustedCenter))) >= WORTH_IT * median(raw)) return NO_DRIFT;
  return { offsetAt: (t) => medianOfNearest(times, values, t) - center };
}

export interface EndpointSeries {
  /** Event times of the endpoint boots, ascending, and their log values (BAD's less the gap). */
  readonly times: readonly number[];
  readonly values: readonly number[];
  /** Δ: the endpoints' log gap, drift cancelled as in a paired comparison. */
  readonly gap: number;
}

// GOOD's and BAD's boots as one series of the host's speed: null with fewer
// than MIN_PER_SIDE boots of either.
export function readEndpointSeries(state: BisectState): EndpointSeries | null {
  const last = state.commits.length - 1;
  const read = (index: number): Point[] => {
    const record = state.records[String(index)];
    return (record?.boots ?? []).map((value, j) => ({ t: record?.times[j] as number, y: Math.log(value) }));
  };
  const good = read(0).sort((a, b) => a.t - b.t);
  const bad = read(last);
  if (Math.min(good.length, bad.length) < MIN_PER_SIDE) return null;
  const goodTimes = good.map((p) => p.t);
  const gap = median(bad.map((p) => p.y - interpolate(good, goodTimes, p.t)));
  const points = [...good, ...bad.map((p) => ({ t: p.t, y: p.y - gap }))].sort((a, b) => a.t - b.t);
  return { times: points.map((p) => p.t), values: points.map((p) => p.y), gap };
}

// Median of the values at the NEIGHBOURS times nearest to t, a point at
// exactly t (the boot itself) left out. `times` is sorted ascending.
function medianOfNearest(times: readonly number[], values: readonly number[], t: number): number {
  let hi = lowerBound(times, t);
  let lo = hi - 1;
  if (times[hi] === t) hi++;
  const picked: number[] = [];
  while (picked.length < NEIGHBOURS && (lo >= 0 || hi < times.length)) {
    const takeLow = hi >= times.length || (lo >= 0 && t - (times[lo] as number) <= (times[hi] as number) - t);
    picked.push(values[takeLow ? lo-- : hi++] as number);
  }
  return picked.length === 0 ? 0 : median(picked);
}

// The value at time t on the line through the points just before and after
// it (the nearest one beyond either end). `points` sorted by t, non-empty.
function interpolate(points: readonly Point[], times: readonly number[], t: number): number {
  const i = lowerBound(times, t);
  const after = points[Math.min(i, points.length - 1)] as Point;
  const before = points[Math.max(i - 1, 0)] as Point;
  if (i === 0 || i === points.length || after.t === before.t) return (i === 0 ? after : before).y;
  return before.y + ((after.y - before.y) * (t - before.t)) / (after.t - before.t);
}

function lowerBound(sorted: readonly number[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
