import { describe, expect, it } from 'vitest';
import type { AlertState } from '../../../src/core/sweep/alerts.ts';
import { formatLkpCompareRow, formatLkpValue, formatPValue, renderSweepText } from '../../../src/core/sweep/report-text.ts';
import type { AlertView, SweepReportInput } from '../../../src/core/sweep/types.ts';
import { CANDIDATE_ALERT, CULPRIT_ALERT, fixture, HOSTILE_COMMAND, makeCommandSweep, NOT_REPRODUCED_ALERT, sha, STEP_AT } from './report-fixture.ts';

const SUBJECT = `[virtio_net] ${sha(STEP_AT).slice(0, 10)}: netperf.TCP_STREAM.throughput -12.1% regression`;
const RULE = '-'.repeat(72);

const withAlerts = (...alerts: AlertView[]): SweepReportInput => ({ ...fixture, alerts });
const inState = (alert: AlertView, state: string): AlertView => ({ ...alert, state: state as AlertState });

describe('formatLkpValue: the robot’s number format', () => {
  it.each([
    [9375, '9375'],
    [27370126, '27370126'],
    [-4397.4, '-4397'],
    [268.62, '268.62'],
    [0.123, '0.12'],
    [0, '0.00'],
    [114500000, '1.145e+08'],
    [2.9e11, '2.9e+11'],
    [Number.NaN, '—'],
    [Number.POSITIVE_INFINITY, '—'],
  ])('%d → %s', (value, text) => {
    expect(formatLkpValue(value)).toBe(text);
  });
});

describe('formatLkpCompareRow: columns as in LKP mails (right-aligned values, blank spread under 2%)', () => {
  it.each([
    [{ mean: 21281, stddevPercent: 147, n: 4 }, { mean: 63313, stddevPercent: 84, n: 4 }, 'numa-meminfo.node0.Shmem', '     21281 ±147%    +197.5%      63313 ± 84%  numa-meminfo.node0.Shmem'],
    [{ mean: 27370126, stddevPercent: 0.4, n: 4 }, { mean: 24170828, stddevPercent: 1.2, n: 4 }, 'will-it-scale.workload', '  27370126           -11.7%   24170828        will-it-scale.workload'],
    [{ mean: 268.62, stddevPercent: 53, n: 4 }, { mean: 104.1, stddevPercent: 114, n: 4 }, 'perf-sched.x', '    268.62 ± 53%     -61.2%     104.10 ±114%  perf-sched.x'],
    [{ mean: 9375, stddevPercent: 2.2, n: 6 }, { mean: 4397, stddevPercent: 3, n: 6 }, 'netperf.throughput', '      9375 ±  2%     -53.1%       4397 ±  3%  netperf.throughput'],
    // one boot has no spread to show
    [{ mean: 9375, stddevPercent: 5, n: 1 }, { mean: 9375, stddevPercent: 5, n: 1 }, 'm', '      9375            +0.0%       9375        m'],
    [{ mean: 0, stddevPercent: 0, n: 3 }, { mean: 5, stddevPercent: 0, n: 3 }, 'm', '      0.00                —       5.00        m'],
  ])('%j → %j', (before, after, metric, row) => {
    expect(formatLkpCompareRow(before, after, metric)).toBe(row);
  });
});

describe('formatPValue', () => {
  it.each([
    [null, '—'],
    [Number.NaN, '—'],
    [0.62, '0.62'],
    [0.0213, '0.021'],
    [3e-6, '3.0e-6'],
  ])('%s → %s', (p, text) => {
    expect(formatPValue(p)).toBe(text);
  });
});

describe('renderSweepText: an LKP-style mail per alert worth mailing', () => {
  const text = renderSweepText(fixture);

  it('starts with the subject line, then the robot’s greeting and headline', () => {
    const lines = text.split('\n');
    expect(lines[0]).toBe(SUBJECT);
    expect(text).toContain(`Greeting,\n\nFYI, we noticed a -12.1% regression of netperf.TCP_STREAM.throughput due to commit:\n\ncommit: ${sha(STEP_AT).slice(0, 12)} ("virtio_net: add per-packet delay <script>alert(1)</script> "&'")`);
  });

  it.each([
    ['repo and branch', 'repo: /src/linux  branch: net-next'],
    ['testcase', 'in testcase: netperf (profile demo-guest-tx @ 568adfd9, test TCP_STREAM)'],
    ['machine', 'on test machine: perf-lab-07, Intel(R) Xeon(R) Gold 6346 CPU @ 3.10GHz, host kernel 6.1.0-18-amd64, QEMU 7.2.9, accel kvm (host id 3f2a9c1d7e5b4a60)'],
    ['bisection', 'bisection: culprit, probability 97.3%, 46 boots, 3 builds'],
    ['change with CI', 'change: -12.1% [-13.9%, -10.3%] (parent 9375 → culprit 8241 Mbit/s)'],
    ['confirmation', 'confirmation: F/L -11.9% [-13.8%, -10.1%], p = 3.0e-6, 10 + 10 boots'],
    [
      'compare table',
      [
        `${sha(23).slice(0, 16)} ${sha(26).slice(0, 27)}`,
        '---------------- ---------------------------',
        '         %stddev     %change         %stddev',
        '             \\          |                \\',
        '      9371 ±  2%     -12.0%       8249 ±  3%  netperf.TCP_STREAM.throughput',
      ].join('\n'),
    ],
    ['reproduce', `To reproduce:\n\n        ${CULPRIT_ALERT.reproduce[0] ?? '?'}\n        kbisect run --boots 5`],
  ])('%s', (_what, expected) => {
    expect(text).toContain(expected);
  });

  it('mails neither the candidate nor the not-reproduced alert', () => {
    expect(text).not.toContain(RULE);
    expect(text).not.toContain(CANDIDATE_ALERT.id);
    expect(text).not.toContain(NOT_REPRODUCED_ALERT.id);
    expect(text.match(/^Greeting,$/gm)).toHaveLength(1);
  });
});

