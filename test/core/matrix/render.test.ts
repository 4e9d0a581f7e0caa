// The matrix report rendered: the terminal table (single and --compare), the
// JSON shape, and the self-contained heat-map HTML (escaped, coloured by status).
import { describe, expect, it } from 'vitest';
import { enumerateCells } from '../../../src/core/matrix/axes.ts';
import { cellColour, renderMatrixHtml } from '../../../src/core/matrix/html.ts';
import { compareCell, countStatuses, summarizeCellBoots, type MatrixCellResult, type MatrixReport } from '../../../src/core/matrix/result.ts';
import { formatMatrixTable, formatMatrixText } from '../../../src/core/matrix/text.ts';
import { failedBoot, migrationRun, okBoot } from './samples.ts';

const cells = enumerateCells({ vhost: ['on', 'off'], condition: ['plain', 'migration'], topology: ['host-to-guest', 'external-to-guest'], nic: ['plain'] });
const byId = (id: string) => cells.find((c) => c.id === id)!;

function result(id: string, over: Partial<MatrixCellResult>): MatrixCellResult {
  return { cell: byId(id), status: 'works', reason: null, profile: { name: `matrix.${id}`, hash: 'f'.repeat(64), file: `/d/${id}.yaml` }, bisect: `kbisect start GOOD BAD --profile /d/${id}.yaml`, a: null, b: null, change: null, ...over };
}

function report(rs: MatrixCellResult[], mode: MatrixReport['mode'] = 'single'): MatrixReport {
  return {
    schema: 1,
    mode,
    kernels: { a: { label: 'bzImage', imageHash: 'a'.repeat(64), commit: null }, b: mode === 'compare' ? { label: 'other', imageHash: 'b'.repeat(64), commit: null } : null },
    base: { name: 'matrix', hash: 'c'.repeat(64) },
    axes: { vhost: ['on', 'off'], condition: ['plain', 'migration'], topology: ['host-to-guest', 'external-to-guest'], nic: ['plain'] },
    bootsPerCell: 2,
    seed: mode === 'compare' ? 7 : null,
    host: { id: '0123456789abcdef', accel: 'tcg' },
    dir: '/d',
    cells: rs,
    counts: countStatuses(rs),
    generatedAt: '2025-01-01T00:00:00.000Z',
  };
}

const vhostOn = (id: string) => result(id, { status: 'unavailable', reason: 'nic.vhost: /dev/vhost-net is missing or cannot be opened on this host (modprobe vhost_net, as root)', bisect: null });
const single = report([
  vhostOn('vhost-on.plain.host-to-guest'),
  result('vhost-off.plain.host-to-guest', { a: summarizeCellBoots([okBoot(0, [900, 1000]), okBoot(1, [950, 1000])], true) }),
  result('vhost-off.plain.external-to-guest', { a: summarizeCellBoots([okBoot(0, [450, 500]), okBoot(1, [500, 520])], true) }),
  result('vhost-off.migration.host-to-guest', { a: summarizeCellBoots([okBoot(0, [800], { migration: [migrationRun([25, 35])] }), okBoot(1, [700], { migration: [migrationRun([30])] })], true) }),
  result('vhost-off.migration.external-to-guest', { status: 'unavailable', reason: 'conditions.migration: expected topology host-to-guest (...), got "external-to-guest"', bisect: null, profile: null }),
  result('vhost-on.migration.host-to-guest', { status: 'fails', reason: 'boot 1: the netperf connection did not survive migration (1 completed)', a: summarizeCellBoots([failedBoot(0, 'the netperf connection did not survive migration (1 completed)')], true) }),
]);

