// The sweep store on real files: records filed by host and sha and read back
// validated, a torn last line survived, a record filed under another name or
// a hostile directory entry refused or ignored, damaged state named with the
// way out, reset moving everything aside.
import { appendFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  appendBootRecord,
  archiveSweep,
  bisectionDirOf,
  checkSweepName,
  readAlerts,
  readBootRecords,
  readState,
  sweepPaths,
  writeAlerts,
} from '../../src/adapters/sweep-store.ts';
import { UserError } from '../../src/core/errors.ts';
import type { SweepBootRecord } from '../../src/core/sweep/types.ts';
import { useTempDir } from '../helpers/temp-dir.ts';

const tmp = useTempDir('sweep-store');
const SHA = 'a'.repeat(40);
const HOST = { id: '0123456789abcdef', machine: 'lab1', cpuModel: 'EPYC', hostKernel: '6.1', qemuVersion: 'QEMU 7.2', accel: 'tcg' as const };

function record(seq: number, value = 100): SweepBootRecord {
  return { v: 1, role: 'point', sha: SHA, run: 1, seq, at: '2026-11-29T00:00:00Z', host: HOST, outcome: { kind: 'boot', runs: [value], value } };
}

describe('sweep store', () => {
  it('files each boot under results/HOST/SHA.jsonl and reads them back', async () => {
    const p = sweepPaths('/repo/.git', 'nightly', tmp.path);
    await appendBootRecord(p, record(1));
    await appendBootRecord(p, record(2, 110));
    expect(readdirSync(join(p.results, HOST.id))).toEqual([`${SHA}.jsonl`]);
    expect((await readBootRecords(p)).map((r) => r.seq)).toEqual([1, 2]);
  });

  it('keeps every complete record when the last line was torn by a crash, and says so', async () => {
    const p = sweepPaths('/repo/.git', 'torn', tmp.path);
    await appendBootRecord(p, record(1));
    appendFileSync(join(p.results, HOST.id, `${SHA}.jsonl`), '{"v":1,"role":"po');
    const warnings: string[] = [];
    expect((await readBootRecords(p, warnings)).map((r) => r.seq)).toEqual([1]);
    expect(warnings[0]).toMatch(/cut short by a crash/);
    await appendBootRecord(p, record(2));
    expect((await readBootRecords(p)).map((r) => r.seq)).toEqual([1, 2]);
  });

  it('refuses a record filed under another commit or host (a copied or edited file)', async () => {
    const p = sweepPaths('/repo/.git', 'misfiled', tmp.path);
    const other = 'b'.repeat(40);
    mkdirSync(join(p.results, HOST.id), { recursive: true });
    writeFileSync(join(p.results, HOST.id, `${other}.jsonl`), `${JSON.stringify(record(1))}\n`);
    await expect(readBootRecords(p)).rejects.toThrow(/not of the file's own/);
  });

  it('refuses a record that is not one (NaN value, bad sha) naming file and line', async () => {
    const p = sweepPaths('/repo/.git', 'hostile', tmp.path);
    mkdirSync(join(p.results, HOST.id), { recursive: true });
    const bad = { ...record(1), outcome: { kind: 'boot', runs: [1], value: 'NaN' } };
    writeFileSync(join(p.results, HOST.id, `${SHA}.jsonl`), `${JSON.stringify(record(0))}\n${JSON.stringify(bad)}\n`);
    const error = await readBootRecords(p).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(new RegExp(`${SHA}\\.jsonl:2: not a sweep record`));
  });

  it('ignores directory entries that are not host ids or sha files (../, dot files)', async () => {
    const p = sweepPaths('/repo/.git', 'entries', tmp.path);
    await appendBootRecord(p, record(1));
    mkdirSync(join(p.results, '..evil'), { recursive: true });
    writeFileSync(join(p.results, HOST.id, 'notes.txt'), 'x');
    expect(await readBootRecords(p)).toHaveLength(1);
  });

  it('never builds a path from a hostile host id, sha, sweep name or bisection id', async () => {
    const p = sweepPaths('/repo/.git', 'paths', tmp.path);
    await expect(appendBootRecord(p, { ...record(1), host: { ...HOST, id: '../../etc' } })).rejects.toThrow(UserError);
    await expect(appendBootRecord(p, { ...record(1), sha: '../x' })).rejects.toThrow(UserError);
    for (const name of ['../x', '', '.hidden', 'a/b', 'x'.repeat(65)]) expect(() => checkSweepName(name)).toThrow(UserError);
    expect(() => bisectionDirOf(p, '../../x')).toThrow(UserError);
  });

  it('names a damaged alerts.json or state.json with the way out', async () => {
    const p = sweepPaths('/repo/.git', 'damaged', tmp.path);
    mkdirSync(p.dir, { recursive: true });
    writeFileSync(p.alerts, '{"v":1,"alerts":[{"id":');
    await expect(readAlerts(p)).rejects.toThrow(/alerts\.json is damaged.*/);
    writeFileSync(p.state, JSON.stringify({ v: 1, heads: [{ sha: 'zz', history: 0, run: 1, at: '' }], references: {} }));
    await expect(readState(p)).rejects.toThrow(/state\.json is damaged: heads/);
  });

  it('writes the alert list atomically and reset moves the sweep aside', async () => {
    const p = sweepPaths('/repo/.git', 'reset', tmp.path);
    await writeAlerts(p, []);
    expect(await readAlerts(p)).toEqual([]);
    expect(readdirSync(p.dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
    const archived = await archiveSweep(p);
    expect(archived).not.toBeNull();
    expect(existsSync(p.dir)).toBe(false);
    expect(existsSync(join(archived as string, 'alerts.json'))).toBe(true);
    expect(await archiveSweep(p)).toBeNull();
  });

  it('one directory per repository and sweep name', () => {
    const a = sweepPaths('/srv/linux/.git', 'default', tmp.path);
    const b = sweepPaths('/srv/other/linux/.git', 'default', tmp.path);
    const c = sweepPaths('/srv/linux/.git', 'nightly', tmp.path);
    expect(new Set([a.dir, b.dir, c.dir]).size).toBe(3);
    expect(a.dir).toContain(join('sweeps', 'linux-'));
  });
});
