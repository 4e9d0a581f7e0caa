// Alerts: what a sweep tells the user, one per regression, keyed by
// (series, last-good sha, first-bad sha). Night after night the detector
// finds the same step again, often a commit or two to either side; matching
// by overlapping commit ranges keeps that one alert (narrowing its range as
// the evidence sharpens) instead of raising a new one, and a range the user
// ignored or that did not reproduce is never raised again.

import type { ChangeDirection, ChangeKind, ChangePoint } from './detect.ts';

/** 'confirmed': reproduced and left there (an improvement without --bisect-improvements). */
export type AlertState = 'candidate' | 'confirming' | 'confirmed' | 'bisecting' | 'culprit' | 'range' | 'not-reproduced' | 'ignored';

export interface AlertEvidence {
  readonly kind: ChangeKind;
  readonly direction: ChangeDirection;
  readonly relativeChange: number;
  readonly relativeChangeCi: readonly [number, number];
  readonly pValue: number;
}

export interface Alert {
  /** The key at first raise; kept when the range narrows. */
  readonly id: string;
  readonly seriesKey: string;
  /** L: the culprit is after this commit … */
  readonly lastGoodSha: string;
  /** F: … and at or before this one. */
  readonly firstBadSha: string;
  readonly state: AlertState;
  readonly evidence: AlertEvidence;
}

export interface DetectedRange extends AlertEvidence {
  readonly lastGoodSha: string;
  readonly firstBadSha: string;
}

/** narrowed: the fresh range lay inside the old one; moved: it overlapped it. */
export type RangeChange = 'narrowed' | 'moved';

export type AlertEvent =
  | { readonly kind: 'raised'; readonly alertId: string }
  | { readonly kind: 'range-changed'; readonly alertId: string; readonly change: RangeChange; readonly from: readonly [string, string]; readonly to: readonly [string, string] }
  | { readonly kind: 'updated'; readonly alertId: string }
  | { readonly kind: 'suppressed'; readonly alertId: string; readonly range: readonly [string, string] }
  | { readonly kind: 'withdrawn'; readonly alertId: string };

export interface AlertMergeInput {
  readonly seriesKey: string;
  /** The series' commits, oldest first: positions that ranges are compared by. */
  readonly commits: readonly string[];
  /** Every change point of the series found in this run (all epochs). */
  readonly detected: readonly DetectedRange[];
  /** Directions that raise alerts; regressions only unless told. */
  readonly directions?: readonly ChangeDirection[];
}

export interface AlertMerge {
  readonly alerts: readonly Alert[];
  readonly events: readonly AlertEvent[];
}

// The key shape users see in logs and reports.
export function alertKey(seriesKey: string, lastGoodSha: string, firstBadSha: string): string {
  return `${seriesKey} ${lastGoodSha}..${firstBadSha}`;
}

// Detector indices to commits: point i of the series is commit shas[i].
export function toDetectedRanges(shas: readonly string[], changePoints: readonly ChangePoint[]): DetectedRange[] {
  const shaAt = (i: number): string => {
    const sha = shas[i];
    if (sha === undefined) throw new RangeError(`Expected a change point index in [0, ${shas.length}), got \`${i}\`.`);
    return sha;
  };
  return changePoints.map((c) => ({
    lastGoodSha: shaAt(c.lastBeforeIndex),
    firstBadSha: shaAt(c.firstAfterIndex),
    kind: c.kind,
    direction: c.direction,
    relativeChange: c.relativeChange,
    relativeChangeCi: c.relativeChangeCi,
    pValue: c.pValue,
  }));
}

/** Closed for good: overlapping ranges are not raised again. */
const SUPPRESSING: ReadonlySet<AlertState> = new Set(['not-reproduced', 'ignored']);
/** Before bisection starts the range may still narrow and the evidence refresh. */
const OPEN: ReadonlySet<AlertState> = new Set(['candidate', 'confirming']);

const TRANSITIONS: Readonly<Record<AlertState, readonly AlertState[]>> = {
  candidate: ['confirming', 'ignored'],
  confirming: ['bisecting', 'confirmed', 'not-reproduced', 'ignored'],
  confirmed: ['bisecting', 'ignored'],
  bisecting: ['culprit', 'range', 'not-reproduced', 'ignored'],
  culprit: ['ignored'],
  range: ['ignored'],
  'not-reproduced': [],
  ignored: [],
};

// The one way an alert changes state, so that no path skips confirmation.
export function transitionAlert(alert: Alert, to: AlertState): Alert {
  if (!TRANSITIONS[alert.state].includes(to)) {
    const allowed = TRANSITIONS[alert.state];
    throw new RangeError(`Expected alert ${alert.id} to go from \`${alert.state}\` to ${allowed.length > 0 ? allowed.map((s) => `\`${s}\``).join(' or ') : 'nothing (it is closed)'}, got \`${to}\`.`);
  }
  return { ...alert, state: to };
}

// A candidate alert is confirmed only once its step has enough points after it.
export function isReadyToConfirm(alert: Alert): boolean {
  return alert.state === 'candidate' && alert.evidence.kind === 'accepted';
}

type Span = readonly [number, number];

