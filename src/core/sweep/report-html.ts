// The sweep report: one self-contained HTML page (inline CSS and SVG, no
// scripts, nothing fetched) with every series plotted along the commits, the
// steps the detector found, the epochs it kept apart, and every alert with
// its evidence, so a kernel engineer can judge a regression from one file.
import { computeNiceTicks } from '../report/html.ts';
import { formatNumber, formatPercent } from '../report/text.ts';
import { formatQemuVersion } from '../format.ts';
import { formatLkpTable, formatMetricPath, formatPValue } from './report-text.ts';
import { describeDrift } from './series.ts';
import type { AlertView, SeriesPoint, SeriesView, SweepReportInput, SweepRunSummary } from './types.ts';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const esc = escapeHtml;
const DASH = '—';

const isNumber = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
const num = (v: number | null | undefined): string => (isNumber(v) ? esc(formatNumber(v)) : DASH);
const pct = (ratio: number | null | undefined): string => (isNumber(ratio) ? esc(formatPercent(ratio)) : DASH);
const ci = (lo: number, hi: number): string => `<span class="muted ci">[${pct(lo)}, ${pct(hi)}]</span>`;
const short = (sha: string): string => `<code>${esc(sha.slice(0, 10))}</code>`;
const f1 = (v: number): string => (isNumber(v) ? v.toFixed(1) : '0');

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const COLORS = {
  text: '#263238',
  grid: '#e6e9eb',
  axis: '#90a4ae',
  boot: '#42a5f5',
  raw: '#0d47a1',
  adjusted: '#e65100',
  reference: '#757575',
  regression: '#c62828',
  improvement: '#2e7d32',
  epoch: '#37474f',
  skip: '#d32f2f',
  failed: '#fb8c00',
};

const STATE_COLORS: Readonly<Record<string, string>> = {
  candidate: '#78909c',
  confirming: '#f9a825',
  confirmed: '#ef6c00',
  bisecting: '#1565c0',
  culprit: '#c62828',
  range: '#ad1457',
  'not-reproduced': '#2e7d32',
  ignored: '#9e9e9e',
};

function badge(state: string): string {
  return `<span class="badge" style="background:${STATE_COLORS[state] ?? '#607d8b'}">${esc(state)}</span>`;
}

// Small inline pictures for the legend, so the legend sits above the plot instead of over the data.
const SWATCH = {
  boot: `<svg class="sw" viewBox="0 0 22 12" width="22" height="12"><circle cx="7" cy="6" r="2.6" fill="${COLORS.boot}" fill-opacity="0.55"/><circle cx="14" cy="5" r="2.6" fill="${COLORS.boot}" fill-opacity="0.55"/></svg>`,
  raw: `<svg class="sw" viewBox="0 0 22 12" width="22" height="12"><line x1="1" x2="21" y1="6" y2="6" stroke="${COLORS.raw}" stroke-width="1.8"/><circle cx="11" cy="6" r="3" fill="${COLORS.raw}"/></svg>`,
  adjusted: `<svg class="sw" viewBox="0 0 22 12" width="22" height="12"><line x1="1" x2="21" y1="6" y2="6" stroke="${COLORS.adjusted}" stroke-width="1.8"/><rect x="8.5" y="3.5" width="5" height="5" fill="${COLORS.adjusted}"/></svg>`,
  reference: `<svg class="sw" viewBox="0 0 22 12" width="22" height="12"><line x1="1" x2="21" y1="6" y2="6" stroke="${COLORS.reference}" stroke-width="1.2" stroke-dasharray="3 2"/><path d="M11 2.5 L14.5 6 L11 9.5 L7.5 6 Z" fill="${COLORS.reference}" fill-opacity="0.8"/></svg>`,
  excluded: `<svg class="sw" viewBox="0 0 22 12" width="22" height="12"><circle cx="11" cy="6" r="3.8" fill="#fff" stroke="${COLORS.raw}" stroke-width="1.5"/></svg>`,
  skipped: `<svg class="sw" viewBox="0 0 22 12" width="22" height="12"><path d="M7 2 L15 10 M15 2 L7 10" stroke="${COLORS.skip}" stroke-width="2"/></svg>`,
  change: `<svg class="sw" viewBox="0 0 22 12" width="22" height="12"><rect x="4" y="0" width="14" height="12" fill="${COLORS.regression}" fill-opacity="0.12"/><line x1="11" x2="11" y1="0" y2="12" stroke="${COLORS.regression}" stroke-width="1.5" stroke-dasharray="3 2"/></svg>`,
  epoch: `<svg class="sw" viewBox="0 0 22 12" width="22" height="12"><line x1="11" x2="11" y1="0" y2="12" stroke="${COLORS.epoch}" stroke-width="2"/></svg>`,
};

