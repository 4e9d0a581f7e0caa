// The terminal table of `kbisect matrix`: one row per cell (cell | status |
// median | CV | notes), or with two kernels (cell | status | A | B | A→B
// [CI] | flag | notes), then the line that bisects each cell. Pure.
import { formatDuration, formatMeasurement, formatPercent } from '../format.ts';
import { describeCell, formatAxes } from './axes.ts';
import type { CellChange, CellMeasurement, MatrixCellResult, MatrixReport } from './result.ts';

// Aligned columns, the last one unpadded (the notes run as long as they need).
function layOut(rows: readonly (readonly string[])[], indent = '  '): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => (indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).trimEnd()).join('\n');
}

export function formatMedian(m: CellMeasurement | null): string {
  return m?.median == null || m.unit === null ? '-' : formatMeasurement(m.median, m.unit);
}

export function formatCv(m: CellMeasurement | null): string {
  return m?.cv == null ? '-' : formatPercent(m.cv);
}

// "3 migrations, downtime median 25 ms", "hotplug link-up median 240 ms".
export function describeConditionRecords(m: CellMeasurement | null): string[] {
  const notes: string[] = [];
  if (m?.migration) {
    const downtime = m.migration.downtimeMedianMs === null ? '' : `, downtime median ${formatDuration(m.migration.downtimeMedianMs)}`;
    notes.push(`${m.migration.completed} migration${m.migration.completed === 1 ? '' : 's'}${m.migration.failed > 0 ? ` (+${m.migration.failed} failed)` : ''}${downtime}`);
  }
  if (m?.hotplug) notes.push(`hotplug ×${m.hotplug.cycles}, link-up median ${m.hotplug.linkUpMedianMs === null ? '-' : formatDuration(m.hotplug.linkUpMedianMs)}`);
  return notes;
}

// "-19.8% [-24.1%, -15.0%]"
export function formatChange(change: CellChange | null): string {
  if (change === null) return '-';
  const pct = (v: number): string => formatPercent(v, { signed: true });
  return `${pct(change.change)} [${pct(change.ci[0])}, ${pct(change.ci[1])}]`;
}

// DIFFERS (worse|better), same, ?; empty when not compared.
export function formatChangeFlag(change: CellChange | null): string {
  if (change === null) return '';
  if (change.outcome === 'different') return `DIFFERS (${change.verdict ?? '?'})`;
  return change.outcome === 'same' ? 'same' : '?';
}

function notesOf(r: MatrixCellResult): string {
  const notes = [...(r.reason === null ? [] : [r.reason]), ...describeConditionRecords(r.a)];
  if (r.b) notes.push(...describeConditionRecords(r.b).map((n) => `B: ${n}`));
  if (r.b && r.change === null && r.status === 'works') notes.push('too few boots to compare');
  return notes.join('; ');
}

const STATUS_WORD: Record<MatrixCellResult['status'], string> = { works: 'works', fails: 'FAILS', unavailable: 'unavailable' };

// The table only.
export function formatMatrixTable(report: MatrixReport): string {
  if (report.mode === 'compare') {
    const head = ['cell', 'status', 'A median', 'B median', 'A→B [CI]', 'flag', 'notes'];
    const rows = report.cells.map((r) => [describeCell(r.cell), STATUS_WORD[r.status], formatMedian(r.a), formatMedian(r.b), formatChange(r.change), formatChangeFlag(r.change), notesOf(r)]);
    return layOut([head, ...rows]);
  }
  const head = ['cell', 'status', 'median', 'CV', 'notes'];
  const rows = report.cells.map((r) => [describeCell(r.cell), STATUS_WORD[r.status], formatMedian(r.a), formatCv(r.a), notesOf(r)]);
  return layOut([head, ...rows]);
}

// The whole report for the terminal: headline, table, bisect lines, where the files are.
export function formatMatrixText(report: MatrixReport): string {
  const { works, fails, unavailable } = report.counts;
  const kernels = report.kernels.b ? `A ${report.kernels.a.label}, B ${report.kernels.b.label}` : report.kernels.a.label;
  const host = report.host ? `, host ${report.host.id} (${report.host.accel.toUpperCase()})` : '';
  const lines = [
    `kbisect matrix: ${works} work, ${fails} fail, ${unavailable} unavailable (${report.cells.length} cells, ${report.bootsPerCell} boot${report.bootsPerCell === 1 ? '' : 's'} each${report.mode === 'compare' ? ' per kernel' : ''})`,
    `  kernel ${kernels}; base profile ${report.base.name} (${report.base.hash.slice(0, 12)})${host}`,
    `  axes: ${formatAxes(report.axes)}`,
    '',
    formatMatrixTable(report),
  ];
  const bisectable = report.cells.filter((r) => r.bisect !== null);
  if (bisectable.length > 0) {
    lines.push('', 'bisect a cell:');
    lines.push(layOut(bisectable.map((r) => [describeCell(r.cell), r.bisect ?? ''])));
  }
  lines.push('', `cell profiles and matrix.json in ${report.dir}`);
  return lines.join('\n');
}