// (L, F] as positions, or null when a sha is not in this series (rewritten history).
function findSpan(position: ReadonlyMap<string, number>, lastGoodSha: string, firstBadSha: string): Span | null {
  const l = position.get(lastGoodSha);
  const f = position.get(firstBadSha);
  return l === undefined || f === undefined ? null : [l, f];
}

// Commits shared by (a0, a1] and (b0, b1]; 0 when they only touch.
function countOverlap(a: Span, b: Span): number {
  return Math.max(0, Math.min(a[1], b[1]) - Math.max(a[0], b[0]));
}

// The range an open alert takes when the same step is found again. The
// freshest range wins (it has seen the most points after the step): inside
// the old one it narrows it, elsewhere it moves it, so that one alert never
// swallows a second step by growing.
function chooseRange(old: Span, fresh: Span): { span: Span; change: RangeChange | null } {
  if (fresh[0] === old[0] && fresh[1] === old[1]) return { span: old, change: null };
  return { span: fresh, change: fresh[0] >= old[0] && fresh[1] <= old[1] ? 'narrowed' : 'moved' };
}

// Folds one run's detections into the alert list, oldest range first.
// Rules: an overlapping open alert is updated (its range as chooseRange
// says; a tail candidate never moves an accepted alert) and no second alert
// is raised; an overlapping not-reproduced or
// ignored alert suppresses the detection; an alert that is only a tail
// candidate and is no longer detected is withdrawn (its step was noise).
export function mergeAlerts(alerts: readonly Alert[], input: AlertMergeInput): AlertMerge {
  const directions = input.directions ?? ['regression'];
  const position = new Map(input.commits.map((sha, i) => [sha, i] as const));
  const list: Alert[] = [...alerts];
  const events: AlertEvent[] = [];
  const matched = new Set<string>();

  const found = input.detected
    .filter((d) => directions.includes(d.direction))
    .map((d) => {
      const span = findSpan(position, d.lastGoodSha, d.firstBadSha);
      if (span === null || span[0] >= span[1]) {
        throw new RangeError(`Expected a detected range of two commits of series ${input.seriesKey} in order, got \`${d.lastGoodSha}..${d.firstBadSha}\`.`);
      }
      return { d, span };
    })
    .sort((a, b) => a.span[0] - b.span[0] || a.span[1] - b.span[1]);

  for (const { d, span } of found) {
    let target = -1;
    let targetOverlap = 0;
    let suppressor: Alert | null = null;
    for (const [k, a] of list.entries()) {
      if (a.seriesKey !== input.seriesKey || a.evidence.direction !== d.direction) continue;
      const other = findSpan(position, a.lastGoodSha, a.firstBadSha);
      const shared = other === null ? 0 : countOverlap(span, other);
      if (shared === 0) continue;
      if (SUPPRESSING.has(a.state)) suppressor ??= a;
      else if (shared > targetOverlap) {
        target = k;
        targetOverlap = shared;
      }
    }
    const evidence: AlertEvidence = {
      kind: d.kind,
      direction: d.direction,
      relativeChange: d.relativeChange,
      relativeChangeCi: d.relativeChangeCi,
      pValue: d.pValue,
    };
    if (target >= 0) {
      const a = list[target] as Alert;
      matched.add(a.id);
      if (!OPEN.has(a.state)) continue;
      // Once accepted, an alert keeps its evidence against a mere tail candidate.
      if (a.evidence.kind === 'accepted' && d.kind === 'candidate') {
        events.push({ kind: 'updated', alertId: a.id });
        continue;
      }
      const next = chooseRange(findSpan(position, a.lastGoodSha, a.firstBadSha) as Span, span);
      const range: readonly [string, string] = [input.commits[next.span[0]] as string, input.commits[next.span[1]] as string];
      list[target] = { ...a, evidence, lastGoodSha: range[0], firstBadSha: range[1] };
      events.push(
        next.change === null
          ? { kind: 'updated', alertId: a.id }
          : { kind: 'range-changed', alertId: a.id, change: next.change, from: [a.lastGoodSha, a.firstBadSha], to: range },
      );
    } else if (suppressor !== null) {
      events.push({ kind: 'suppressed', alertId: suppressor.id, range: [d.lastGoodSha, d.firstBadSha] });
    } else {
      const key = alertKey(input.seriesKey, d.lastGoodSha, d.firstBadSha);
      // An alert that moved away may still carry this key as its id.
      let id = key;
      for (let k = 2; list.some((a) => a.id === id); k++) id = `${key} #${k}`;
      list.push({ id, seriesKey: input.seriesKey, lastGoodSha: d.lastGoodSha, firstBadSha: d.firstBadSha, state: 'candidate', evidence });
      matched.add(id);
      events.push({ kind: 'raised', alertId: id });
    }
  }

  const kept = list.filter((a) => {
    const stale =
      a.seriesKey === input.seriesKey &&
      a.state === 'candidate' &&
      a.evidence.kind === 'candidate' &&
      !matched.has(a.id) &&
      findSpan(position, a.lastGoodSha, a.firstBadSha) !== null;
    if (stale) events.push({ kind: 'withdrawn', alertId: a.id });
    return !stale;
  });
  return { alerts: kept, events };
}
