// The HTML report: one self-contained file (inline CSS and SVG, no scripts,
// nothing fetched) with the verdict, the change, and two plots: the boots (in
// command mode, the samples) of every tested commit along the range, and the
// posterior after every step.
import { median } from '../stats/descriptive.ts';
import { describeStepEstimate, formatChangeLine, formatNumber, formatPercent } from './text.ts';
import type { ReportInput } from './types.ts';
import { describeHost, describeSampling, wordsFor } from './wording.ts';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

// Round tick values covering [lo, hi] (Heckbert's "nice numbers", Graphics Gems 1990).
export function computeNiceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

const COLORS = { good: '#2e7d32', bad: '#c62828', mid: '#455a64', culprit: '#f9a825', grid: '#e0e0e0', text: '#263238' };

function renderStripPlot(input: ReportInput): string {
  const { commits, bootsByCommit, result } = input;
  const all = commits.flatMap((c) => bootsByCommit[c.sha] ?? []);
  const words = wordsFor(input);
  if (all.length === 0) return `<p class="muted">No ${words.samples} measured yet.</p>`;
  const W = 920;
  const H = 340;
  const m = { l: 70, r: 20, t: 20, b: 90 };
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.05 || 1;
  const ticks = computeNiceTicks(lo - pad, hi + pad);
  const yMin = Math.min(lo - pad, ticks[0] ?? lo);
  const yMax = Math.max(hi + pad, ticks[ticks.length - 1] ?? hi);
  const n = commits.length;
  const x = (i: number): number => m.l + ((i + 0.5) * (W - m.l - m.r)) / n;
  const y = (v: number): number => m.t + ((yMax - v) * (H - m.t - m.b)) / (yMax - yMin);
  const parts: string[] = [];
  for (const t of ticks) {
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${m.l - 8}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" class="tick">${escapeHtml(formatNumber(t))}</text>`);
  }
  const culpritIdx = result.culprit ? commits.findIndex((c) => c.sha === result.culprit?.commit) : -1;
  if (culpritIdx > 0) {
    const w = (W - m.l - m.r) / n;
    parts.push(`<rect x="${(x(culpritIdx) - w / 2).toFixed(1)}" y="${m.t}" width="${w.toFixed(1)}" height="${H - m.t - m.b}" fill="${COLORS.culprit}" opacity="0.25"><title>culprit</title></rect>`);
  }
  // a range outcome: shade the candidates, since no single commit can be marked
  const rangeFirst = result.range ? commits.findIndex((c) => c.sha === result.range?.first) : -1;
  const rangeLast = result.range ? commits.findIndex((c) => c.sha === result.range?.last) : -1;
  if (culpritIdx <= 0 && rangeFirst > 0 && rangeLast >= rangeFirst) {
    const w = (W - m.l - m.r) / n;
    parts.push(`<rect x="${(x(rangeFirst) - w / 2).toFixed(1)}" y="${m.t}" width="${(w * (rangeLast - rangeFirst + 1)).toFixed(1)}" height="${H - m.t - m.b}" fill="${COLORS.culprit}" opacity="0.18"><title>candidates</title></rect>`);
  }
  const goodVals = bootsByCommit[commits[0]?.sha ?? ''] ?? [];
  const badVals = bootsByCommit[commits[n - 1]?.sha ?? ''] ?? [];
  for (const [vals, color, label] of [[goodVals, COLORS.good, 'GOOD median'], [badVals, COLORS.bad, 'BAD median']] as const) {
    if (vals.length === 0) continue;
    const yy = y(median(vals)).toFixed(1);
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${yy}" y2="${yy}" stroke="${color}" stroke-dasharray="6 4" stroke-width="1.5"><title>${label}</title></line>`);
  }
  commits.forEach((c, i) => {
    const vals = bootsByCommit[c.sha] ?? [];
    const color = i === 0 ? COLORS.good : i === n - 1 ? COLORS.bad : i >= culpritIdx && culpritIdx > 0 ? COLORS.bad : COLORS.mid;
    vals.forEach((v, k) => {
      const jitter = ((k * 37) % 11) / 10 - 0.5;
      parts.push(`<circle cx="${(x(i) + jitter * 10).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3.2" fill="${color}" fill-opacity="0.75"><title>${escapeHtml(`${c.sha.slice(0, 12)} ${words.sample} ${k + 1}: ${formatNumber(v)}`)}</title></circle>`);
    });
    if (vals.length > 0) {
      const mv = y(median(vals)).toFixed(1);
      parts.push(`<line x1="${(x(i) - 9).toFixed(1)}" x2="${(x(i) + 9).toFixed(1)}" y1="${mv}" y2="${mv}" stroke="${COLORS.text}" stroke-width="2"/>`);
    }
    const every = Math.max(1, Math.ceil(n / 40));
    if (i % every === 0 || i === n - 1 || i === culpritIdx) {
      const label = i === 0 ? 'GOOD' : i === n - 1 ? 'BAD' : c.sha.slice(0, 7);
      parts.push(`<text transform="translate(${x(i).toFixed(1)},${H - m.b + 12}) rotate(-50)" text-anchor="end" class="tick${i === culpritIdx ? ' strong' : ''}">${escapeHtml(label)}</text>`);
    }
  });
  parts.push(`<text x="16" y="${(m.t + (H - m.t - m.b) / 2).toFixed(0)}" transform="rotate(-90 16 ${(m.t + (H - m.t - m.b) / 2).toFixed(0)})" text-anchor="middle" class="axis">${escapeHtml(`${input.metric.name} [${input.metric.unit}]`)}</text>`);
  return `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${words.samples} per commit">${parts.join('')}</svg>`;
}

