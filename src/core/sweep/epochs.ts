// Epochs: stretches of a series measured under the same conditions. A new
// host fingerprint or a rewritten branch moves every later value at once, so
// a step there says nothing about a commit; detection runs inside each epoch
// and never across a boundary.

import { detectChangePoints, type ChangePoint, type DetectOptions } from './detect.ts';
import type { PointNoise } from './segments.ts';

export interface Epoch {
  /** First point of the epoch. */
  readonly start: number;
  /** One past its last point. */
  readonly end: number;
}

/** True when `current` cannot be compared with `previous` (host or history changed). */
export type EpochBoundary<T> = (previous: T, current: T) => boolean;

// Contiguous runs of points; a run that returns to an earlier condition is a new epoch.
export function splitEpochs<T>(points: readonly T[], startsNewEpoch: EpochBoundary<T>): Epoch[] {
  const epochs: Epoch[] = [];
  let start = 0;
  for (let i = 1; i <= points.length; i++) {
    if (i === points.length || startsNewEpoch(points[i - 1] as T, points[i] as T)) {
      if (i > start) epochs.push({ start, end: i });
      start = i;
    }
  }
  return epochs;
}

// For callers that label each point (host fingerprint, history id) instead of writing a predicate.
export function byEpochKey<T>(keyOf: (point: T) => string): EpochBoundary<T> {
  return (previous, current) => keyOf(previous) !== keyOf(current);
}

export interface EpochDetection {
  readonly epoch: Epoch;
  /** Change points with indices into the whole series. */
  readonly changePoints: readonly ChangePoint[];
  /** Screened-out points, indices into the whole series. */
  readonly excluded: readonly number[];
  readonly noiseSigma: number;
}

// Detection per epoch, indices mapped back to the whole series.
export function detectChangePointsByEpoch<T>(
  points: readonly T[],
  valueOf: (point: T) => number,
  startsNewEpoch: EpochBoundary<T>,
  options: Partial<DetectOptions> = {},
  // the boots' spread of an epoch's points (a new host has its own)
  pointNoiseOf: (points: readonly T[]) => PointNoise | null = () => null,
): EpochDetection[] {
  return splitEpochs(points, startsNewEpoch).map((epoch) => {
    const mine = points.slice(epoch.start, epoch.end);
    const detection = detectChangePoints(mine.map(valueOf), { ...options, pointNoise: pointNoiseOf(mine) });
    const shift = (i: number): number => i + epoch.start;
    return {
      epoch,
      changePoints: detection.changePoints.map((c) => ({
        ...c,
        index: shift(c.index),
        lastBeforeIndex: shift(c.lastBeforeIndex),
        firstAfterIndex: shift(c.firstAfterIndex),
      })),
      excluded: detection.excluded.map(shift),
      noiseSigma: detection.noiseSigma,
    };
  });
}
