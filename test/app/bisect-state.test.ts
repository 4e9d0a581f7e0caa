// The state a bisection keeps, probed the way a careless user, a crash or a
// colleague's log would: every event is checked before it is logged, torn and
// damaged files give clear errors and never poison the session, replayed logs
// run no code without consent. Real git repositories, real processes.
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { exportLog, getStatus, markCommit, replayLog, resetBisection, runBisection, startBisection } from '../../src/app/bisect.ts';
import { UserError } from '../../src/core/errors.ts';
import { isRunning } from '../helpers/process.ts';
import { isolateKbisectDirs, makeBenchRepo, type BenchRepo } from '../helpers/bench-repo.ts';

// each test bisects a real repository with real processes: seconds, more on a busy host
vi.setConfig({ testTimeout: 120_000 });

let r: BenchRepo;
let restore: () => void;

beforeEach(() => {
  r = makeBenchRepo();
  restore = isolateKbisectDirs(r.dir);
});

afterEach(async () => {
  await resetBisection(r.repo).catch(() => undefined);
  restore();
  r.remove();
});

const good = (): string => r.shas[0] as string;
const bad = (): string => r.shas[r.shas.length - 1] as string;
const eventsFile = (): string => join(r.repo, '.git', 'kbisect', 'events.jsonl');
const logText = (): string => (existsSync(eventsFile()) ? readFileSync(eventsFile(), 'utf8') : '');

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
}

describe('every event is checked before it is logged', () => {
  it.each([
    ['good with no REV while BAD is calibrated (marks BAD good)', 'good', undefined],
    ['bad GOOD', 'bad', 'GOOD'],
    ['skip GOOD', 'skip', 'GOOD'],
    ['skip BAD', 'skip', 'BAD'],
  ] as const)('%s: refused, the log untouched, status still works', async (_name, as, which) => {
    await startBisection({ repo: r.repo, good: good(), bad: bad(), command: 'bash bench.sh', minEffect: 0.05 });
    // calibration measures BAD first (seed 1): `good` without REV would mark it
    expect((await getStatus(r.repo)).next.find((a) => a.kind === 'measure')).toMatchObject({ commit: bad() });
    const before = logText();
    const rev = which === undefined ? undefined : which === 'GOOD' ? good() : bad();
    const error = await errorOf(markCommit(r.repo, rev, as));
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/was not recorded: Cannot (mark|skip) (GOOD|BAD)/);
    expect(logText()).toBe(before);
    await expect(getStatus(r.repo)).resolves.toMatchObject({ result: { outcome: 'running' } });
  });

  it('a command that exits 125 at an endpoint stops the run (exit 2) and logs nothing', async () => {
    await startBisection({ repo: r.repo, good: good(), bad: bad(), command: 'exit 125' });
    const error = await errorOf(runBisection({ repo: r.repo }));
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/not recorded: Cannot skip (GOOD|BAD)/);
    expect(logText()).toBe('');
    await expect(getStatus(r.repo)).resolves.toBeDefined();
  });

  it('a command that prints 0 or a negative number gives failed samples, not a poisoned log', async () => {
    await startBisection({ repo: r.repo, good: good(), bad: bad(), command: 'echo 0' });
    const { result } = await runBisection({ repo: r.repo });
    expect(result.outcome).toBe('inconclusive');
    const lines = logText().trim().split('\n').map((l) => JSON.parse(l) as { event: { kind: string; reason?: string } });
    expect(lines.every((l) => l.event.kind === 'boot-failed')).toBe(true);
    expect(lines[0]?.event.reason).toMatch(/positive number/);
    expect(lines[0]?.event.reason).not.toMatch(/netperf/);
    await expect(getStatus(r.repo)).resolves.toMatchObject({ result: { outcome: 'inconclusive' } });
  });
});

describe('a torn or damaged log', () => {
  it('a torn last line (kill -9 mid-write) is reported by status, moved aside by run, and never breaks the log', async () => {
    await startBisection({ repo: r.repo, good: good(), bad: bad(), command: 'bash bench.sh', minEffect: 0.05 });
    await markCommit(r.repo, r.shas[1], 'good');
    appendFileSync(eventsFile(), '{"kind":"event","at":"2026-11-29T00:00:00.000Z","event":{"kind":"boot","commit":"');
    const status = await getStatus(r.repo);
    expect(status.warnings.join('\n')).toMatch(/cut short by a crash/);
    const notes: string[] = [];
    const { result } = await runBisection({ repo: r.repo, onNote: (t) => notes.push(t) });
    expect(result.outcome).toBe('culprit');
    expect(notes.join('\n')).toMatch(/moved a last line of the log cut short by a crash \(\d+ bytes\) aside to .*events\.jsonl\.torn-/);
    expect(readdirSync(join(r.repo, '.git', 'kbisect')).some((n) => n.startsWith('events.jsonl.torn-'))).toBe(true);
    // every line parses, and every command works afterwards
    for (const line of logText().trim().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();
    await expect(getStatus(r.repo)).resolves.toMatchObject({ result: { outcome: 'culprit' }, warnings: [] });
  });

  it('a damaged middle line is exit 2 naming the line and the way out; reset still works and keeps the files', async () => {
    await startBisection({ repo: r.repo, good: good(), bad: bad(), command: 'bash bench.sh' });
    await markCommit(r.repo, r.shas[1], 'good');
    await markCommit(r.repo, r.shas[2], 'good');
    const lines = logText().split('\n');
    lines[0] = '{"kind":"event", garbage';
    writeFileSync(eventsFile(), lines.join('\n'));
    const error = await errorOf(getStatus(r.repo));
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/events\.jsonl:1: expected a JSON record/);
    expect((error as UserError).hint).toMatch(/kbisect reset/);
    const reset = await resetBisection(r.repo);
    expect(reset.hadSession).toBe(true);
    expect(readdirSync(reset.archivedTo as string).sort()).toEqual(['events.jsonl', 'session.json']);
  });

  it.each([
    ['not JSON', '{"kind": "session", '],
    ['a wrong shape', '{"kind":"session","version":1,"mode":"kernel"}'],
    ['a hostile events file name', null],
  ])('a session.json with %s: status is exit 2 with the way out, reset works', async (_name, content) => {
    const s = await startBisection({ repo: r.repo, good: good(), bad: bad(), command: 'bash bench.sh' });
    const file = join(r.repo, '.git', 'kbisect', 'session.json');
    writeFileSync(file, content ?? JSON.stringify({ ...s, eventsFile: '../../../etc/passwd' }));
    const error = await errorOf(getStatus(r.repo));
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/session\.json is damaged/);
    expect((error as UserError).hint).toMatch(/kbisect reset/);
    await expect(resetBisection(r.repo)).resolves.toMatchObject({ hadSession: true });
    await expect(getStatus(r.repo)).rejects.toThrow(/no bisection in progress/);
  });
});