function renderLegend(): string {
  const item = (swatch: string, label: string): string => `<span>${swatch}${label}</span>`;
  return `<div class="legend">${[
    item(SWATCH.boot, 'boots (raw)'),
    item(SWATCH.raw, 'raw median'),
    item(SWATCH.adjusted, 'reference-adjusted'),
    item(SWATCH.reference, 'reference boots and level (bold sha: the reference commit)'),
    item(SWATCH.excluded, 'excluded (spike)'),
    item(SWATCH.skipped, 'skipped (failed)'),
    item(SWATCH.change, 'change point: L..F shaded'),
    item(SWATCH.epoch, 'epoch boundary'),
  ].join('')}</div>`;
}

interface Geometry {
  readonly W: number;
  readonly H: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
  /** Width of one commit's slot. */
  readonly step: number;
  readonly x: (position: number) => number;
  readonly y: (value: number) => number;
}

// A path through the values, broken where a commit has no number; points set aside by the screen are left out.
function linePath(points: readonly SeriesPoint[], valueOf: (p: SeriesPoint) => number | null, g: Geometry): string {
  let d = '';
  let pen = false;
  points.forEach((p, i) => {
    const v = valueOf(p);
    if (p.excluded && isNumber(v)) return;
    if (!isNumber(v)) {
      pen = false;
      return;
    }
    d += `${pen ? 'L' : 'M'}${f1(g.x(i))} ${f1(g.y(v))} `;
    pen = true;
  });
  return d.trim();
}

