import { describe, expect, it } from 'vitest';
import {
  alertKey,
  isReadyToConfirm,
  mergeAlerts,
  toDetectedRanges,
  transitionAlert,
  type Alert,
  type AlertState,
  type ChangePoint,
  type DetectedRange,
} from '../../../src/core/sweep/index.ts';

const SERIES = 'host1/profileA/TCP_STREAM/throughput';
const COMMITS = Array.from({ length: 40 }, (_, i) => `c${String(i).padStart(2, '0')}`);
const sha = (i: number): string => COMMITS[i] as string;

function detected(l: number, f: number, overrides: Partial<DetectedRange> = {}): DetectedRange {
  return {
    lastGoodSha: sha(l),
    firstBadSha: sha(f),
    kind: 'accepted',
    direction: 'regression',
    relativeChange: -0.05,
    relativeChangeCi: [-0.06, -0.04],
    pValue: 1e-6,
    ...overrides,
  };
}

function alert(l: number, f: number, state: AlertState = 'candidate', overrides: Partial<Alert> = {}): Alert {
  const { lastGoodSha, firstBadSha, ...evidence } = detected(l, f);
  return { id: alertKey(SERIES, lastGoodSha, firstBadSha), seriesKey: SERIES, lastGoodSha, firstBadSha, state, evidence, ...overrides };
}

const merge = (alerts: readonly Alert[], found: readonly DetectedRange[], directions?: readonly ('regression' | 'improvement')[]) =>
  mergeAlerts(alerts, { seriesKey: SERIES, commits: COMMITS, detected: found, ...(directions === undefined ? {} : { directions }) });

const ranges = (alerts: readonly Alert[]): string[] => alerts.map((a) => `${a.lastGoodSha}..${a.firstBadSha}:${a.state}`);

describe('merging fresh change points into alerts', () => {
  it('raises a new alert keyed by (series, L, F), as a candidate', () => {
    const { alerts, events } = merge([], [detected(10, 12)]);
    expect(alerts).toEqual([alert(10, 12)]);
    expect(alerts[0]?.id).toBe(`${SERIES} c10..c12`);
    expect(events).toEqual([{ kind: 'raised', alertId: `${SERIES} c10..c12` }]);
  });

  it.each([
    ['the same range', 10, 12, 'c10..c12', 'updated'],
    ['a range inside: narrows it', 11, 12, 'c11..c12', 'range-changed'],
    ['an overlapping range: moves it', 11, 14, 'c11..c14', 'range-changed'],
    ['a wider range around it: takes it', 8, 14, 'c08..c14', 'range-changed'],
  ] as const)('%s never raises a second alert', (_, l, f, expected, kind) => {
    const { alerts, events } = merge([alert(10, 12)], [detected(l, f)]);
    expect(ranges(alerts)).toEqual([`${expected}:candidate`]);
    expect(alerts[0]?.id).toBe(`${SERIES} c10..c12`);
    expect(events.map((e) => e.kind)).toEqual([kind]);
  });

  it('says how a range changed', () => {
    const { events } = merge([alert(10, 14)], [detected(11, 12)]);
    expect(events).toEqual([{ kind: 'range-changed', alertId: `${SERIES} c10..c14`, change: 'narrowed', from: ['c10', 'c14'], to: ['c11', 'c12'] }]);
  });

  it('raises a second alert for a range that only touches the first (F of one is L of the other)', () => {
    expect(ranges(merge([alert(10, 12)], [detected(12, 14)]).alerts)).toEqual(['c10..c12:candidate', 'c12..c14:candidate']);
  });

  it.each(['not-reproduced', 'ignored'] as const)('never re-raises a %s range, nor one overlapping it', (state) => {
    for (const [l, f] of [
      [10, 12],
      [11, 12],
      [8, 11],
    ] as const) {
      const { alerts, events } = merge([alert(10, 12, state)], [detected(l, f)]);
      expect(ranges(alerts)).toEqual([`c10..c12:${state}`]);
      expect(events).toEqual([{ kind: 'suppressed', alertId: `${SERIES} c10..c12`, range: [sha(l), sha(f)] }]);
    }
  });

  it.each(['bisecting', 'culprit', 'range'] as const)('leaves a %s alert as it is and raises nothing', (state) => {
    const { alerts, events } = merge([alert(10, 14, state)], [detected(11, 12)]);
    expect(ranges(alerts)).toEqual([`c10..c14:${state}`]);
    expect(events).toEqual([]);
  });

  it('updates an open alert rather than be suppressed by an older ignored one it also overlaps', () => {
    const { alerts } = merge([alert(8, 11, 'ignored'), alert(10, 14, 'confirming')], [detected(10, 12)]);
    expect(ranges(alerts)).toEqual(['c08..c11:ignored', 'c10..c12:confirming']);
  });

  it('matches the alert it overlaps most, and each step to its own alert', () => {
    const { alerts } = merge([alert(10, 20)], [detected(11, 12), detected(18, 20)]);
    expect(ranges(alerts)).toEqual(['c11..c12:candidate', 'c18..c20:candidate']);
  });

  it('raises improvements only when asked', () => {
    const improvement = detected(10, 12, { direction: 'improvement', relativeChange: 0.05 });
    expect(merge([], [improvement]).alerts).toEqual([]);
    expect(ranges(merge([], [improvement], ['regression', 'improvement']).alerts)).toEqual(['c10..c12:candidate']);
  });

  it('keeps a regression and an improvement over the same commits apart', () => {
    const both: readonly ('regression' | 'improvement')[] = ['regression', 'improvement'];
    const { alerts } = merge([alert(10, 12)], [detected(10, 12, { direction: 'improvement', relativeChange: 0.05 })], both);
    expect(alerts.map((a) => a.evidence.direction)).toEqual(['regression', 'improvement']);
  });

  it('leaves other series alone', () => {
    const other = alert(10, 12, 'candidate', { seriesKey: 'other', id: 'other c10..c12' });
    expect(merge([other], [detected(10, 12)]).alerts).toHaveLength(2);
  });

  it('rejects a range whose commits are not in the series, or not in order', () => {
    expect(() => merge([], [{ ...detected(10, 12), firstBadSha: 'deadbeef' }])).toThrow(/Expected a detected range of two commits/);
    expect(() => merge([], [detected(12, 10)])).toThrow(/in order, got `c12..c10`/);
  });
});