describe('the measurement of a session', () => {
  it('start GOOD BAD, then run --cmd SCRIPT (git habits) finds the culprit', async () => {
    const s = await startBisection({ repo: r.repo, good: good(), bad: bad(), minEffect: 0.05 });
    expect(s.mode).toBe('pending');
    await expect(getStatus(r.repo)).resolves.toMatchObject({ warnings: [expect.stringMatching(/run --cmd SCRIPT/)] });
    await expect(runBisection({ repo: r.repo })).rejects.toThrow(/does not know how to measure yet/);
    const { result } = await runBisection({ repo: r.repo, command: 'bash bench.sh' });
    expect(result.culprit?.commit).toBe(r.shas[4]);
  });

  it('run --cmd OTHER on a session with samples is refused; the same command goes on', async () => {
    await startBisection({ repo: r.repo, good: good(), bad: bad(), command: 'bash bench.sh', minEffect: 0.05 });
    await runBisection({ repo: r.repo });
    const before = logText();
    const error = await errorOf(runBisection({ repo: r.repo, command: 'echo 5' }));
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/samples measured with the command `bash bench.sh`/);
    expect(logText()).toBe(before);
    await expect(runBisection({ repo: r.repo, command: 'bash bench.sh' })).resolves.toMatchObject({ result: { outcome: 'culprit' } });
  });

  it('a hanging command is killed at --timeout with its children, and the sample counts as failed', async () => {
    const pidFile = join(r.dir, 'child.pid');
    await startBisection({ repo: r.repo, good: good(), bad: bad(), command: `sleep 300 & echo $! > ${pidFile}; wait`, timeoutS: 0.5 });
    const { result } = await runBisection({ repo: r.repo });
    expect(result.outcome).toBe('inconclusive');
    const first = JSON.parse(logText().split('\n')[0] as string) as { event: { kind: string; reason: string }; detail: { timedOut: boolean } };
    expect(first.event).toMatchObject({ kind: 'boot-failed', reason: expect.stringMatching(/timed out after/) });
    expect(first.detail.timedOut).toBe(true);
    expect(await isRunning(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
  });
});

describe('replay: a log from elsewhere', () => {
  async function writeLog(): Promise<string> {
    await startBisection({ repo: r.repo, good: good(), bad: bad(), command: 'touch /tmp/kbisect-replay-pwned; bash bench.sh' });
    await markCommit(r.repo, r.shas[1], 'good');
    const file = join(r.dir, 'shared.log');
    writeFileSync(file, await exportLog(r.repo));
    await resetBisection(r.repo);
    return file;
  }

  it('shows the command it carries and needs --trust or the same --cmd', async () => {
    const file = await writeLog();
    const error = await errorOf(replayLog(r.repo, file));
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain('touch /tmp/kbisect-replay-pwned; bash bench.sh');
    expect((error as UserError).hint).toMatch(/--trust/);
    await expect(getStatus(r.repo)).rejects.toThrow(/no bisection in progress/);
    await expect(replayLog(r.repo, file, { command: 'bash bench.sh' })).rejects.toThrow(/not the command its samples came from/);
    await expect(replayLog(r.repo, file, { command: 'touch /tmp/kbisect-replay-pwned; bash bench.sh' })).resolves.toMatchObject({ session: { mode: 'command' } });
    await expect(replayLog(r.repo, file, { trust: true })).resolves.toMatchObject({ archived: expect.any(String) });
  });

  it('refuses a log cut short, an event the engine refuses, and a hostile toolchain, writing nothing', async () => {
    const file = await writeLog();
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, text.length - 20));
    await expect(replayLog(r.repo, file, { trust: true })).rejects.toThrow(/:2: expected a JSON line.*cut short/);
    const lines = text.trim().split('\n');
    writeFileSync(file, [lines[0], JSON.stringify({ kind: 'event', at: 'x', event: { kind: 'mark', commit: good(), as: 'bad' } })].join('\n'));
    await expect(replayLog(r.repo, file, { trust: true })).rejects.toThrow(/cannot accept: Cannot mark GOOD/);
    const session = JSON.parse(lines[0] as string) as Record<string, unknown>;
    writeFileSync(file, `${JSON.stringify({ ...session, toolchain: 'gcc; touch /tmp/x' })}\n`);
    await expect(replayLog(r.repo, file, { trust: true })).rejects.toThrow(/toolchain/);
    await expect(getStatus(r.repo)).rejects.toThrow(/no bisection in progress/);
  });
});