function renderSeriesChart(series: SeriesView, input: SweepReportInput): string {
  const { points } = series;
  const n = points.length;
  const position = new Map(points.map((p, i) => [p.index, i]));
  const posOf = (index: number): number => position.get(index) ?? Math.max(0, Math.min(n - 1, index));
  const values = [
    ...points.flatMap((p) => p.boots.map((b) => b.value)),
    ...points.flatMap((p) => [p.raw, p.adjusted, p.referenceLevel]),
    ...series.referenceBoots.map((b) => b.value),
  ].filter(isNumber);
  if (values.length === 0) return '<p class="muted">Nothing measured in this series yet: every commit so far failed to build or boot.</p>';
  const W = 1140;
  const H = 460;
  const m = { l: 86, r: 18, t: 46, b: 112 };
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = (hi - lo) * 0.06 || Math.abs(hi) * 0.05 || 1;
  const ticks = computeNiceTicks(lo - pad, hi + pad, 6);
  const yMin = Math.min(lo - pad, ticks[0] ?? lo);
  const yMax = Math.max(hi + pad, ticks[ticks.length - 1] ?? hi);
  const step = (W - m.l - m.r) / n;
  const g: Geometry = {
    W,
    H,
    left: m.l,
    right: W - m.r,
    top: m.t,
    bottom: H - m.b,
    step,
    x: (i) => m.l + (i + 0.5) * step,
    y: (v) => m.t + ((yMax - v) * (H - m.t - m.b)) / (yMax - yMin),
  };
  const unit = series.test.unit;
  const words = input.sweep.mode === 'command' ? { sample: 'sample' } : { sample: 'boot' };
  const back: string[] = [];
  const marks: string[] = [];
  const front: string[] = [];

  // epochs: a faint fill on every other one, a solid line and a label where one begins
  series.epochs.forEach((e, k) => {
    const x0 = g.x(posOf(e.start)) - step / 2;
    const x1 = g.x(posOf(Math.max(e.start, e.end - 1))) + step / 2;
    if (k % 2 === 1) back.push(`<rect x="${f1(x0)}" y="${g.top}" width="${f1(Math.max(0, x1 - x0))}" height="${g.bottom - g.top}" fill="#f3f5f7"/>`);
    if (e.start > 0) {
      const tip = `epoch ${k + 1} from point ${e.start}: ${e.reason === 'host' ? 'the host changed' : e.reason === 'history' ? 'the branch history was rewritten' : 'first'}; ${e.host.cpuModel}, host kernel ${e.host.hostKernel}${input.sweep.mode === 'command' ? '' : `, ${formatQemuVersion(e.host.qemuVersion)}`}${e.note ? `; ${e.note}` : ''}`;
      marks.push(`<line class="epoch-line" x1="${f1(x0)}" x2="${f1(x0)}" y1="${g.top}" y2="${g.bottom}" stroke="${COLORS.epoch}" stroke-width="2"><title>${esc(tip)}</title></line>`);
      front.push(`<text x="${f1(x0 + 5)}" y="${g.top + 14}" class="lbl halo">epoch ${k + 1}: ${esc(e.reason)}</text>`);
    }
  });

  // change points: L..F shaded, a dashed line where the step is, its size and kind above the plot
  let lastLabelEnd = Number.NEGATIVE_INFINITY;
  let row = 0;
  for (const c of [...series.changePoints].sort((a, b) => a.index - b.index)) {
    const color = c.direction === 'regression' ? COLORS.regression : COLORS.improvement;
    const xl = g.x(posOf(c.lastBeforeIndex));
    const xf = g.x(posOf(c.firstAfterIndex));
    const xc = g.x(posOf(c.index)) - step / 2;
    const tip = `${c.kind} ${c.direction} at point ${c.index} (L ${c.lastBeforeIndex}, F ${c.firstAfterIndex}): ${formatPercent(1 + c.relativeChange)} [${formatPercent(1 + c.relativeChangeCi[0])}, ${formatPercent(1 + c.relativeChangeCi[1])}], p = ${formatPValue(c.pValue)}`;
    back.push(`<rect x="${f1(Math.min(xl, xf))}" y="${g.top}" width="${f1(Math.max(2, Math.abs(xf - xl)))}" height="${g.bottom - g.top}" fill="${color}" fill-opacity="${c.kind === 'accepted' ? 0.12 : 0.07}"><title>${esc(tip)}</title></rect>`);
    marks.push(`<line class="cp-line" x1="${f1(xc)}" x2="${f1(xc)}" y1="${g.top - 4}" y2="${g.bottom}" stroke="${color}" stroke-width="1.6" stroke-dasharray="${c.kind === 'accepted' ? '6 4' : '2 3'}"><title>${esc(tip)}</title></line>`);
    const label = `${isNumber(c.relativeChange) ? formatPercent(1 + c.relativeChange) : DASH} ${c.kind}`;
    const halfWidth = label.length * 3.6;
    row = xc - halfWidth < lastLabelEnd + 6 ? 1 - row : 0;
    lastLabelEnd = xc + halfWidth;
    const anchor = xc + halfWidth > g.right ? 'end' : xc - halfWidth < g.left ? 'start' : 'middle';
    front.push(`<text x="${f1(xc)}" y="${g.top - 10 - row * 15}" text-anchor="${anchor}" class="cp-label" fill="${color}">${esc(label)}</text>`);
  }

  // grid and y axis
  for (const t of ticks) {
    const yy = f1(g.y(t));
    back.push(`<line x1="${g.left}" x2="${g.right}" y1="${yy}" y2="${yy}" stroke="${COLORS.grid}"/>`);
    back.push(`<text x="${g.left - 8}" y="${f1(g.y(t) + 4)}" text-anchor="end" class="tick">${esc(formatNumber(t))}</text>`);
  }
  back.push(`<line x1="${g.left}" x2="${g.right}" y1="${g.bottom}" y2="${g.bottom}" stroke="${COLORS.axis}"/>`);
  back.push(`<line x1="${g.left}" x2="${g.left}" y1="${g.top}" y2="${g.bottom}" stroke="${COLORS.axis}"/>`);
  const yMid = f1((g.top + g.bottom) / 2);
  back.push(`<text x="18" y="${yMid}" transform="rotate(-90 18 ${yMid})" text-anchor="middle" class="axis">${esc(`${series.test.metric} [${unit}]`)}</text>`);

  // boots: raw values, small and translucent, spread a little sideways so that equal values stay visible
  const spread = Math.min(step * 0.3, 6);
  points.forEach((p, i) => {
    const color = p.isReference ? COLORS.reference : COLORS.boot;
    p.boots.forEach((b, k) => {
      if (!isNumber(b.value)) return;
      const jitter = p.boots.length > 1 ? (k / (p.boots.length - 1) - 0.5) * 2 * spread : 0;
      marks.push(`<circle cx="${f1(g.x(i) + jitter)}" cy="${f1(g.y(b.value))}" r="2.4" fill="${color}" fill-opacity="0.5"><title>${esc(`${p.sha.slice(0, 10)} ${words.sample} ${k + 1} (run ${b.run}): ${formatNumber(b.value)} ${unit}`)}</title></circle>`);
    });
  });

  // reference boots, placed at the commit measured nearest in time, and the level each point was divided by
  const seqs = points.flatMap((p, i) => p.boots.map((b) => [b.seq, i] as const));
  for (const b of series.referenceBoots) {
    if (!isNumber(b.value) || seqs.length === 0) continue;
    let best = seqs[0] as readonly [number, number];
    for (const s of seqs) if (Math.abs(s[0] - b.seq) < Math.abs(best[0] - b.seq)) best = s;
    const cx = g.x(best[1]);
    const cy = g.y(b.value);
    marks.push(`<path d="M${f1(cx)} ${f1(cy - 4)} L${f1(cx + 4)} ${f1(cy)} L${f1(cx)} ${f1(cy + 4)} L${f1(cx - 4)} ${f1(cy)} Z" fill="${COLORS.reference}" fill-opacity="0.75"><title>${esc(`reference ${series.referenceSha.slice(0, 10)}, run ${b.run}, ${b.at}: ${formatNumber(b.value)} ${unit}`)}</title></path>`);
  }
  const refPath = linePath(points, (p) => p.referenceLevel, g);
  if (refPath) marks.push(`<path d="${refPath}" fill="none" stroke="${COLORS.reference}" stroke-width="1.2" stroke-dasharray="4 3"><title>reference level</title></path>`);

  // the two lines the detector is about: raw medians and reference-adjusted values
  const rawPath = linePath(points, (p) => p.raw, g);
  const adjPath = linePath(points, (p) => p.adjusted, g);
  if (rawPath) front.push(`<path d="${rawPath}" fill="none" stroke="${COLORS.raw}" stroke-width="1.8" stroke-linejoin="round"><title>raw median</title></path>`);
  if (adjPath) front.push(`<path d="${adjPath}" fill="none" stroke="${COLORS.adjusted}" stroke-width="1.8" stroke-linejoin="round"><title>reference-adjusted</title></path>`);
  const markerR = Math.max(1.6, Math.min(3, step / 3));
  points.forEach((p, i) => {
    const cx = g.x(i);
    if (isNumber(p.raw)) {
      const tip = esc(`${p.sha.slice(0, 10)}: raw median ${formatNumber(p.raw)} ${unit} of ${p.boots.length} ${words.sample}s${p.excluded ? ', excluded by the spike screen' : ''}`);
      front.push(
        p.excluded
          ? `<circle class="excluded" cx="${f1(cx)}" cy="${f1(g.y(p.raw))}" r="${f1(markerR + 1.4)}" fill="#fff" stroke="${COLORS.raw}" stroke-width="1.5"><title>${tip}</title></circle>`
          : `<circle cx="${f1(cx)}" cy="${f1(g.y(p.raw))}" r="${f1(markerR)}" fill="${COLORS.raw}"><title>${tip}</title></circle>`,
      );
    }
    if (isNumber(p.adjusted)) {
      const s = markerR * 1.7;
      const yy = g.y(p.adjusted);
      const tip = esc(`${p.sha.slice(0, 10)}: reference-adjusted ${formatNumber(p.adjusted)} ${unit}${p.excluded ? ', excluded by the spike screen' : ''}`);
      front.push(
        p.excluded
          ? `<rect class="excluded" x="${f1(cx - s / 2 - 0.8)}" y="${f1(yy - s / 2 - 0.8)}" width="${f1(s + 1.6)}" height="${f1(s + 1.6)}" fill="#fff" stroke="${COLORS.adjusted}" stroke-width="1.5"><title>${tip}</title></rect>`
          : `<rect x="${f1(cx - s / 2)}" y="${f1(yy - s / 2)}" width="${f1(s)}" height="${f1(s)}" fill="${COLORS.adjusted}"><title>${tip}</title></rect>`,
      );
    }
    if (p.skipped || p.failures.length > 0) {
      const color = p.skipped ? COLORS.skip : COLORS.failed;
      const r = p.skipped ? 4.5 : 3;
      const yy = g.bottom;
      const tip = esc(`${p.sha.slice(0, 10)} ${p.skipped ? 'skipped' : 'measured after failures'}: ${p.failures.join('; ') || 'no reason recorded'}`);
      front.push(`<path class="skip-mark" d="M${f1(cx - r)} ${f1(yy - r)} L${f1(cx + r)} ${f1(yy + r)} M${f1(cx + r)} ${f1(yy - r)} L${f1(cx - r)} ${f1(yy + r)}" stroke="${color}" stroke-width="2.2"><title>${tip}</title></path>`);
    }
  });

  // x axis: a short sha every few commits, rotated; never more labels than fit
  const every = Math.max(1, Math.ceil(n / Math.floor((g.right - g.left) / 17)));
  points.forEach((p, i) => {
    if (i % every !== 0 && !(i === n - 1 && (n - 1) % every >= every / 2)) return;
    const cx = f1(g.x(i));
    back.push(`<line x1="${cx}" x2="${cx}" y1="${g.bottom}" y2="${g.bottom + 4}" stroke="${COLORS.axis}"/>`);
    back.push(`<text transform="translate(${cx},${g.bottom + 12}) rotate(-55)" text-anchor="end" class="tick mono${p.isReference ? ' strong' : ''}">${esc(p.sha.slice(0, 10))}</text>`);
  });
  back.push(`<text x="${f1((g.left + g.right) / 2)}" y="${H - 6}" text-anchor="middle" class="axis">commits, oldest → newest (${n} points${every > 1 ? `, every ${every}th labelled` : ''})</text>`);

  return `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(`${series.test.metric} per commit`)}">${back.join('')}${marks.join('')}${front.join('')}</svg>`;
}

