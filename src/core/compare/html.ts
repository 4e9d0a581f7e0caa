// The HTML report of a comparison: one self-contained file (inline CSS and
// SVG, no scripts, nothing fetched), every string escaped. Per metric, the
// distribution of A's and B's boots side by side (each boot a dot, the box
// from the first to the third quartile, the median a bar), on one axis.
import { formatPercent as formatFraction } from '../format.ts';
import { computeNiceTicks } from '../report/html.ts';
import { formatNumber, formatPercent } from '../report/text.ts';
import { describeHost } from '../report/wording.ts';
import { median, quantile } from '../stats/descriptive.ts';
import { compareWords, formatLookChange } from './text.ts';
import type { CompareReport, MetricChange } from './types.ts';

const COLORS = { a: '#2e7d32', b: '#c62828', mid: '#455a64', grid: '#e0e0e0', text: '#263238' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

// Two rows of dots with their boxes on a shared value axis.
export function renderDistributionPlot(metric: MetricChange, sampleWord: string): string {
  const all = [...metric.a, ...metric.b];
  if (all.length === 0) return `<p class="muted">No ${escapeHtml(sampleWord)}s measured yet.</p>`;
  const W = 920;
  const H = 200;
  const m = { l: 60, r: 24, t: 16, b: 44 };
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.05 || 1;
  const ticks = computeNiceTicks(lo - pad, hi + pad, 8);
  const xMin = Math.min(lo - pad, ticks[0] ?? lo);
  const xMax = Math.max(hi + pad, ticks[ticks.length - 1] ?? hi);
  const x = (v: number): number => m.l + ((v - xMin) * (W - m.l - m.r)) / (xMax - xMin);
  const rowH = (H - m.t - m.b) / 2;
  const parts: string[] = [];
  for (const t of ticks) {
    const xx = x(t).toFixed(1);
    parts.push(`<line x1="${xx}" x2="${xx}" y1="${m.t}" y2="${H - m.b}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${xx}" y="${H - m.b + 16}" text-anchor="middle" class="tick">${escapeHtml(formatNumber(t))}</text>`);
  }
  const rows = [
    ['A', metric.a, COLORS.a],
    ['B', metric.b, COLORS.b],
  ] as const;
  rows.forEach(([label, values, color], r) => {
    const cy = m.t + rowH * (r + 0.5);
    parts.push(`<text x="${m.l - 12}" y="${(cy + 4).toFixed(1)}" text-anchor="end" class="axis strong">${label}</text>`);
    if (values.length === 0) return;
    const q1 = quantile(values, 0.25);
    const q3 = quantile(values, 0.75);
    const med = median(values);
    const boxH = rowH * 0.55;
    parts.push(
      `<rect x="${x(q1).toFixed(1)}" y="${(cy - boxH / 2).toFixed(1)}" width="${Math.max(1, x(q3) - x(q1)).toFixed(1)}" height="${boxH.toFixed(1)}" fill="${color}" fill-opacity="0.12" stroke="${color}"><title>${escapeHtml(`${label}: quartiles ${formatNumber(q1)} … ${formatNumber(q3)}`)}</title></rect>`,
    );
    parts.push(`<line x1="${x(med).toFixed(1)}" x2="${x(med).toFixed(1)}" y1="${(cy - boxH / 2 - 4).toFixed(1)}" y2="${(cy + boxH / 2 + 4).toFixed(1)}" stroke="${color}" stroke-width="3"><title>${escapeHtml(`${label} median ${formatNumber(med)}`)}</title></line>`);
    values.forEach((v, k) => {
      // a fixed jitter pattern: the same report twice is the same file
      const jitter = (((k * 37) % 11) / 10 - 0.5) * boxH * 0.8;
      parts.push(`<circle cx="${x(v).toFixed(1)}" cy="${(cy + jitter).toFixed(1)}" r="3.2" fill="${color}" fill-opacity="0.7"><title>${escapeHtml(`${label} ${sampleWord} ${k + 1}: ${formatNumber(v)}`)}</title></circle>`);
    });
  });
  parts.push(`<text x="${((m.l + W - m.r) / 2).toFixed(0)}" y="${H - 6}" text-anchor="middle" class="axis">${escapeHtml(`${metric.name} [${metric.unit}], ${metric.higherIsBetter ? 'higher' : 'lower'} is better`)}</text>`);
  return `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${escapeHtml(`${metric.name}: A and B`)}">${parts.join('')}</svg>`;
}

// Renders the report as one self-contained HTML document.
export function renderCompareHtml(report: CompareReport): string {
  const words = compareWords(report);
  const host = describeHost({ mode: report.mode === 'command' ? 'command' : 'kernel', host: report.host });
  const badge = report.outcome === 'different' ? (report.verdict === 'better' ? 'good' : 'bad') : report.outcome === 'same' ? 'good' : 'mid';
  const headline = report.verdict === null ? (report.outcome === 'same' ? 'A and B perform the same' : report.outcome === 'running' ? 'Comparison still running' : 'Inconclusive') : `B is ${report.verdict} than A`;
  const subject = (label: string, s: CompareReport['a']): string =>
    `<tr><th>${label}</th><td>${escapeHtml(s.rev)}</td><td><code>${escapeHtml(s.id)}</code></td><td>${escapeHtml(s.kind === 'image' ? 'kernel image' : s.subject)}</td></tr>`;
  const changeRows = report.changes
    .map((c) => {
      if (c.change === null) return `<tr><th>${escapeHtml(c.name)}</th><td colspan="4" class="muted">not measured on both sides</td></tr>`;
      const worse = (c.change.ratio < 1) === c.higherIsBetter;
      return `<tr><th>${escapeHtml(c.name)}${c.judged ? ' <span class="muted">(judged)</span>' : ''}</th><td>${escapeHtml(formatNumber(c.change.good))}</td><td class="${worse ? 'neg' : 'pos'}">${escapeHtml(formatPercent(c.change.ratio))} <span class="muted">[${escapeHtml(formatPercent(c.change.ci[0]))}, ${escapeHtml(formatPercent(c.change.ci[1]))}]</span></td><td>${escapeHtml(formatNumber(c.change.bad))}</td><td class="mono">${escapeHtml(c.line ?? '')}</td></tr>`;
    })
    .join('\n');
  const plots = report.changes.map((c) => `<h3>${escapeHtml(c.name)}${c.judged ? ' (judged)' : ''}</h3>\n${renderDistributionPlot(c, words.sample)}`).join('\n');
  const lookRows = report.looks
    .map((l) => `<tr><td>${l.look + 1}/${report.lookPlan.length}</td><td>${l.bootsA}+${l.bootsB}</td><td>${escapeHtml(formatLookChange(l))}</td><td>${l.p.toPrecision(3)}</td><td>${l.alpha.toPrecision(3)}</td><td>${escapeHtml(l.status)}</td></tr>`)
    .join('\n');
  const warnings = report.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('');
  const s = report.settings;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>kbisect compare: ${escapeHtml(report.a.rev)} vs ${escapeHtml(report.b.rev)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:${COLORS.text};margin:0;background:#fafafa}
main{max-width:980px;margin:0 auto;padding:24px 28px 48px;background:#fff;box-shadow:0 0 0 1px #eceff1}
h1{font-size:22px;margin:0 0 4px} h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #eceff1;padding-bottom:4px} h3{font-size:14px;margin:16px 0 4px}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;font-size:12px;color:#fff;vertical-align:middle;margin-right:8px}
.badge.bad{background:${COLORS.b}}.badge.good{background:${COLORS.a}}.badge.mid{background:${COLORS.mid}}
.meta{color:#607d8b;font-size:13px} code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px}
table{border-collapse:collapse;width:100%;font-size:13px} th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #f0f0f0;vertical-align:top}
th{font-weight:600;color:#455a64} .neg{color:${COLORS.b};font-weight:600} .pos{color:${COLORS.a};font-weight:600} .muted{color:#90a4ae}
.tick{font-size:11px;fill:#607d8b} .axis{font-size:12px;fill:#455a64} .strong{font-weight:700;fill:#000}
.legend span{margin-right:14px;font-size:12px} .dot{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:4px;vertical-align:middle}
ul.warn li{color:#ef6c00}
</style></head>
<body><main>
<h1><span class="badge ${badge}">${escapeHtml(report.outcome)}</span>${escapeHtml(headline)}</h1>
<div class="meta">${escapeHtml(report.reason)}</div>
<div class="meta">${report.boots.a}+${report.boots.b} ${words.samples}${report.mode === 'command' ? '' : ` · host <span class="mono">${escapeHtml(host.fingerprint)}</span> · accelerator ${escapeHtml(host.accel)}${host.accelNote ? ` (${escapeHtml(host.accelNote)})` : ''}`} · wall time ${report.wallMs === null ? 'n/a' : `${(report.wallMs / 60000).toFixed(1)} min`}</div>
<h2>Change A → B</h2>
<table><tr><th>metric</th><th>A</th><th>change [${escapeHtml(formatFraction(s.confidence, { digits: 0 }))} CI]</th><th>B</th><th>LKP-style</th></tr>
${changeRows}
</table>
${warnings ? `<ul class="warn">${warnings}</ul>` : ''}
<h2>Distributions</h2>
<div class="legend"><span><i class="dot" style="background:${COLORS.a}"></i>A</span><span><i class="dot" style="background:${COLORS.b}"></i>B</span><span>one dot per ${escapeHtml(words.sample)} (its median run); box: quartiles; bar: median</span></div>
${plots}
<h2>Looks</h2>
<table><tr><th>look</th><th>${words.samples}</th><th>change [CI of the look]</th><th>two-sided p</th><th>α</th><th>status</th></tr>
${lookRows}
</table>
<h2>Setup</h2>
<table>
${subject('A', report.a)}
${subject('B', report.b)}
<tr><th>profile</th><td colspan="3">${escapeHtml(report.profile.name)} <span class="mono muted">${escapeHtml(report.profile.hash.slice(0, 16))}</span></td></tr>
<tr><th>α</th><td colspan="3">${s.alpha} (both directions together), minimum effect ±${escapeHtml(formatFraction(s.minEffect))}, at most ${s.maxBootsPerSide} ${words.samples} per side</td></tr>
<tr><th>seed</th><td colspan="3">${s.seed} (the order within each pair of ${words.samples}, the bootstrap)</td></tr>
<tr><th>log</th><td colspan="3" class="mono">${escapeHtml(report.logDir)}</td></tr>
<tr><th>generated</th><td colspan="3">${escapeHtml(report.generatedAt)} by kbisect</td></tr>
</table>
</main></body></html>
`;
}
