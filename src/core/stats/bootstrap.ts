// Percentile bootstrap (Efron & Tibshirani 1993, ch. 13) for the ratio of
// medians, the figure users quote ("BAD is 0.93× GOOD"). The RNG is injected
// so that the interval is reproducible from the recorded seed.

import { assertNonEmpty, median, quantileOfSorted, selectMedianInPlace, sortAscending } from './descriptive.ts';
import { nextInt, type Rng } from '../rng.ts';

export interface RatioEstimate {
  /** median(y) / median(x). */
  readonly ratio: number;
  readonly ci: readonly [number, number];
  readonly confidence: number;
}

export interface BootstrapOptions {
  readonly rng: Rng;
  readonly resamples?: number;
  readonly confidence?: number;
}

// Draws one resample's median into a reused scratch array.
function resampleMedian(values: readonly number[], rng: Rng, scratch: Float64Array): number {
  for (let i = 0; i < values.length; i++) scratch[i] = values[nextInt(rng, values.length)] as number;
  return selectMedianInPlace(scratch);
}

// CI for median(y)/median(x) by resampling each group independently.
export function bootstrapRatioOfMedians(x: readonly number[], y: readonly number[], options: BootstrapOptions): RatioEstimate {
  assertNonEmpty(x, 'x');
  assertNonEmpty(y, 'y');
  const resamples = options.resamples ?? 2000;
  const confidence = options.confidence ?? 0.95;
  const ratios: number[] = [];
  const scratchX = new Float64Array(x.length);
  const scratchY = new Float64Array(y.length);
  for (let r = 0; r < resamples; r++) {
    ratios.push(resampleMedian(y, options.rng, scratchY) / resampleMedian(x, options.rng, scratchX));
  }
  const sorted = sortAscending(ratios);
  const tail = (1 - confidence) / 2;
  return {
    ratio: median(y) / median(x),
    ci: [quantileOfSorted(sorted, tail), quantileOfSorted(sorted, 1 - tail)],
    confidence,
  };
}