function renderPointsTable(series: SeriesView, input: SweepReportInput): string {
  const { points } = series;
  const epochStarts = new Map(series.epochs.filter((e) => e.start > 0).map((e, k) => [e.start, `${k + 2}`] as const));
  const samples = input.sweep.mode === 'command' ? 'samples' : 'boots';
  const rows = points.map((p) => {
    const notes: string[] = [];
    if (p.isReference) notes.push('<span class="tag ref">reference</span>');
    if (p.excluded) notes.push('<span class="tag">excluded (spike)</span>');
    if (p.skipped) notes.push(`<span class="tag bad">skipped</span> ${esc(truncate(p.failures.join('; '), 90))}`);
    else if (p.failures.length > 0) notes.push(`<span class="tag warn">${p.failures.length} failure${p.failures.length === 1 ? '' : 's'}</span> ${esc(truncate(p.failures.join('; '), 90))}`);
    const epoch = epochStarts.get(p.index);
    if (epoch !== undefined) {
      const e = series.epochs.find((x) => x.start === p.index);
      notes.push(`<span class="tag epoch">epoch ${epoch} starts: ${esc(e?.reason ?? '')}</span>`);
    }
    for (const c of series.changePoints) {
      if (c.index === p.index) notes.push(`<span class="tag cp">${c.kind} ${c.direction} ${pct(1 + c.relativeChange)}</span>`);
      else if (c.lastBeforeIndex === p.index) notes.push('<span class="muted">L</span>');
      else if (c.firstAfterIndex === p.index) notes.push('<span class="muted">F</span>');
    }
    const cls = p.skipped ? ' class="skipped"' : p.excluded ? ' class="excluded"' : '';
    return `<tr${cls}><td class="num">${p.index}</td><td>${short(p.sha)}</td><td title="${esc(p.subject)}">${esc(truncate(p.subject, 64))}</td><td class="num">${p.boots.length}</td><td class="num">${num(p.raw)}</td><td class="num">${num(p.adjusted)}</td><td>${notes.join(' ')}</td></tr>`;
  });
  return `<details${points.length <= 60 ? ' open' : ''}><summary>${points.length} points</summary>
<table class="points"><tr><th class="num">#</th><th>commit</th><th>subject</th><th class="num">${samples}</th><th class="num">raw median</th><th class="num">adjusted</th><th>notes</th></tr>
${rows.join('\n')}
</table></details>`;
}

