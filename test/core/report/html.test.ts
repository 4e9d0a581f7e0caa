import { describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../../src/core/report/html.ts';
import type { ReportInput } from '../../../src/core/report/types.ts';
import { commits, CULPRIT, fixtures, HOSTILE, HOSTILE_AUTHOR, HOSTILE_SUBJECT, injectText, makeCommandMode, PLAIN, type FixtureName } from './fixtures.ts';

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
const names = Object.keys(fixtures) as FixtureName[];
const all: [string, ReportInput][] = names.flatMap((n) => [
  [n, fixtures[n]],
  [`${n}, hostile`, injectText(fixtures[n], HOSTILE)],
  [`${n}, command mode`, makeCommandMode(fixtures[n])],
]);

describe('renderReportHtml: one self-contained, well-formed file', () => {
  it.each(all)('%s', (_name, input) => {
    const html = renderReportHtml(input);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    const tags = scanTags(html);
    expect(findUnbalanced(tags)).toEqual([]);
    // nothing that runs or fetches: no scripts, frames, images, links, handlers or URLs
    const used = new Set(tags.map((t) => t.name));
    for (const banned of ['script', 'link', 'iframe', 'img', 'object', 'embed', 'image', 'use', 'foreignobject', 'base', 'form']) expect(used, banned).not.toContain(banned);
    for (const t of tags) for (const a of t.attributes) expect(a, `<${t.name} ${a}>`).not.toMatch(/^(src|href|xlink:href|action|srcset)$|^on/i);
    expect(html).not.toMatch(/url\(|@import|https?:\/\/|\/\/[a-z]/i);
  });
});

describe('renderReportHtml: hostile commit text never becomes markup', () => {
  it.each(names)('%s: the same markup as with plain text in the same places, every hostile string escaped', (name) => {
    const benign = renderReportHtml(injectText(fixtures[name], PLAIN));
    const hostile = renderReportHtml(injectText(fixtures[name], HOSTILE));
    expect(skeleton(hostile)).toEqual(skeleton(benign));
    expect(hostile).not.toContain(HOSTILE_SUBJECT);
    expect(hostile).not.toContain(HOSTILE_AUTHOR);
    expect(hostile).not.toMatch(/<script|<img|<i>|<b>co/i);
    expect(hostile).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &quot;quoted&quot; &#39;single&#39; &lt;img src=x onerror=alert(1)&gt;&lt;/svg&gt;&lt;/title&gt;');
    expect(hostile).toContain('&quot;&gt;&lt;script&gt;x&lt;/script&gt;'); // the host fingerprint
  });

  it('escapes the culprit\'s author in the headline\'s byline', () => {
    expect(renderReportHtml(injectText(fixtures.culprit, HOSTILE))).toContain('Eve &quot;&lt;eve@evil.example&gt;&quot; &amp; &lt;b&gt;co&lt;/b&gt; · 2024-01-06T12:00:00Z&lt;i&gt;');
  });
});

describe('renderReportHtml: verdict, change and plots', () => {
  const sha = (i: number): string => commits[i]?.sha ?? '?';
  it.each([
    ['culprit', 'bad', `First bad commit: <code>${sha(CULPRIT).slice(0, 12)}</code> virtio_net: add udelay(50) per packet in start_xmit`, 'probability 97.3%'],
    ['range', 'bad', 'First bad commit is one of 3 commits (skipped commits hide which)', 'probability 96.0% (range)'],
    ['no-regression', 'good', 'No confirmed regression between GOOD and BAD', 'probability n/a'],
    ['inconclusive', 'mid', 'Inconclusive', 'probability n/a'],
    ['running', 'mid', 'Bisection still running', 'probability n/a'],
  ] as const)('%s: badge %s and its headline', (name, badge, headline, probability) => {
    const html = renderReportHtml(fixtures[name]);
    expect(html).toContain(`<h1><span class="badge ${badge}">${name}</span>${headline}</h1>`);
    expect(html).toContain(probability);
  });

  it('shows the change with its CI for GOOD → BAD and parent → culprit', () => {
    const html = renderReportHtml(fixtures.culprit);
    expect(html).toContain('<tr><th>GOOD → BAD</th><td>6799</td><td class="neg">-7.1% <span class="muted">[-9.0%, -5.2%]</span></td><td>6316</td>');
    expect(html).toContain('<tr><th>parent → culprit</th><td>6790</td><td class="neg">-6.9% <span class="muted">[-9.5%, -5.0%]</span></td><td>6320</td>');
  });

  it('steps: a bisection step shows its median, calibration and verification the change they measured (not a ratio read as a median)', () => {
    const html = renderReportHtml(fixtures.culprit);
    expect(html).toContain('<th>median / change</th>');
    const rows = [...html.matchAll(/<tr><td>\d+<\/td><td>(calibrate|bisect|verify)<\/td>.*?<\/tr>/g)];
    const cells = rows.map((r) => [r[1], /<td>(\d+)<\/td><td>([^<]*)<\/td><td>[-\d.]*<\/td><td>\d*%?<\/td><td class="muted">/.exec(r[0])?.[2]]);
    expect(cells).toEqual([['calibrate', '-7.1%'], ['bisect', '6799'], ['bisect', '6316'], ['bisect', '6799'], ['verify', '-7.1%']]);
  });

  it('draws every boot as a point and the posterior as cells, with the culprit marked', () => {
    const input = fixtures.culprit;
    const html = renderReportHtml(input);
    expect(html.match(/<svg /g)).toHaveLength(2);
    const boots = Object.values(input.bootsByCommit).flat().length;
    expect(html.match(/<circle /g)).toHaveLength(boots);
    expect(html).toContain(`<title>${sha(CULPRIT).slice(0, 12)} boot 10: `);
    expect(html).toContain('<title>culprit</title></rect>');
    expect(html).toContain('<title>GOOD median</title>');
    expect(html).toContain('<title>BAD median</title>');
    const cells = input.posteriorHistory.flat().filter((p) => p >= 0.002).length;
    expect(html.match(/fill="#1565c0"/g)).toHaveLength(cells);
    expect(html).toContain(`<title>step 4, ${sha(5).slice(0, 12)}: 97.3%</title>`);
    for (let s = 1; s <= input.posteriorHistory.length; s++) expect(html).toContain(`>step ${s}</text>`);
  });

  it.each([
    ['culprit', 'before culprit', 'candidates'],
    ['range', 'tested commits', 'culprit'],
    ['no-regression', 'tested commits', 'culprit'],
  ] as const)('%s: a legend that fits the outcome (%s), and the band it marks', (name, legend, notMarked) => {
    const html = renderReportHtml(fixtures[name]);
    expect(html).toContain(`</i>${legend}</span>`);
    expect(html).not.toContain(`<title>${notMarked}</title></rect>`);
    if (name === 'range') expect(html).toMatch(/width="311\.\d"[^>]*><title>candidates<\/title><\/rect>/); // three commits wide
    if (name === 'no-regression') expect(html).not.toMatch(/<title>(culprit|candidates)<\/title>/);
  });

  it('says so, and draws nothing, before the first boot', () => {
    const html = renderReportHtml(fixtures.running);
    expect(html).not.toContain('<svg');
    expect(html).toContain('<p class="muted">No boots measured yet.</p>');
    expect(html).toContain('<p class="muted">No steps yet.</p>');
  });
});

describe('renderReportHtml: host, accelerator and mode', () => {
  it('names the host fingerprint and the accelerator, at the top and in the setup', () => {
    const html = renderReportHtml({ ...fixtures.culprit, host: { fingerprint: '3f2a9c1d7e5b4a60', accel: 'tcg' } });
    expect(html).toMatch(/<div class="meta">[^\n]*host <span class="mono">3f2a9c1d7e5b4a60<\/span> · accelerator tcg <span class="muted">\(software emulation: not comparable with KVM results\)<\/span><\/div>/);
    expect(html).toContain('<tr><th>host fingerprint</th><td class="mono">3f2a9c1d7e5b4a60</td></tr>');
    expect(html).toContain('<tr><th>accelerator</th><td>tcg <span class="muted">(software emulation: not comparable with KVM results)</span></td></tr>');
    expect(html).not.toMatch(/this host|accel auto/);
  });

  it.each(names)('%s in command mode: samples and checkouts, never boots or builds, host n/a', (name) => {
    // warnings are the engine's own sentences, not the renderer's words
    const input = { ...makeCommandMode(fixtures[name]), host: { fingerprint: '3f2a9c1d7e5b4a60', accel: 'kvm' } };
    const html = renderReportHtml({ ...input, result: { ...input.result, warnings: [] } });
    expect(html).not.toMatch(/\bboots?\b|\bbuilds?\b/i);
    expect(html).toContain('<div>checkouts<b>');
    expect(html).toContain('<div>samples<b>');
    expect(html).toContain('<h2>Samples along the range</h2>');
    expect(html).toContain('<tr><th>host fingerprint</th><td class="mono">n/a</td></tr>');
    expect(html).toContain('<tr><th>accelerator</th><td>n/a</td></tr>');
    expect(html).not.toContain('3f2a9c1d7e5b4a60');
  });

  it('kernel mode speaks of boots and builds', () => {
    const html = renderReportHtml(fixtures.culprit);
    expect(html).toContain('<div>builds<b>5</b></div><div>boots<b>31</b></div>');
    expect(html).toContain('<h2>Boots along the range</h2>');
    expect(html).toContain('<th>verdict</th><th>boots</th>');
  });

  it('says what sampling.adaptive decided, escaped, in the setup table; nothing for a fixed profile', () => {
    const sampling = { ...{ runsPerBoot: 1, warmupRuns: 0, endpointBoots: [3, 3] as const, reason: 'GOOD→BAD down by 34.0% or more ends a commit\'s test at its least 2 boots whatever the runs, so a run more buys nothing' }, reason: HOSTILE_SUBJECT };
    const html = renderReportHtml({ ...fixtures.culprit, sampling });
    expect(html).toContain('<tr><th>runs per boot</th><td>sampling.adaptive: 1 run a boot once 3 GOOD + 3 BAD boots were in: &lt;script&gt;');
    expect(html).not.toContain(HOSTILE_SUBJECT);
    expect(renderReportHtml(fixtures.culprit)).not.toContain('runs per boot');
  });

  it('counts the reference boots among the boots, as the text report does', () => {
    const input = fixtures.culprit;
    expect(renderReportHtml({ ...input, result: { ...input.result, referenceBoots: 7 } })).toContain('<div>boots<b>31</b><span class="muted">7 reference</span></div>');
    expect(renderReportHtml({ ...input, result: { ...input.result, referenceBoots: 0 } })).toContain('<div>boots<b>31</b></div>');
  });
});