describe('renderSweepText: which states are mailed', () => {
  it.each([
    ['culprit', true],
    ['range', true],
    ['bisecting', true],
    ['confirmed', true],
    ['candidate', false],
    ['confirming', false],
    ['not-reproduced', false],
    ['ignored', false],
  ])('%s → %s', (state, mailed) => {
    const text = renderSweepText(withAlerts(inState(CANDIDATE_ALERT, state)));
    expect(text.startsWith('No confirmed alerts')).toBe(!mailed);
    if (!mailed) expect(text).toBe(`No confirmed alerts to report (1 alert: 1 ${state}).`);
  });

  it('separates alerts with a line of 72 dashes, in input order', () => {
    const text = renderSweepText(withAlerts(CULPRIT_ALERT, inState(CANDIDATE_ALERT, 'bisecting')));
    const blocks = text.split(`\n\n${RULE}\n\n`);
    expect(blocks).toHaveLength(2);
    expect(blocks[0]?.split('\n')[0]).toBe(SUBJECT);
    expect(blocks[1]?.split('\n')[0]).toBe(`[linux] ${sha(38).slice(0, 10)}: netperf.TCP_STREAM.throughput -3.5% regression`);
  });

  it('renders only the alerts asked for', () => {
    const input = withAlerts(CULPRIT_ALERT, inState(CANDIDATE_ALERT, 'bisecting'));
    expect(renderSweepText(input, { alertIds: [CANDIDATE_ALERT.id] }).split('\n')[0]).toContain(sha(38).slice(0, 10));
    expect(renderSweepText(input, { alertIds: [] })).toBe('No confirmed alerts to report (no alerts).');
  });

  it('says how many alerts there are, by state, when none is mailed', () => {
    expect(renderSweepText(withAlerts(NOT_REPRODUCED_ALERT, CANDIDATE_ALERT, inState(CANDIDATE_ALERT, 'not-reproduced')))).toBe(
      'No confirmed alerts to report (3 alerts: 2 not-reproduced, 1 candidate).',
    );
    expect(renderSweepText(withAlerts())).toBe('No confirmed alerts to report (no alerts).');
  });
});

describe('renderSweepText: outcomes other than a culprit', () => {
  const bisection = CULPRIT_ALERT.bisection;
  if (!bisection) throw new Error('fixture: the culprit alert has a bisection');

  it('a range names its ends and how many commits it holds; the area falls back to the repository', () => {
    const range: AlertView = {
      ...CULPRIT_ALERT,
      state: 'range',
      bisection: { ...bisection, outcome: 'range', culprit: null, range: { first: sha(24), last: sha(26), count: 3, probability: 0.96 } },
    };
    const text = renderSweepText(withAlerts(range));
    expect(text.split('\n')[0]).toBe(`[linux] ${sha(26).slice(0, 10)}: netperf.TCP_STREAM.throughput -12.1% regression`);
    expect(text).toContain('due to one of 3 commits (build or boot failures hide which one):');
    expect(text).toContain(`first: ${sha(24).slice(0, 12)} ("`);
    expect(text).toContain('bisection: range, probability 96.0%, 46 boots, 3 builds');
    expect(text).toContain('change: -12.1% [-13.9%, -10.3%] (L 9375 → F 8241 Mbit/s)');
  });

  it('a confirmed alert without a bisection quotes the confirmation and the range', () => {
    const text = renderSweepText(withAlerts({ ...inState(CULPRIT_ALERT, 'confirmed'), bisection: null }));
    expect(text.split('\n')[0]).toBe(`[linux] ${sha(26).slice(0, 10)}: netperf.TCP_STREAM.throughput -11.9% regression`);
    expect(text).toContain('between these commits (3 commits in range, confirmed, not yet bisected):');
    expect(text).toContain(`last good: ${sha(23).slice(0, 12)} ("virtio_net: refill rx buffers in NAPI")`);
    expect(text).not.toContain('bisection:');
  });

  it('without confirmation or bisection the detector’s estimate is the change, and missing commands are said', () => {
    const text = renderSweepText(withAlerts(inState(CANDIDATE_ALERT, 'bisecting')));
    expect(text).toContain('(2 commits in range, bisection running)');
    expect(text).toContain('change: -3.5% [-7.0%, +0.1%] (detector, p = 0.021)');
    expect(text).toContain('To reproduce:\n\n        (no commands recorded)');
  });
});

describe('renderSweepText in command mode', () => {
  const text = renderSweepText(makeCommandSweep(fixture));

  it('names the command instead of a profile, and no guest', () => {
    expect(text.split('\n')[0]).toBe(`[virtio_net] ${sha(STEP_AT).slice(0, 10)}: command.ops -12.1% regression`);
    expect(text).toContain(`in testcase: command \`${HOSTILE_COMMAND}\``);
    expect(text).toContain('on test machine: perf-lab-07, Intel(R) Xeon(R) Gold 6346 CPU @ 3.10GHz, host kernel 6.1.0-18-amd64 (host id 3f2a9c1d7e5b4a60)');
    expect(text).toContain('bisection: culprit, probability 97.3%, 46 samples, 3 checkouts');
    expect(text).toContain('confirmation: F/L -11.9% [-13.8%, -10.1%], p = 3.0e-6, 10 + 10 samples');
    expect(text).not.toMatch(/QEMU|accel|netperf\./);
  });
});