function renderSeries(series: SeriesView, k: number, input: SweepReportInput): string {
  const h = series.host;
  const ref = series.points.find((p) => p.sha === series.referenceSha);
  const epochs = series.epochs
    .map((e, i) => `${i + 1}: points ${e.start}–${e.end - 1} (${esc(e.reason)}${e.note ? `, ${esc(e.note)}` : ''}; host kernel ${esc(e.host.hostKernel)}, <span class="mono">${esc(e.host.id)}</span>)`)
    .join(' · ');
  const hostLine =
    input.sweep.mode === 'command'
      ? `${esc(h.cpuModel)} · host kernel ${esc(h.hostKernel)}`
      : `${esc(h.cpuModel)} · host kernel ${esc(h.hostKernel)} · ${esc(formatQemuVersion(h.qemuVersion))} · accel ${esc(h.accel)}${h.accel === 'tcg' ? ' <span class="muted">(software emulation: not comparable with KVM results)</span>' : ''}`;
  const body =
    series.points.length === 0
      ? '<p class="muted">No points in this series yet.</p>'
      : `${renderLegend()}
${renderSeriesChart(series, input)}
${renderPointsTable(series, input)}`;
  return `<section class="series">
<h2>Series ${k + 1}: ${esc(series.test.name)} · ${esc(series.test.metric)} <span class="muted">[${esc(series.test.unit)}], ${series.test.higherIsBetter ? 'higher' : 'lower'} is better</span></h2>
<table class="kv">
<tr><th>machine</th><td><b>${esc(h.machine || DASH)}</b> · ${hostLine} <span class="mono muted">fingerprint ${esc(h.id)}</span></td></tr>
<tr><th>series</th><td class="mono">${esc(series.key)}</td></tr>
<tr><th>reference</th><td>${short(series.referenceSha)} ${esc(ref?.subject ?? '')} <span class="muted">· ${series.referenceBoots.length} reference ${input.sweep.mode === 'command' ? 'samples' : 'boots'} · adjustment: ${esc(describeDrift(series.drift))}</span></td></tr>
<tr><th>noise</th><td>σ ≈ ${isNumber(series.noiseSigma) ? `${(series.noiseSigma * 100).toFixed(2)}%` : DASH} per point (log scale) · ${series.changePoints.length} change point${series.changePoints.length === 1 ? '' : 's'}</td></tr>
<tr><th>epochs</th><td>${epochs || DASH}</td></tr>
</table>
${body}
</section>`;
}

