// The comparison's report: an LKP-style line per metric of the profile (the
// judged one first), the JSON, and an HTML file that escapes everything it
// was given and fetches nothing.
import { describe, expect, it } from 'vitest';
import { applyCompareEvent, createCompare, nextCompareAction } from '../../../src/core/compare/engine.ts';
import { renderCompareHtml } from '../../../src/core/compare/html.ts';
import { buildCompareReport, toCompareJson, type CompareReportInput } from '../../../src/core/compare/report.ts';
import { validateCompareSettings } from '../../../src/core/compare/settings.ts';
import { formatCompareText } from '../../../src/core/compare/text.ts';
import type { CompareState } from '../../../src/core/compare/types.ts';
import type { LoggedEvent } from '../../../src/core/session.ts';
import { makeLogSample } from '../../helpers/samples.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const HOSTILE = '<script>alert("x")</script>&\'';

// A decided kernel comparison: stream drops 10%, rr does not move.
function kernelRun(): { state: CompareState; events: LoggedEvent[] } {
  const { settings } = validateCompareSettings({ seed: 4, direction: 'lower-is-worse', minEffect: 0.02 });
  let state = createCompare({ a: A, b: B, settings });
  const events: LoggedEvent[] = [];
  const noise = makeLogSample(100, 0);
  for (let i = 0; ; i++) {
    const action = nextCompareAction(state);
    if (action.kind === 'done') break;
    const k = state[action.side].boots.length;
    const stream = 940 * Math.exp((action.side === 'b' ? -0.105 : 0) + (noise[k] ?? 0));
    const rr = 5900 * Math.exp(noise[(k + 3) % 100] ?? 0);
    const event = { kind: 'boot' as const, commit: action.id, runs: [stream, stream * 1.001, stream * 0.999] };
    events.push({
      kind: 'event',
      at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
      event,
      detail: {
        source: 'boot',
        imageHash: action.id,
        bootIndex: k,
        host: 'f00dfeedf00dfeed',
        accel: 'kvm',
        tests: [
          { test: 'stream', metric: 'throughput', unit: 'Mbit/s', runs: event.runs },
          { test: 'rr', metric: 'transaction-rate', unit: 'trans/s', runs: [rr, rr] },
        ],
      },
    });
    state = applyCompareEvent(state, event);
  }
  return { state, events };
}

function input(over: Partial<CompareReportInput> = {}): CompareReportInput {
  const { state, events } = kernelRun();
  return {
    mode: 'kernel',
    a: { rev: 'v6.1', id: A, subject: 'Linux 6.1', kind: 'commit' },
    b: { rev: 'v6.2', id: B, subject: 'Linux 6.2', kind: 'commit' },
    profile: { name: 'team/tcp', hash: '568adfd9'.repeat(8) },
    judged: { name: 'stream', metric: 'throughput', unit: 'Mbit/s', higherIsBetter: true },
    tests: [
      { name: 'rr', metric: 'transaction-rate', unit: 'trans/s', higherIsBetter: true },
      { name: 'stream', metric: 'throughput', unit: 'Mbit/s', higherIsBetter: true },
    ],
    state,
    events,
    logDir: '/repo/.git/kbisect/compare/x',
    generatedAt: '2026-01-01T01:00:00.000Z',
    ...over,
  };
}

describe('compare report', () => {
  it('has an LKP line per metric, the judged one first, and says B is worse', () => {
    const report = buildCompareReport(input());
    expect(report.outcome).toBe('different');
    expect(report.verdict).toBe('worse');
    expect(report.changes.map((c) => [c.name, c.judged])).toEqual([
      ['netperf.stream.throughput', true],
      ['netperf.rr.transaction-rate', false],
    ]);
    const [stream, rr] = report.changes;
    expect(stream?.change?.ratio).toBeCloseTo(Math.exp(-0.105), 2);
    expect(stream?.line).toMatch(/^netperf\.stream\.throughput {2}940\.\d ±\d+% {2}-10\.0% \[-1\d\.\d%, -\d\.\d%\] {2}846\.\d ±\d+%$/);
    expect(rr?.change?.ci[0]).toBeLessThan(1);
    expect(rr?.change?.ci[1]).toBeGreaterThan(1);
    expect(report.host).toEqual({ fingerprint: 'f00dfeedf00dfeed', accel: 'kvm' });
    expect(report.wallMs).toBe((report.boots.a + report.boots.b - 1) * 60_000);

    const text = formatCompareText(report);
    expect(text).toMatch(/^kbisect compare: different: B is worse than A\n {2}A {2}v6\.1 \(aaaaaaaaaaaa\) Linux 6\.1\n {2}B {2}v6\.2 \(bbbbbbbbbbbb\) Linux 6\.2\n/);
    expect(text).toContain('profile team/tcp (568adfd9568a), judged on netperf.stream.throughput [Mbit/s], higher is better');
    expect(text).toContain(`  ${stream?.line ?? ''}  (judged)`);
    expect(text).toMatch(/seed 4 \(the order within each pair\)/);

    const json = toCompareJson(report);
    expect(json).toMatchObject({ outcome: 'different', verdict: 'worse', seed: 4, boots: report.boots, a: { id: A }, b: { id: B } });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('is "running" before a decision, with nothing to report yet', () => {
    const { settings } = validateCompareSettings({ seed: 4, direction: 'lower-is-worse' });
    const report = buildCompareReport(input({ state: createCompare({ a: A, b: B, settings }), events: [] }));
    expect(report.outcome).toBe('running');
    expect(report.changes.every((c) => c.change === null && c.line === null)).toBe(true);
    expect(renderCompareHtml(report)).toContain('No boots measured yet.');
  });

  it('HTML: self-contained, one plot per metric, every given string escaped', () => {
    const html = renderCompareHtml(
      buildCompareReport(
        input({
          a: { rev: HOSTILE, id: A, subject: HOSTILE, kind: 'commit' },
          b: { rev: 'new', id: B, subject: `x" onload="alert(1)`, kind: 'commit' },
          profile: { name: HOSTILE, hash: '' },
          logDir: HOSTILE,
        }),
      ),
    );
    expect(html).not.toContain('<script');
    expect(html).not.toContain('" onload="');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).not.toMatch(/(src|href)=/);
    expect(html).toMatch(/<span class="badge bad">different<\/span>B is worse than A/);
  });
});