function renderPosteriorPlot(input: ReportInput): string {
  const history = input.posteriorHistory;
  const candidates = input.commits.slice(1);
  if (history.length === 0 || candidates.length === 0) return '<p class="muted">No steps yet.</p>';
  const W = 920;
  const cellH = Math.max(8, Math.min(22, 300 / history.length));
  const m = { l: 70, r: 20, t: 10, b: 80 };
  const H = m.t + m.b + cellH * history.length;
  const cw = (W - m.l - m.r) / candidates.length;
  const parts: string[] = [];
  history.forEach((row, s) => {
    parts.push(`<text x="${m.l - 8}" y="${(m.t + s * cellH + cellH * 0.72).toFixed(1)}" text-anchor="end" class="tick">step ${s + 1}</text>`);
    row.forEach((p, i) => {
      if (p < 0.002) return;
      parts.push(`<rect x="${(m.l + i * cw).toFixed(1)}" y="${(m.t + s * cellH).toFixed(1)}" width="${Math.max(1, cw - 1).toFixed(1)}" height="${(cellH - 1).toFixed(1)}" fill="#1565c0" fill-opacity="${Math.min(1, 0.08 + p).toFixed(3)}"><title>${escapeHtml(`step ${s + 1}, ${candidates[i]?.sha.slice(0, 12) ?? ''}: ${(p * 100).toFixed(1)}%`)}</title></rect>`);
    });
  });
  const every = Math.max(1, Math.ceil(candidates.length / 40));
  candidates.forEach((c, i) => {
    if (i % every !== 0 && i !== candidates.length - 1) return;
    parts.push(`<text transform="translate(${(m.l + (i + 0.5) * cw).toFixed(1)},${H - m.b + 12}) rotate(-50)" text-anchor="end" class="tick">${escapeHtml(c.sha.slice(0, 7))}</text>`);
  });
  return `<svg viewBox="0 0 ${W} ${H.toFixed(0)}" width="100%" role="img" aria-label="posterior per step">${parts.join('')}</svg>`;
}