function renderAlertRow(alert: AlertView, input: SweepReportInput): string {
  const e = alert.evidence;
  const words = input.sweep.mode === 'command' ? { samples: 'samples', builds: 'checkouts' } : { samples: 'boots', builds: 'builds' };
  const series = input.series.find((s) => s.key === alert.seriesKey);
  const dirClass = e.direction === 'regression' ? 'neg' : 'pos';
  const range = `<div>L ${short(alert.lastGood.sha)} ${esc(truncate(alert.lastGood.subject, 60))}</div><div>F ${short(alert.firstBad.sha)} ${esc(truncate(alert.firstBad.subject, 60))}</div><div class="muted">${alert.commitsInRange} commit${alert.commitsInRange === 1 ? '' : 's'} in range</div>`;
  const change = `<div class="${dirClass}">${pct(1 + e.relativeChange)} ${ci(1 + e.relativeChangeCi[0], 1 + e.relativeChangeCi[1])}</div><div>p = ${esc(formatPValue(e.pValue))} · ${esc(e.kind)}</div>`;
  const c = alert.confirmation;
  const confirmation = c
    ? `<div class="${c.ratio < 1 === (series?.test.higherIsBetter ?? input.sweep.test.higherIsBetter) ? 'neg' : 'pos'}">${pct(c.ratio)} ${ci(c.ci[0], c.ci[1])}</div><div>p = ${esc(formatPValue(c.p))} · ${c.bootsBefore} + ${c.bootsAfter} ${words.samples}</div><div>${c.confirmed ? 'confirmed' : '<b>not confirmed</b>'}</div>`
    : `<span class="muted">${DASH}</span>`;
  const b = alert.bisection;
  let bisection = `<span class="muted">${DASH}</span>`;
  if (b) {
    const parts = [`<div><b>${esc(b.outcome)}</b></div>`];
    if (b.culprit) parts.push(`<div>${short(b.culprit.sha)} ${esc(truncate(b.culprit.subject, 60))}</div><div class="muted">${esc(b.culprit.author)} · probability ${(b.culprit.probability * 100).toFixed(1)}%</div>`);
    if (b.range) parts.push(`<div>one of ${b.range.count}: ${short(b.range.first)}..${short(b.range.last)}</div><div class="muted">probability ${(b.range.probability * 100).toFixed(1)}%</div>`);
    if (b.change) parts.push(`<div>${pct(b.change.ratio)} ${ci(b.change.ci[0], b.change.ci[1])} <span class="muted">${num(b.change.before)} → ${num(b.change.after)}</span></div>`);
    parts.push(`<div class="muted">${b.boots} ${words.samples} · ${b.builds} ${words.builds}</div>`);
    bisection = parts.join('');
  }
  const extra: string[] = [`<div class="id muted">alert <span class="mono">${esc(alert.id)}</span></div>`];
  if (alert.why !== null && alert.why !== '') {
    const label = alert.state === 'ignored' ? 'why ignored' : alert.state === 'not-reproduced' ? 'why not reproduced' : 'note';
    extra.push(`<p class="why"><b>${label}:</b> ${esc(alert.why)}</p>`);
  }
  if (alert.before && alert.after) {
    const metric = formatMetricPath(input.sweep.mode, series?.test ?? input.sweep.test);
    extra.push(`<pre class="lkp">${esc(formatLkpTable(alert.before, alert.after, metric).join('\n'))}</pre>`);
  }
  if (b) extra.push(`<details><summary>bisection report <span class="mono muted">${esc(b.sessionDir)}</span></summary><pre>${esc(b.summaryText)}</pre></details>`);
  if (alert.reproduce.length > 0) extra.push(`<details><summary>to reproduce</summary><pre>${esc(alert.reproduce.join('\n'))}</pre></details>`);
  const history = alert.history.map((h) => `<li><span class="mono">${esc(h.at)}</span> ${badge(h.state)} ${esc(h.note)}</li>`).join('');
  extra.push(`<details><summary>history (${alert.history.length})</summary>${history ? `<ol class="history">${history}</ol>` : '<p class="muted">No history recorded.</p>'}</details>`);
  return `<tr class="alert"><td>${badge(alert.state)}<div class="${dirClass}">${esc(e.direction)}</div><div class="muted">raised ${esc(alert.raisedAt)}</div></td><td>${range}</td><td>${change}</td><td>${confirmation}</td><td>${bisection}</td></tr>
<tr class="alert-extra"><td></td><td colspan="4">${extra.join('\n')}</td></tr>`;
}

