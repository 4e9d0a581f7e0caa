// The detectors compared, each a function from the series measured so far
// to regression ranges (L, F] as point indices.

import { detectChangePoints, type ChangeKind } from '../../src/core/sweep/index.ts';
import { estimatePointNoise } from '../../src/core/sweep/segments.ts';
import type { MeasuredCommit } from './series.ts';

export type MethodName = 'kbisect' | 'lkp-style' | 'fixed-5%' | 'e-divisive-plain';
export const methodNames: readonly MethodName[] = ['kbisect', 'lkp-style', 'fixed-5%', 'e-divisive-plain'];

export interface FoundRange {
  readonly lastBefore: number;
  readonly firstAfter: number;
  readonly kind: ChangeKind;
  readonly relativeChange: number;
  readonly pValue: number;
}

/** The smallest change the user asks about: 1%, about one σ_commit here. */
export const MIN_EFFECT = 0.01;

// kbisect: Hunter/Otava split/merge with the spike screen, min segment 3,
// tail candidates, and the boots' spread pooled in where the points allow it.
function runKbisect(points: readonly MeasuredCommit[]): FoundRange[] {
  return fromDetector(detectChangePoints(points.map((p) => p.value), { minEffect: MIN_EFFECT, pointNoise: estimatePointNoise(points.map((p) => p.boots)) }));
}

// The split/merge as Otava ships it: no screen, no minimum segment, the
// plain t p-value, and the point before and after the estimate as the range.
function runPlainEDivisive(points: readonly MeasuredCommit[]): FoundRange[] {
  return fromDetector(
    detectChangePoints(
      points.map((p) => p.value),
      { minEffect: MIN_EFFECT, minSegment: 1, spikeThreshold: 0, selectionAdjustment: 'none', locationConfidence: 0 },
    ),
  );
}

function fromDetector(detection: ReturnType<typeof detectChangePoints>): FoundRange[] {
  return detection.changePoints
    .filter((c) => c.direction === 'regression')
    .map((c) => ({ lastBefore: c.lastBeforeIndex, firstAfter: c.firstAfterIndex, kind: c.kind, relativeChange: c.relativeChange, pValue: c.pValue }));
}

// LKP-style (0-day's kernel performance robot): two consecutive commits
// whose boot samples do not overlap at all, with medians > 1% apart.
function runLkpStyle(points: readonly MeasuredCommit[]): FoundRange[] {
  const found: FoundRange[] = [];
  for (let i = 1; i < points.length; i++) {
    const before = points[i - 1] as MeasuredCommit;
    const after = points[i] as MeasuredCommit;
    const separate = Math.max(...after.boots) < Math.min(...before.boots);
    const change = Math.expm1(after.value - before.value);
    if (separate && change < -0.01) found.push({ lastBefore: i - 1, firstAfter: i, kind: 'accepted', relativeChange: change, pValue: Number.NaN });
  }
  return found;
}

// A fixed threshold: consecutive medians more than 5% apart.
function runFixedThreshold(points: readonly MeasuredCommit[]): FoundRange[] {
  const found: FoundRange[] = [];
  for (let i = 1; i < points.length; i++) {
    const change = Math.expm1((points[i] as MeasuredCommit).value - (points[i - 1] as MeasuredCommit).value);
    if (change < -0.05) found.push({ lastBefore: i - 1, firstAfter: i, kind: 'accepted', relativeChange: change, pValue: Number.NaN });
  }
  return found;
}

export function runMethod(method: MethodName, points: readonly MeasuredCommit[]): FoundRange[] {
  switch (method) {
    case 'kbisect':
      return runKbisect(points);
    case 'lkp-style':
      return runLkpStyle(points);
    case 'fixed-5%':
      return runFixedThreshold(points);
    case 'e-divisive-plain':
      return runPlainEDivisive(points);
  }
}