describe('candidates: the newest points', () => {
  it('a candidate becomes accepted when the step is seen again with enough points, and the range follows', () => {
    const first = merge([], [detected(38, 39, { kind: 'candidate' })]).alerts;
    expect(isReadyToConfirm(first[0] as Alert)).toBe(false);
    const { alerts } = merge(first, [detected(36, 39)]);
    expect(ranges(alerts)).toEqual(['c36..c39:candidate']);
    expect(alerts[0]?.evidence.kind).toBe('accepted');
    expect(isReadyToConfirm(alerts[0] as Alert)).toBe(true);
  });

  it('a candidate never moves an accepted alert, nor turns it back into a candidate', () => {
    const { alerts, events } = merge([alert(30, 35)], [detected(34, 35, { kind: 'candidate' })]);
    expect(ranges(alerts)).toEqual(['c30..c35:candidate']);
    expect(alerts[0]?.evidence.kind).toBe('accepted');
    expect(events.map((e) => e.kind)).toEqual(['updated']);
  });

  it('a candidate not found again is withdrawn; an accepted alert is not', () => {
    const candidate = alert(38, 39, 'candidate', { evidence: { ...alert(38, 39).evidence, kind: 'candidate' } });
    const { alerts, events } = merge([candidate, alert(10, 12)], []);
    expect(ranges(alerts)).toEqual(['c10..c12:candidate']);
    expect(events).toEqual([{ kind: 'withdrawn', alertId: `${SERIES} c38..c39` }]);
  });
});

describe('alert states', () => {
  it.each([
    ['candidate', 'confirming'],
    ['confirming', 'bisecting'],
    ['confirming', 'not-reproduced'],
    ['bisecting', 'culprit'],
    ['bisecting', 'range'],
    ['bisecting', 'not-reproduced'],
    ['candidate', 'ignored'],
    ['culprit', 'ignored'],
  ] as const)('%s → %s', (from, to) => {
    expect(transitionAlert(alert(10, 12, from), to).state).toBe(to);
  });

  it.each([
    ['candidate', 'bisecting', /to `confirming` or `ignored`, got `bisecting`/],
    ['candidate', 'culprit', /got `culprit`/],
    ['not-reproduced', 'candidate', /to nothing \(it is closed\), got `candidate`/],
    ['ignored', 'confirming', /to nothing \(it is closed\)/],
  ] as const)('refuses %s → %s', (from, to, message) => {
    expect(() => transitionAlert(alert(10, 12, from), to)).toThrow(message);
  });
});

describe('detector indices to commits', () => {
  it('maps (L, F] through the series order and refuses an index outside it', () => {
    const change: ChangePoint = {
      kind: 'accepted',
      index: 3,
      lastBeforeIndex: 1,
      firstAfterIndex: 4,
      relativeChange: -0.05,
      relativeChangeCi: [-0.06, -0.04],
      pValue: 1e-6,
      direction: 'regression',
      pointsBefore: 3,
      pointsAfter: 10,
    };
    expect(toDetectedRanges(['a', 'b', 'c', 'd', 'e'], [change])).toEqual([
      { lastGoodSha: 'b', firstBadSha: 'e', kind: 'accepted', direction: 'regression', relativeChange: -0.05, relativeChangeCi: [-0.06, -0.04], pValue: 1e-6 },
    ]);
    expect(() => toDetectedRanges(['a', 'b'], [change])).toThrow(/index in \[0, 2\), got `4`/);
  });
});

describe('alert ids', () => {
  it('stay unique when a new alert is raised on the range an older alert moved away from', () => {
    const once = merge([alert(10, 12)], [detected(11, 14)]).alerts;
    const twice = merge(once, [detected(13, 16)]).alerts;
    expect(ranges(twice)).toEqual(['c13..c16:candidate']);
    const { alerts } = merge(twice, [detected(10, 12), detected(13, 16)]);
    expect(alerts.map((a) => [a.id, a.lastGoodSha, a.firstBadSha])).toEqual([
      [`${SERIES} c10..c12`, 'c13', 'c16'],
      [`${SERIES} c10..c12 #2`, 'c10', 'c12'],
    ]);
  });
});