function renderAlerts(input: SweepReportInput): string {
  if (input.alerts.length === 0) return '<p class="muted">No alerts: the detector has raised nothing in this sweep.</p>';
  return `<table class="alerts"><tr><th>state</th><th>range L..F</th><th>change (detector)</th><th>confirmation</th><th>bisection</th></tr>
${input.alerts.map((a) => renderAlertRow(a, input)).join('\n')}
</table>`;
}

function renderRuns(runs: readonly SweepRunSummary[]): string {
  if (runs.length === 0) return '<p class="muted">No runs yet.</p>';
  const rows = runs.map(
    (r) =>
      `<tr><td class="num">${r.run}</td><td class="mono">${esc(r.startedAt)}</td><td class="mono">${r.finishedAt === null ? '<span class="tag warn">interrupted</span>' : esc(r.finishedAt)}</td><td>${esc(r.mode)}</td><td class="num">${r.measured}</td><td class="mono">${r.hostId === null ? DASH : esc(r.hostId)}</td><td>${r.head === null ? DASH : short(r.head)}</td></tr>`,
  );
  return `<table class="runs"><tr><th class="num">run</th><th>started</th><th>finished</th><th>mode</th><th class="num">measured commits</th><th>host id</th><th>head</th></tr>
${rows.join('\n')}
</table>`;
}

const CLOSED_STATES: ReadonlySet<string> = new Set(['not-reproduced', 'ignored']);

