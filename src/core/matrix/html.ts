// The HTML report of `kbisect matrix`: one self-contained file (inline CSS, no
// scripts, nothing fetched), every string escaped. A heat map: a row per
// condition (and NIC), a column per topology and vhost; a working cell is
// green, darker the higher its median relative to the best cell (with two
// kernels: red where B is worse, green where better, by how much), a failing
// one red with its reason, an unavailable one grey with why. Below it, every
// cell with its profile and the line that bisects it.
import { formatPercent } from '../format.ts';
import { describeCell, formatAxes } from './axes.ts';
import type { MatrixCellResult, MatrixReport } from './result.ts';
import { describeConditionRecords, formatChange, formatChangeFlag, formatCv, formatMedian } from './text.ts';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const GREY = '#cfd8dc';
const FAIL = '#e53935';

// A green of lightness 90 % (worst) to 40 % (best) for a share of the best median.
function shadeOfShare(share: number): string {
  const s = Math.max(0, Math.min(1, share));
  return `hsl(122, 45%, ${Math.round(90 - 50 * s)}%)`;
}

// The colour of a change A→B: red when worse, green when better, paler the smaller; straw when undecided.
function shadeOfChange(r: MatrixCellResult): string {
  const c = r.change;
  if (c === null) return '#eceff1';
  if (c.outcome !== 'different') return c.outcome === 'same' ? '#e8f5e9' : '#fff8e1';
  const strength = Math.min(1, Math.abs(c.change) / 0.5);
  return `hsl(${c.verdict === 'worse' ? 0 : 122}, 60%, ${Math.round(85 - 40 * strength)}%)`;
}

// The fill of a cell in the heat map.
export function cellColour(r: MatrixCellResult, report: MatrixReport): string {
  if (r.status === 'unavailable') return GREY;
  if (r.status === 'fails') return FAIL;
  if (report.mode === 'compare') return shadeOfChange(r);
  const best = Math.max(...report.cells.map((c) => (c.status === 'works' ? (c.a?.median ?? 0) : 0)));
  const m = r.a?.median ?? 0;
  // a lower-is-better metric (latency): the smallest is the best
  if (r.a && !r.a.higherIsBetter) {
    const least = Math.min(...report.cells.flatMap((c) => (c.status === 'works' && c.a?.median != null ? [c.a.median] : [])));
    return shadeOfShare(m > 0 ? least / m : 0);
  }
  return shadeOfShare(best > 0 ? m / best : 0);
}