// Renders the report as one self-contained HTML document.
export function renderReportHtml(input: ReportInput): string {
  const { result, commits } = input;
  const bySha = new Map(commits.map((c) => [c.sha, c]));
  const good = commits[0];
  const bad = commits[commits.length - 1];
  const culprit = result.culprit ? bySha.get(result.culprit.commit) : undefined;
  const words = wordsFor(input);
  const host = describeHost(input);
  const accelText = `${escapeHtml(host.accel)}${host.accelNote ? ` <span class="muted">(${escapeHtml(host.accelNote)})</span>` : ''}`;
  const headline =
    result.outcome === 'culprit' && result.culprit
      ? `First bad commit: <code>${escapeHtml(result.culprit.commit.slice(0, 12))}</code> ${escapeHtml(culprit?.subject ?? '')}`
      : result.outcome === 'range' && result.range
        ? `First bad commit is one of ${result.range.commits.length} commits (skipped commits hide which)`
        : result.outcome === 'no-regression'
          ? 'No confirmed regression between GOOD and BAD'
          : result.outcome === 'running'
            ? 'Bisection still running'
            : 'Inconclusive';
  const badge = result.outcome === 'culprit' || result.outcome === 'range' ? 'bad' : result.outcome === 'no-regression' ? 'good' : 'mid';
  const changeRow = (label: string, ch: typeof result.change, before: readonly number[], after: readonly number[]): string =>
    ch
      ? `<tr><th>${label}</th><td>${escapeHtml(formatNumber(ch.good))}</td><td class="${(ch.ratio < 1) === input.metric.higherIsBetter ? 'neg' : 'pos'}">${escapeHtml(formatPercent(ch.ratio))} <span class="muted">[${escapeHtml(formatPercent(ch.ci[0]))}, ${escapeHtml(formatPercent(ch.ci[1]))}]</span></td><td>${escapeHtml(formatNumber(ch.bad))}</td><td class="mono">${escapeHtml(formatChangeLine(input.metric.name, ch, before, after))}</td></tr>`
      : '';
  const culpritIdx = result.culprit ? commits.findIndex((c) => c.sha === result.culprit?.commit) : -1;
  const parent = culpritIdx > 0 ? commits[culpritIdx - 1] : undefined;
  // "before culprit" means nothing without a culprit: a range or no regression colours only the endpoints
  const legend =
    culpritIdx > 0
      ? `<span><i class="dot" style="background:${COLORS.mid}"></i>before culprit</span><span><i class="dot" style="background:${COLORS.bad}"></i>culprit and after / BAD</span>`
      : `<span><i class="dot" style="background:${COLORS.mid}"></i>tested commits</span><span><i class="dot" style="background:${COLORS.bad}"></i>BAD</span>${result.range ? '<span>shaded: the candidates</span>' : ''}`;
  const stepRows = result.steps
    .map((s, i) => {
      const c = bySha.get(s.commit);
      return `<tr><td>${i + 1}</td><td>${s.phase}</td><td><code>${escapeHtml(s.commit.slice(0, 12))}</code> ${escapeHtml(c?.subject ?? '')}</td><td class="v-${s.verdict}">${s.verdict}</td><td>${s.boots}</td><td>${escapeHtml(describeStepEstimate(s)?.value ?? '')}</td><td>${s.llr === null ? '' : s.llr.toFixed(2)}</td><td>${s.leaderProbability === null ? '' : `${(s.leaderProbability * 100).toFixed(0)}%`}</td><td class="muted">${escapeHtml(s.note)}</td></tr>`;
    })
    .join('\n');
  const warnings = result.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>kbisect report: ${escapeHtml(input.profile.name)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:${COLORS.text};margin:0;background:#fafafa}
main{max-width:980px;margin:0 auto;padding:24px 28px 48px;background:#fff;box-shadow:0 0 0 1px #eceff1}
h1{font-size:22px;margin:0 0 4px} h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #eceff1;padding-bottom:4px}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;font-size:12px;color:#fff;vertical-align:middle;margin-right:8px}
.badge.bad{background:${COLORS.bad}}.badge.good{background:${COLORS.good}}.badge.mid{background:${COLORS.mid}}
.meta{color:#607d8b;font-size:13px} code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px}
table{border-collapse:collapse;width:100%;font-size:13px} th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #f0f0f0;vertical-align:top}
th{font-weight:600;color:#455a64} .neg{color:${COLORS.bad};font-weight:600} .pos{color:${COLORS.good};font-weight:600} .muted{color:#90a4ae}
.v-like-good{color:${COLORS.good}} .v-like-bad{color:${COLORS.bad}} .v-unknown{color:#ef6c00} .v-skipped{color:#90a4ae}
.tick{font-size:11px;fill:#607d8b} .tick.strong{fill:#000;font-weight:700} .axis{font-size:12px;fill:#455a64}
.legend span{margin-right:14px;font-size:12px} .dot{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:4px;vertical-align:middle}
.summary{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin-top:14px}
.summary div{background:#f5f7f8;border-radius:6px;padding:8px 12px} .summary b{display:block;font-size:20px}
ul.warn li{color:#ef6c00}
</style></head>
<body><main>
<h1><span class="badge ${badge}">${escapeHtml(result.outcome)}</span>${headline}</h1>
<div class="meta">${culprit ? `${escapeHtml(culprit.author)} · ${escapeHtml(culprit.date)} · ` : ''}probability ${result.culprit ? `${(result.culprit.probability * 100).toFixed(1)}%` : result.range ? `${(result.range.probability * 100).toFixed(1)}% (range)` : 'n/a'} · host <span class="mono">${escapeHtml(host.fingerprint)}</span> · accelerator ${accelText}</div>
<div class="summary"><div>${words.builds}<b>${result.builds}</b></div><div>${words.samples}<b>${result.boots}</b>${(result.referenceBoots ?? 0) > 0 ? `<span class="muted">${result.referenceBoots} reference</span>` : ''}</div><div>steps<b>${result.steps.length}</b></div><div>wall time<b>${input.wallMs === null ? 'n/a' : `${(input.wallMs / 60000).toFixed(1)} min`}</b></div></div>
<h2>Change</h2>
<table><tr><th></th><th>before</th><th>change [95% CI]</th><th>after</th><th>LKP-style</th></tr>
${changeRow('GOOD → BAD', result.change, input.bootsByCommit[good?.sha ?? ''] ?? [], input.bootsByCommit[bad?.sha ?? ''] ?? [])}
${changeRow('parent → culprit', result.culpritChange, input.bootsByCommit[parent?.sha ?? ''] ?? [], input.bootsByCommit[result.culprit?.commit ?? ''] ?? [])}
</table>
${result.explainsFullChange === false ? '<p class="neg">The culprit does not explain the whole GOOD → BAD change: there may be more than one culprit.</p>' : ''}
${result.range ? `<p>Candidates: ${result.range.commits.map((s) => `<code>${escapeHtml(s.slice(0, 12))}</code> ${escapeHtml(bySha.get(s)?.subject ?? '')}`).join('<br>')}</p>` : ''}
${warnings ? `<ul class="warn">${warnings}</ul>` : ''}
<h2>${words.samplesHeading} along the range</h2>
<div class="legend"><span><i class="dot" style="background:${COLORS.good}"></i>GOOD</span>${legend}<span>— median per commit, dashed: GOOD and BAD medians</span></div>
${renderStripPlot(input)}
<h2>Posterior of "first bad commit" after each step</h2>
${renderPosteriorPlot(input)}
<h2>Steps</h2>
<table><tr><th>#</th><th>phase</th><th>commit</th><th>verdict</th><th>${words.samples}</th><th>median / change</th><th>LLR</th><th>leader</th><th>note</th></tr>
${stepRows}
</table>
<h2>Setup</h2>
<table>
<tr><th>repository</th><td class="mono">${escapeHtml(input.repo)}</td></tr>
<tr><th>GOOD</th><td><code>${escapeHtml(good?.sha ?? '')}</code> ${escapeHtml(good?.subject ?? '')}</td></tr>
<tr><th>BAD</th><td><code>${escapeHtml(bad?.sha ?? '')}</code> ${escapeHtml(bad?.subject ?? '')}</td></tr>
<tr><th>profile</th><td>${escapeHtml(input.profile.name)} <span class="mono muted">${escapeHtml(input.profile.hash.slice(0, 16))}</span>${
  input.profile.sourceUrl === undefined ? '' : ` from <span class="mono">${escapeHtml(input.profile.sourceUrl)}</span> at <code>${escapeHtml(input.profile.sourceCommit ?? 'unknown')}</code>`
}</td></tr>
<tr><th>metric</th><td>${escapeHtml(input.metric.name)} [${escapeHtml(input.metric.unit)}], ${input.metric.higherIsBetter ? 'higher' : 'lower'} is better</td></tr>
<tr><th>host fingerprint</th><td class="mono">${escapeHtml(host.fingerprint)}</td></tr>
<tr><th>accelerator</th><td>${accelText}</td></tr>
${input.sampling === undefined ? '' : `<tr><th>runs per boot</th><td>${escapeHtml(describeSampling(input.sampling))}</td></tr>\n`}<tr><th>seed</th><td>${result.seed}</td></tr>
<tr><th>generated</th><td>${escapeHtml(input.generatedAt)} by kbisect</td></tr>
</table>
</main></body></html>
`;
}