// Renders a sweep (every series, change point, epoch, alert and run) as one self-contained HTML page.
export function renderSweepHtml(input: SweepReportInput): string {
  const { sweep } = input;
  const mode =
    sweep.mode === 'command'
      ? `command <code>${esc(sweep.command ?? '')}</code>`
      : `kernel · profile ${sweep.profile ? `${esc(sweep.profile.name)} <span class="mono muted">${esc(sweep.profile.hash.slice(0, 16))}</span>` : DASH}`;
  const measured = input.series.reduce((sum, s) => sum + s.points.filter((p) => isNumber(p.raw)).length, 0);
  const open = input.alerts.filter((a) => !CLOSED_STATES.has(a.state)).length;
  const perCommit = sweep.mode === 'command' ? 'samples per commit' : 'boots per commit';
  const series = input.series.length === 0 ? '<p class="muted">No series yet: nothing has been measured in this sweep.</p>' : input.series.map((s, k) => renderSeries(s, k, input)).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>kbisect sweep: ${esc(sweep.id)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:${COLORS.text};margin:0;background:#fafafa}
main{max-width:1200px;margin:0 auto;padding:24px 28px 48px;background:#fff;box-shadow:0 0 0 1px #eceff1}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:30px 0 8px;border-bottom:1px solid #eceff1;padding-bottom:4px}
section.series{margin-top:20px}
.meta{color:#607d8b;font-size:13px} code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px}
table{border-collapse:collapse;width:100%;font-size:13px} th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #f0f0f0;vertical-align:top}
th{font-weight:600;color:#455a64} .num{text-align:right;font-variant-numeric:tabular-nums}
table.kv th{width:90px;white-space:nowrap} table.kv td,table.kv th{padding:2px 8px;border:0}
table.points td{padding:2px 8px} tr.skipped td{color:#90a4ae} tr.excluded td{font-style:italic}
.neg{color:${COLORS.regression};font-weight:600} .pos{color:${COLORS.improvement};font-weight:600} .muted{color:#90a4ae}
.badge{display:inline-block;white-space:nowrap;padding:1px 9px;border-radius:10px;font-weight:600;font-size:12px;color:#fff}
.tag{display:inline-block;padding:0 6px;border-radius:4px;font-size:12px;background:#eceff1;color:#455a64}
.tag.bad{background:#ffebee;color:${COLORS.regression}} .tag.warn{background:#fff3e0;color:#e65100} .tag.ref{background:#eeeeee;color:#424242}
.tag.epoch{background:#e3e7ea;color:${COLORS.epoch}} .tag.cp{background:#fce4ec;color:${COLORS.regression}}
.tick{font-size:11px;fill:#607d8b} .tick.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:10px} .tick.strong{fill:#000;font-weight:700}
.axis{font-size:12px;fill:#455a64} .lbl{font-size:11px;fill:${COLORS.epoch};font-weight:600} .cp-label{font-size:12px;font-weight:700}
.halo{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:12px;color:#455a64;margin:10px 0 2px} .legend span{white-space:nowrap} .sw{vertical-align:middle;margin-right:4px}
.summary{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin-top:14px}
.summary div{background:#f5f7f8;border-radius:6px;padding:8px 12px} .summary b{display:block;font-size:20px}
table.alerts tr.alert td{border-bottom:0;padding-top:10px} table.alerts tr.alert-extra td{border-bottom:2px solid #eceff1;padding-bottom:10px}
table.alerts th:nth-child(1){width:128px} table.alerts th:nth-child(2){width:32%} table.alerts th:nth-child(3),table.alerts th:nth-child(4){width:16%}
.id{font-size:11px;word-break:break-all} .ci{white-space:nowrap}
pre{background:#f5f7f8;padding:8px 10px;border-radius:4px;overflow-x:auto;font-size:12px;margin:6px 0}
pre.lkp{display:inline-block;margin:2px 0}
details{margin:4px 0} summary{cursor:pointer;color:#455a64} .why{margin:4px 0}
ol.history{margin:4px 0;padding-left:22px} ol.history li{margin:2px 0}
</style></head>
<body><main>
<h1>kbisect sweep <span class="mono">${esc(sweep.id)}</span></h1>
<div class="meta">${esc(sweep.repo)} · branch <b>${esc(sweep.branch)}</b> · ${mode}</div>
<div class="meta">test ${esc(sweep.test.name)} · metric ${esc(sweep.test.metric)} [${esc(sweep.test.unit)}], ${sweep.test.higherIsBetter ? 'higher' : 'lower'} is better · ${sweep.bootsPerCommit} ${perCommit} · generated ${esc(input.generatedAt)} by kbisect</div>
<div class="summary"><div>series<b>${input.series.length}</b></div><div>commits measured<b>${measured}</b></div><div>open alerts<b>${open} <span class="muted" style="font-size:13px">of ${input.alerts.length}</span></b></div><div>runs<b>${input.runs.length}</b></div></div>
<h2>Runs</h2>
${renderRuns(input.runs)}
<h2>Alerts</h2>
${renderAlerts(input)}
${series}
</main></body></html>
`;
}