function cellBody(r: MatrixCellResult, report: MatrixReport): string {
  const lines: string[] = [`<b>${escapeHtml(r.status)}</b>`];
  if (r.status !== 'unavailable') {
    if (report.mode === 'compare') {
      lines.push(`${escapeHtml(formatMedian(r.a))} → ${escapeHtml(formatMedian(r.b))}`);
      if (r.change !== null) lines.push(`${escapeHtml(formatChange(r.change))} ${escapeHtml(formatChangeFlag(r.change))}`);
    } else if (r.a?.median != null) {
      lines.push(`${escapeHtml(formatMedian(r.a))}, CV ${escapeHtml(formatCv(r.a))}`);
    }
    for (const n of describeConditionRecords(r.a)) lines.push(escapeHtml(n));
  }
  if (r.reason !== null) lines.push(`<span class="why">${escapeHtml(r.reason)}</span>`);
  return lines.join('<br>');
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

// The heat map: rows condition (× nic), columns topology × vhost, each cell found by its id.
function renderHeatMap(report: MatrixReport): string {
  const cells = report.cells.map((r) => r.cell);
  const rows = unique(cells.map((c) => `${c.condition}|${c.nic}`));
  const cols = unique(cells.map((c) => `${c.topology}|${c.vhost}`));
  const find = (row: string, col: string): MatrixCellResult | undefined => {
    const [condition, nic] = row.split('|');
    const [topology, vhost] = col.split('|');
    return report.cells.find((r) => r.cell.condition === condition && r.cell.nic === nic && r.cell.topology === topology && r.cell.vhost === vhost);
  };
  const rowLabel = (row: string): string => {
    const [condition, nic] = row.split('|');
    return nic === 'plain' ? (condition ?? '') : `${condition ?? ''} · ${nic ?? ''}`;
  };
  const colLabel = (col: string): string => {
    const [topology, vhost] = col.split('|');
    return `${topology ?? ''}<br>vhost ${vhost ?? ''}`;
  };
  const head = `<tr><th></th>${cols.map((c) => `<th>${colLabel(escapeHtml(c))}</th>`).join('')}</tr>`;
  const body = rows
    .map((row) => {
      const tds = cols.map((col) => {
        const r = find(row, col);
        if (r === undefined) return '<td class="none"></td>';
        return `<td style="background:${cellColour(r, report)}" title="${escapeHtml(r.bisect ?? r.reason ?? '')}">${cellBody(r, report)}</td>`;
      });
      return `<tr><th>${escapeHtml(rowLabel(row))}</th>${tds.join('')}</tr>`;
    })
    .join('\n');
  return `<table class="heat">\n${head}\n${body}\n</table>`;
}

function renderCellList(report: MatrixReport): string {
  const row = (r: MatrixCellResult): string =>
    `<tr><td>${escapeHtml(describeCell(r.cell))}</td><td>${escapeHtml(r.status)}</td><td>${escapeHtml(r.profile ? `${r.profile.name} (${r.profile.hash.slice(0, 12)})` : '-')}</td><td><code>${escapeHtml(r.bisect ?? '')}</code></td></tr>`;
  return `<table class="list"><tr><th>cell</th><th>status</th><th>profile</th><th>bisect it</th></tr>\n${report.cells.map(row).join('\n')}\n</table>`;
}

// The whole report as one HTML document.
export function renderMatrixHtml(report: MatrixReport): string {
  const { works, fails, unavailable } = report.counts;
  const kernels = report.kernels.b ? `A ${report.kernels.a.label} · B ${report.kernels.b.label}` : report.kernels.a.label;
  const host = report.host ? ` · host ${report.host.id} (${report.host.accel.toUpperCase()})` : '';
  const legend =
    report.mode === 'compare'
      ? `<span style="background:hsl(0,60%,65%)">B worse</span> <span style="background:hsl(122,60%,65%)">B better</span> <span style="background:#e8f5e9">same</span> <span style="background:#fff8e1">undecided</span>`
      : `<span style="background:${shadeOfShare(1)}">best median</span> <span style="background:${shadeOfShare(0.3)}">lower</span>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>kbisect matrix: ${escapeHtml(kernels)}</title>
<style>
body{font:14px system-ui,sans-serif;color:#263238;margin:24px}
table{border-collapse:collapse;margin:12px 0}
th,td{border:1px solid #b0bec5;padding:6px 10px;vertical-align:top}
.heat td{min-width:170px;font-size:13px}
.heat th{background:#eceff1}
.why{font-size:12px}
.legend span{padding:2px 8px;margin-right:6px;border:1px solid #b0bec5}
.list td{font-size:12px}
code{font-size:12px}
</style></head><body>
<h1>kbisect matrix</h1>
<p>${works} work, ${fails} fail, ${unavailable} unavailable · ${report.cells.length} cells, ${report.bootsPerCell} boot(s) each${report.mode === 'compare' ? ' per kernel' : ''}</p>
<p>kernel ${escapeHtml(kernels)} · base profile ${escapeHtml(report.base.name)} (${escapeHtml(report.base.hash.slice(0, 12))})${escapeHtml(host)}<br>axes: ${escapeHtml(formatAxes(report.axes))}</p>
<p class="legend">${legend} <span style="background:${FAIL}">fails</span> <span style="background:${GREY}">unavailable</span>${report.mode === 'single' ? ` (CV: coefficient of variation of the runs, ${escapeHtml(formatPercent(0.05))} is quiet)` : ''}</p>
${renderHeatMap(report)}
<h2>Cells</h2>
${renderCellList(report)}
<p>Generated ${escapeHtml(report.generatedAt)}; cell profiles in ${escapeHtml(report.dir)}</p>
</body></html>
`;
}