describe('formatMatrixTable', () => {
  it('one row per cell: cell | status | median | CV | notes', () => {
    const lines = formatMatrixTable(single).split('\n');
    expect(lines[0]).toMatch(/^ {2}cell +status +median +CV +notes$/);
    expect(lines[1]).toMatch(/vhost=on plain host-to-guest +unavailable +- +- +nic\.vhost: \/dev\/vhost-net is missing/);
    expect(lines[2]).toMatch(/vhost=off plain host-to-guest +works +975\.0 Mbit\/s +5\.0%$/);
    expect(lines[4]).toMatch(/vhost=off migration host-to-guest +works +750\.0 Mbit\/s .* 3 migrations, downtime median 30 ms|0\.03 s/);
    expect(lines[6]).toMatch(/vhost=on migration host-to-guest +FAILS +- +- +boot 1: the netperf connection did not survive migration/);
  });

  it('the text report has the headline, the table and one bisect line per available cell', () => {
    const text = formatMatrixText(single);
    expect(text).toMatch(/^kbisect matrix: 3 work, 1 fail, 2 unavailable \(6 cells, 2 boots each\)/);
    const bisect = text.slice(text.indexOf('bisect a cell:'));
    expect(bisect).toMatch(/\n {2}vhost=off plain host-to-guest +kbisect start GOOD BAD --profile \/d\/vhost-off\.plain\.host-to-guest\.yaml\n/);
    expect(bisect).toMatch(/vhost=on migration host-to-guest +kbisect start/);
    expect(bisect).not.toContain('vhost=on plain host-to-guest');
    expect(bisect).not.toContain('vhost=off migration external-to-guest');
    expect(text).toContain('cell profiles and matrix.json in /d');
  });

  it('with two kernels: A and B medians, the change with its CI and a flag', () => {
    const side = (vs: number[]) => summarizeCellBoots(vs.map((v, i) => okBoot(i, [v])), true);
    const a = side([1000, 1010, 990, 1005, 995]);
    const b = side([800, 810, 790, 805, 795]);
    const r = report([result('vhost-off.plain.host-to-guest', { a, b, change: compareCell(a, b, 0.05, 1) }), vhostOn('vhost-on.plain.host-to-guest')], 'compare');
    const lines = formatMatrixTable(r).split('\n');
    expect(lines[0]).toMatch(/cell +status +A median +B median +A→B \[CI\] +flag +notes/);
    expect(lines[1]).toMatch(/works +1000 Mbit\/s +800\.0 Mbit\/s +-20\.0% \[-2\d\.\d%, -1\d\.\d%\] +DIFFERS \(worse\)/);
    expect(formatMatrixText(r)).toMatch(/^kbisect matrix: 1 work, 0 fail, 1 unavailable \(2 cells, 2 boots each per kernel\)\n {2}kernel A bzImage, B other/);
  });
});

describe('JSON', () => {
  it('is the report itself: stable keys, numbers and nulls only', () => {
    const json = JSON.parse(JSON.stringify(single)) as MatrixReport;
    expect(Object.keys(json)).toEqual(['schema', 'mode', 'kernels', 'base', 'axes', 'bootsPerCell', 'seed', 'host', 'dir', 'cells', 'counts', 'generatedAt']);
    expect(Object.keys(json.cells[1]!)).toEqual(['cell', 'status', 'reason', 'profile', 'bisect', 'a', 'b', 'change']);
    expect(json.cells[1]!.a).toMatchObject({ status: 'works', median: 975, boots: { ok: 2, failed: 0 } });
    expect(json.counts).toEqual({ works: 3, fails: 1, unavailable: 2 });
  });
});

describe('renderMatrixHtml', () => {
  it('is one self-contained document: no script, nothing fetched, every string escaped', () => {
    const hostile = report([result('vhost-off.plain.host-to-guest', { status: 'fails', reason: '<script>alert(1)</script> & "x"', a: summarizeCellBoots([failedBoot(0, 'x')], true) })]);
    const html = renderMatrixHtml(hostile);
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<script|https?:\/\/|src=/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;');
  });

  it('lays the cells out as a heat map: a row per condition, a column per topology and vhost', () => {
    const html = renderMatrixHtml(single);
    const heat = html.slice(html.indexOf('<table class="heat">'), html.indexOf('</table>'));
    expect(heat.match(/<tr>/g)).toHaveLength(3);
    expect(heat).toContain('<th>host-to-guest<br>vhost on</th>');
    expect(heat).toContain('<th>external-to-guest<br>vhost off</th>');
    expect(heat).toContain('<th>migration</th>');
    expect(html).toContain('kbisect start GOOD BAD --profile /d/vhost-off.plain.host-to-guest.yaml');
  });

  it('colours by status, and a working cell darker the higher its median', () => {
    const colour = (id: string) => cellColour(single.cells.find((c) => c.cell.id === id)!, single);
    expect(colour('vhost-on.plain.host-to-guest')).toBe('#cfd8dc');
    expect(colour('vhost-on.migration.host-to-guest')).toBe('#e53935');
    const lightness = (c: string) => Number(/(\d+)%\)$/.exec(c)?.[1]);
    expect(lightness(colour('vhost-off.plain.host-to-guest'))).toBe(40);
    expect(lightness(colour('vhost-off.plain.external-to-guest'))).toBeGreaterThan(lightness(colour('vhost-off.migration.host-to-guest')));
  });
});
