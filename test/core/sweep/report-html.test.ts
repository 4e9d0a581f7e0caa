import { describe, expect, it } from 'vitest';
import { renderSweepHtml } from '../../../src/core/sweep/report-html.ts';
import type { SeriesPoint, SeriesView, SweepReportInput } from '../../../src/core/sweep/types.ts';
import { CULPRIT_ALERT, EPOCH_AT, fixture, HOSTILE_COMMAND, HOSTILE_SUBJECT, injectSweepText, makeCommandSweep, series, sha, SKIPPED_AT, SPIKE_AT } from './report-fixture.ts';

interface Tag {
  readonly name: string;
  readonly closing: boolean;
  readonly selfClosing: boolean;
  readonly attributes: readonly string[];
}

// Every tag in the document, in order: names and attribute names, the document's skeleton.
function scanTags(html: string): Tag[] {
  const tags: Tag[] = [];
  for (const m of html.matchAll(/<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+(?:="[^"]*")?)*)\s*(\/?)>/g)) {
    const attributes = [...(m[3] ?? '').matchAll(/([\w:-]+)(?:="[^"]*")?/g)].map((a) => a[1] ?? '');
    tags.push({ name: (m[2] ?? '').toLowerCase(), closing: m[1] === '/', selfClosing: m[4] === '/', attributes });
  }
  return tags;
}

const VOID = new Set(['meta', 'br']);

// Tags that open and are never closed, or close what was not open (a torn document).
function findUnbalanced(tags: readonly Tag[]): string[] {
  const stack: string[] = [];
  const problems: string[] = [];
  for (const t of tags) {
    if (t.selfClosing || VOID.has(t.name)) continue;
    if (!t.closing) stack.push(t.name);
    else if (stack.at(-1) === t.name) stack.pop();
    else problems.push(`</${t.name}> closes <${stack.at(-1) ?? 'nothing'}>`);
  }
  return [...problems, ...stack.map((s) => `<${s}> never closed`)];
}

const skeleton = (html: string): string[] => scanTags(html).map((t) => `${t.closing ? '/' : ''}${t.name}(${t.attributes.join(',')})`);
const count = (html: string, needle: string): number => html.split(needle).length - 1;

const withSeries = (s: Partial<SeriesView>): SweepReportInput => ({ ...fixture, series: [{ ...series, ...s }] });
const pointAt = (i: number): SeriesPoint => series.points[i] as SeriesPoint;

// 200 commits: the 40-point series five times over, with fresh indices and shas
function makeLongSeries(): SeriesView {
  const points = Array.from({ length: 5 }, (_, c) => series.points.map((p) => ({ ...p, index: p.index + 40 * c, sha: `${c}${p.sha.slice(1)}` }))).flat();
  return { ...series, points, epochs: [{ ...series.epochs[0]!, end: 200 }], changePoints: [] };
}

const cases: [string, SweepReportInput][] = [
  ['the fixture', fixture],
  ['the fixture, hostile text everywhere', injectSweepText(fixture, HOSTILE_SUBJECT)],
  ['command mode', makeCommandSweep(fixture)],
  ['no series, no alerts, no runs', { ...fixture, series: [], alerts: [], runs: [] }],
  ['a series without points', withSeries({ points: [], epochs: [], changePoints: [], referenceBoots: [] })],
  ['a series where every commit was skipped', withSeries({ points: series.points.map((p) => ({ ...p, boots: [], raw: null, adjusted: null, referenceLevel: null, skipped: true })), referenceBoots: [] })],
  ['NaN everywhere a number goes', withSeries({ points: series.points.map((p) => ({ ...p, raw: Number.NaN, adjusted: Number.NaN, referenceLevel: Number.NaN })), noiseSigma: Number.NaN })],
  ['200 points', withSeries(makeLongSeries())],
];

describe('renderSweepHtml: one self-contained, well-formed page', () => {
  it.each(cases)('%s', (_name, input) => {
    const html = renderSweepHtml(input);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    const tags = scanTags(html);
    expect(findUnbalanced(tags)).toEqual([]);
    // nothing that runs or fetches: no scripts, frames, images, links, handlers or URLs
    const used = new Set(tags.map((t) => t.name));
    for (const banned of ['script', 'link', 'iframe', 'img', 'object', 'embed', 'image', 'use', 'foreignobject', 'base', 'form']) expect(used, banned).not.toContain(banned);
    for (const t of tags) for (const a of t.attributes) expect(a, `<${t.name} ${a}>`).not.toMatch(/^(src|href|xlink:href|action|srcset)$|^on/i);
    expect(html).not.toMatch(/<script|url\(|@import|https?:\/\/|\/\/[a-z]/i);
    expect(html).not.toMatch(/NaN|undefined|Infinity|\[object/);
  });
});

describe('renderSweepHtml: hostile text never becomes markup', () => {
  const escaped = '&lt;script&gt;alert(1)&lt;/script&gt; &quot;&amp;&#39;';

  it('the same markup as with plain text in the same places, every hostile string escaped', () => {
    const benign = renderSweepHtml(injectSweepText(fixture, 'plain text'));
    const hostile = renderSweepHtml(injectSweepText(fixture, HOSTILE_SUBJECT));
    expect(skeleton(hostile)).toEqual(skeleton(benign));
    expect(hostile).not.toContain(HOSTILE_SUBJECT);
    expect(hostile).toContain(escaped);
  });

  it.each([
    ['the culprit’s subject, in the points table and the alert', fixture, `virtio_net: add per-packet delay ${escaped}`],
    ['the command, in the header', makeCommandSweep(fixture), `command <code>./bench.sh --label &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; &amp;&amp; echo &quot;&amp;&#39;&quot; &gt; /dev/null</code>`],
  ])('%s', (_where, input, expected) => {
    const html = renderSweepHtml(input);
    expect(html).toContain(expected);
    expect(html).not.toContain(HOSTILE_SUBJECT);
    expect(html).not.toContain(HOSTILE_COMMAND);
  });
});

describe('renderSweepHtml: header and runs', () => {
  const html = renderSweepHtml(fixture);

  it.each([
    ['repo, branch, profile and hash', '/src/linux · branch <b>net-next</b> · kernel · profile demo-guest-tx <span class="mono muted">568adfd9c0e1b2a3</span>'],
    ['test, metric, unit, boots per commit, generated', 'test TCP_STREAM · metric throughput [Mbit/s], higher is better · 5 boots per commit · generated 2024-03-03T06:00:00Z by kbisect'],
    ['runs table head', '<th class="num">run</th><th>started</th><th>finished</th><th>mode</th><th class="num">measured commits</th><th>host id</th>'],
    ['a finished run', '<tr><td class="num">1</td><td class="mono">2024-03-01T00:00:00Z</td><td class="mono">2024-03-01T05:00:00Z</td><td>range</td><td class="num">20</td><td class="mono">3f2a9c1d7e5b4a60</td>'],
    ['an interrupted run', '<td class="mono"><span class="tag warn">interrupted</span></td><td>new</td><td class="num">10</td>'],
    ['machine and its newest fingerprint', '<b>perf-lab-07</b> · Intel(R) Xeon(R) Gold 6346 CPU @ 3.10GHz · host kernel 6.1.0-21-amd64 · QEMU 7.2.9 · accel kvm <span class="mono muted">fingerprint a1b2c3d4e5f60718</span>'],
    ['epochs with their fingerprints', '2: points 30–39 (host, host kernel 6.1.0-18-amd64 → 6.1.0-21-amd64; host kernel 6.1.0-21-amd64, <span class="mono">a1b2c3d4e5f60718</span>)'],
    ['series key', `<td class="mono">${series.key}</td>`],
    ['reference commit', `<tr><th>reference</th><td><code>${sha(0).slice(0, 10)}</code> ${pointAt(0).subject}`],
    ['how each fingerprint was adjusted', 'adjustment: reference level interpolated in time (drift p &lt; 0.0001); none (no drift in the reference boots)'],
  ])('%s', (_what, expected) => {
    expect(html).toContain(expected);
  });

  it('command mode names the command, samples and no guest', () => {
    const cmd = renderSweepHtml(makeCommandSweep(fixture));
    expect(cmd).toContain('5 samples per commit');
    expect(cmd).not.toMatch(/QEMU|accel|boots per commit/);
  });
});

describe('renderSweepHtml: the series chart', () => {
  const html = renderSweepHtml(fixture);

  it('has a legend that names both lines', () => {
    for (const label of ['raw median', 'reference-adjusted', 'boots (raw)', 'excluded (spike)', 'skipped (failed)', 'epoch boundary']) expect(html).toContain(`</svg>${label}`);
    expect(html).toContain('<title>raw median</title>');
    expect(html).toContain('<title>reference-adjusted</title>');
  });

  it.each([
    ['change-point lines, one per change point', 'class="cp-line"', series.changePoints.length],
    ['epoch separators, one per epoch after the first', 'class="epoch-line"', series.epochs.filter((e) => e.start > 0).length],
    ['hollow markers for the screened spike (raw and adjusted)', 'class="excluded" ', 2],
    ['an x on the axis for the skipped and the once-failed commit', 'class="skip-mark"', 2],
    ['a dot per boot', 'r="2.4"', series.points.reduce((n, p) => n + p.boots.length, 0)],
    ['a diamond per reference boot', `<title>reference ${sha(0).slice(0, 10)}, run `, series.referenceBoots.length],
  ])('%s', (_what, needle, n) => {
    expect(count(html, needle)).toBe(n);
  });

  it('labels each change point with its size and kind, and each epoch with its reason', () => {
    expect(html).toMatch(/class="cp-label" fill="#c62828">-12\.0% accepted<\/text>/);
    expect(html).toMatch(/class="cp-label" fill="#c62828">-3\.5% candidate<\/text>/);
    expect(html).toContain('>epoch 2: host</text>');
  });

  it('marks the skipped commit, the spike and the epoch start in the points table', () => {
    expect(html).toContain(`<tr class="skipped"><td class="num">${SKIPPED_AT}</td>`);
    expect(html).toContain(`<tr class="excluded"><td class="num">${SPIKE_AT}</td>`);
    expect(html).toContain('<span class="tag epoch">epoch 2 starts: host</span>');
    expect(html).toContain('<span class="tag cp">accepted regression -12.0%</span>');
    expect(html).toContain(`<td class="num">${SKIPPED_AT}</td><td><code>${sha(SKIPPED_AT).slice(0, 10)}</code></td><td title="${pointAt(SKIPPED_AT).subject}">${pointAt(SKIPPED_AT).subject}</td><td class="num">0</td><td class="num">—</td><td class="num">—</td>`);
  });

  it('keeps 200 points readable: at most one rotated sha label every 17 px', () => {
    const long = renderSweepHtml(withSeries(makeLongSeries()));
    const labels = count(long, 'rotate(-55)');
    expect(labels).toBeGreaterThanOrEqual(40);
    expect(labels).toBeLessThanOrEqual(Math.floor((1140 - 86 - 18) / 17) + 1);
    expect(long).toContain('200 points, every 4th labelled');
  });

  it('draws the epoch line just before the epoch’s first point', () => {
    const step = (1140 - 86 - 18) / series.points.length;
    const x = (86 + EPOCH_AT * step).toFixed(1);
    expect(html).toContain(`<line class="epoch-line" x1="${x}" x2="${x}"`);
  });
});

describe('renderSweepHtml: the alert table', () => {
  const html = renderSweepHtml(fixture);

  it.each([
    ['culprit badge', '<span class="badge" style="background:#c62828">culprit</span>'],
    ['not-reproduced badge', '<span class="badge" style="background:#2e7d32">not-reproduced</span>'],
    ['candidate badge', '<span class="badge" style="background:#78909c">candidate</span>'],
    ['range with short shas and the commit count', `<div>L <code>${sha(23).slice(0, 10)}</code> ${pointAt(23).subject}</div><div>F <code>${sha(26).slice(0, 10)}</code> ${pointAt(26).subject}</div><div class="muted">3 commits in range</div>`],
    ['detector change with CI and p', '<div class="neg">-12.0% <span class="muted ci">[-13.5%, -10.4%]</span></div><div>p = 2.0e-9 · accepted</div>'],
    ['confirmation', '<div class="neg">-11.9% <span class="muted ci">[-13.8%, -10.1%]</span></div><div>p = 3.0e-6 · 10 + 10 boots</div><div>confirmed</div>'],
    ['a failed confirmation', '<div>p = 0.62 · 8 + 8 boots</div><div><b>not confirmed</b></div>'],
    ['bisection culprit and probability', `<div><b>culprit</b></div><div><code>${sha(25).slice(0, 10)}</code> virtio_net: add per-packet delay &lt;script&gt;`],
    ['bisection change and cost', '<div>-12.1% <span class="muted ci">[-13.9%, -10.3%]</span> <span class="muted">9375 → 8241</span></div><div class="muted">46 boots · 3 builds</div>'],
    ['why it was not reproduced', '<p class="why"><b>why not reproduced:</b> fresh boots of L and F differ by -0.3%'],
    ['the bisection’s text report, folded', '<details><summary>bisection report <span class="mono muted">/var/lib/kbisect/sweeps/nightly-tx/alerts/1</span></summary><pre>kbisect: culprit found\n'],
    ['history, folded', '<details><summary>history (4)</summary><ol class="history">'],
    ['LKP compare line', '      9371 ±  2%     -12.0%       8249 ±  3%  netperf.TCP_STREAM.throughput</pre>'],
  ])('%s', (_what, expected) => {
    expect(html).toContain(expected);
  });

  it('embeds one bisection report per alert with a bisection', () => {
    expect(count(html, '<summary>bisection report')).toBe(fixture.alerts.filter((a) => a.bisection !== null).length);
    expect(count(html, '<tr class="alert">')).toBe(fixture.alerts.length);
  });

  it('shows a state it does not know with a neutral badge', () => {
    const other = renderSweepHtml({ ...fixture, alerts: [{ ...CULPRIT_ALERT, state: 'confirmed' }] });
    expect(other).toContain('<span class="badge" style="background:#ef6c00">confirmed</span>');
  });
});

describe('renderSweepHtml: empty states say so', () => {
  it.each([
    ['no series', { ...fixture, series: [] }, '<p class="muted">No series yet: nothing has been measured in this sweep.</p>'],
    ['no alerts', { ...fixture, alerts: [] }, '<p class="muted">No alerts: the detector has raised nothing in this sweep.</p>'],
    ['no runs', { ...fixture, runs: [] }, '<p class="muted">No runs yet.</p>'],
    ['no points', withSeries({ points: [] }), '<p class="muted">No points in this series yet.</p>'],
    ['nothing measured', withSeries({ points: series.points.map((p) => ({ ...p, boots: [], raw: null, adjusted: null, referenceLevel: null })), referenceBoots: [] }), 'Nothing measured in this series yet'],
  ] as const)('%s', (_what, input, sentence) => {
    expect(renderSweepHtml(input)).toContain(sentence);
  });

  it('renders missing numbers as a dash', () => {
    const html = renderSweepHtml(withSeries({ points: series.points.map((p) => ({ ...p, raw: Number.NaN, adjusted: null })), noiseSigma: Number.NaN }));
    expect(html).toContain('<td class="num">—</td><td class="num">—</td>');
    expect(html).toContain('<th>noise</th><td>σ ≈ — per point');
  });
});
