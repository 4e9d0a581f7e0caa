// How fast does the host's speed wander? The endpoint boots, as one series
// (drift.ts: BAD's less the endpoints' gap), are modelled as a local level
// (Harvey 1989, ch. 2; Durbin & Koopman 2001, ch. 2):
//
//   y_i = μ(t_i) + ε_i,   ε_i ~ N(0, σ²),   μ a random walk of ψσ² per event
//
// whose likelihood the Kalman filter gives with σ² concentrated out (Harvey
// 1989, §3.4), so that only the signal-to-noise ratio ψ is tried. ψ = 0 is a
// steady host. Wild boots are screened out first, the same for every ψ: a
// boot further than WILD robust σ from the median of its NEIGHBOURS nearest
// in time (a running median, Tukey 1977) would otherwise read as a jump of
// the host to one model and as noise to the other. Pure.

import { median } from '../stats/index.ts';
import type { EndpointSeries } from './drift.ts';

/** A boot this many robust σ from its neighbours' median is wild. */
const WILD = 5;
const NEIGHBOURS = 4;
/** Median |z| of a standard normal, to read σ off a median absolute value. */
const MEDIAN_ABS_Z = 0.6744897501960817;

// Concentrated log-likelihood of the local-level model at signal-to-noise
// ratio ψ, in σ = 1 units, the first value taken as the initial level.
function computeLoglik(series: EndpointSeries, psi: number): number {
  const { times, values } = series;
  let level = values[0] as number;
  let variance = 1;
  let sumLogF = 0;
  let sumSquares = 0;
  for (let i = 1; i < values.length; i++) {
    const predicted = variance + psi * Math.max(0, (times[i] as number) - (times[i - 1] as number));
    const f = predicted + 1;
    const v = (values[i] as number) - level;
    sumLogF += Math.log(f);
    sumSquares += (v * v) / f;
    const gain = predicted / f;
    level += gain * v;
    variance = predicted * (1 - gain);
  }
  const n = values.length - 1;
  // σ² concentrated out: σ̂² = Σ v²/F / n, ℓ = −½ Σ log F − (n/2) log σ̂² (constants dropped).
  return n > 0 && sumSquares > 0 ? -0.5 * sumLogF - 0.5 * n * Math.log(sumSquares / n) : 0;
}

// Wild boots out before any ψ is tried, the same ones for every ψ, so that
// the models are compared on the same boots.
export function screenWildBoots(series: EndpointSeries): EndpointSeries {
  const sigma = estimateBootSpread(series);
  if (!(sigma > 0)) return series;
  const keep = series.values.map((y, i) => Math.abs(y - medianOfOthersNear(series, i)) <= WILD * sigma);
  return { ...series, times: series.times.filter((_, i) => keep[i]), values: series.values.filter((_, i) => keep[i]) };
}

// Median of the NEIGHBOURS values nearest in time to point i, itself left out.
function medianOfOthersNear(series: EndpointSeries, i: number): number {
  const t = series.times[i] as number;
  let lo = i - 1;
  let hi = i + 1;
  const picked: number[] = [];
  while (picked.length < NEIGHBOURS && (lo >= 0 || hi < series.times.length)) {
    const takeLow = hi >= series.times.length || (lo >= 0 && t - (series.times[lo] as number) <= (series.times[hi] as number) - t);
    picked.push(series.values[takeLow ? lo-- : hi++] as number);
  }
  return picked.length === 0 ? (series.values[i] as number) : median(picked);
}

// log of the likelihood ratio of a host drifting at ψ against a steady one:
// positive when the endpoint boots favour drift. Screen wild boots first.
export function computeDriftLogLikelihoodRatio(series: EndpointSeries, psi: number): number {
  if (series.values.length < 3 || !(psi > 0)) return 0;
  return computeLoglik(series, psi) - computeLoglik(series, 0);
}

// σ of one boot from the series' successive differences (von Neumann 1941):
// drift barely moves neighbours in time, so it hardly inflates this.
export function estimateBootSpread(series: EndpointSeries): number {
  const differences: number[] = [];
  for (let i = 1; i < series.values.length; i++) differences.push(Math.abs((series.values[i] as number) - (series.values[i - 1] as number)));
  if (differences.length === 0) return Number.NaN;
  return median(differences) / MEDIAN_ABS_Z / Math.SQRT2;
}
