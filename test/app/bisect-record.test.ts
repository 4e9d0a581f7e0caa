// The one path every event takes (app/bisect/record.ts): applied to the engine
// first, appended only if accepted, never once the process is being stopped.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resetBisection, startBisection } from '../../src/app/bisect.ts';
import { nextMeasured, openEventLog, recordEvent, serializeRecorder } from '../../src/app/bisect/record.ts';
import { buildReportInput, hostOfSession } from '../../src/core/bisect/report-input.ts';
import { sessionPaths } from '../../src/adapters/session-store.ts';
import { InterruptedError, UserError } from '../../src/core/errors.ts';
import { isolateKbisectDirs, makeBenchRepo, type BenchRepo } from '../helpers/bench-repo.ts';
import { beginShutdownForTest } from '../helpers/shutdown.ts';

let r: BenchRepo;
let restore: () => void;

beforeEach(() => {
  r = makeBenchRepo({ commits: 4, culprit: 2, prefix: 'kbisect-record-' });
  restore = isolateKbisectDirs(r.dir);
});

afterEach(async () => {
  await resetBisection(r.repo).catch(() => undefined);
  restore();
  r.remove();
});

const events = (): string => readFileSync(join(r.repo, '.git', 'kbisect', 'events.jsonl'), 'utf8');

describe('recordEvent', () => {
  it('appends an accepted event and moves the engine on', async () => {
    await startBisection({ repo: r.repo, good: r.shas[0] as string, bad: r.shas[3] as string, command: 'bash bench.sh' });
    const log = await openEventLog(await sessionPaths(r.repo));
    expect(nextMeasured(log.state)).toBe(r.shas[3]);
    await recordEvent(log, { kind: 'boot', commit: r.shas[3] as string, runs: [80_000] }, { source: 'command', exitCode: 0, durationMs: 3, stderrTail: '' });
    expect(log.state.events).toBe(1);
    expect(JSON.parse(events())).toMatchObject({ kind: 'event', event: { kind: 'boot', runs: [80_000] }, detail: { source: 'command' } });
  });

  it('refuses an event the engine refuses (a value of 0) and leaves the log and the state alone', async () => {
    await startBisection({ repo: r.repo, good: r.shas[0] as string, bad: r.shas[3] as string, command: 'bash bench.sh' });
    const log = await openEventLog(await sessionPaths(r.repo));
    const error = await recordEvent(log, { kind: 'boot', commit: r.shas[0] as string, runs: [0] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/the sample of GOOD \([0-9a-f]{12}\) was not recorded/);
    expect(log.state.events).toBe(0);
    expect(() => events()).toThrow(/ENOENT/);
  });

  it('refuses a boot from another host or accelerator than the boots already logged, and leaves the log alone', async () => {
    await startBisection({ repo: r.repo, good: r.shas[0] as string, bad: r.shas[3] as string, command: 'bash bench.sh' });
    const log = await openEventLog(await sessionPaths(r.repo));
    const boot = (host: string, accel: 'kvm' | 'tcg') => ({ source: 'boot' as const, imageHash: 'abc', bootIndex: 0, host, accel });
    await recordEvent(log, { kind: 'boot', commit: r.shas[3] as string, runs: [80] }, boot('host-a', 'tcg'));
    await recordEvent(log, { kind: 'boot', commit: r.shas[0] as string, runs: [100] }, boot('host-a', 'tcg'));
    const before = events();
    for (const [host, accel] of [['host-b', 'tcg'], ['host-a', 'kvm']] as const) {
      const error = await recordEvent(log, { kind: 'boot', commit: r.shas[3] as string, runs: [81] }, boot(host, accel)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).message).toMatch(new RegExp(`the sample of BAD \\([0-9a-f]{12}\\) was not recorded: this bisection's boots ran on host host-a \\(tcg\\), this one on host ${host} \\(${accel}\\)`));
      expect((error as UserError).hint).toMatch(/--accel tcg/);
    }
    expect(events()).toBe(before);
    expect(log.state.events).toBe(2);
    // a command's samples carry no host: nothing to compare
    await recordEvent(log, { kind: 'boot', commit: r.shas[3] as string, runs: [79] }, { source: 'command', exitCode: 0, durationMs: 3, stderrTail: '' });
    expect(log.state.events).toBe(3);
  });

  it('with several measurement hosts, refuses a boot whose machine is not the one its host measured on before', async () => {
    await startBisection({ repo: r.repo, good: r.shas[0] as string, bad: r.shas[3] as string, command: 'bash bench.sh' });
    const paths = await sessionPaths(r.repo);
    const session = JSON.parse(readFileSync(paths.session, 'utf8')) as Record<string, unknown>;
    writeFileSync(paths.session, JSON.stringify({ ...session, hosts: ['n1', 'n2'] }));
    const log = await openEventLog(paths);
    const boot = (fingerprint: string) => ({ source: 'boot' as const, imageHash: 'abc', bootIndex: 0, host: fingerprint, accel: 'tcg' as const });
    // two hosts, two machines: each judged on its own, both accepted
    await recordEvent(log, { kind: 'boot', commit: r.shas[3] as string, runs: [80], host: 'n1' }, boot('fp-1'));
    await recordEvent(log, { kind: 'boot', commit: r.shas[3] as string, runs: [120], host: 'n2' }, boot('fp-2'));
    expect(log.state.events).toBe(2);
    // the report's boots are one host's (the one its change is from), never both machines mixed
    await recordEvent(log, { kind: 'boot', commit: r.shas[0] as string, runs: [100], host: 'n1' }, boot('fp-1'));
    await recordEvent(log, { kind: 'boot', commit: r.shas[0] as string, runs: [150], host: 'n2' }, boot('fp-2'));
    const report = buildReportInput(log.session, log.state, log.events, '2026-01-01T00:00:00Z');
    expect(report.bootsByCommit[r.shas[0] as string]).toEqual([100]);
    expect(report.bootsByCommit[r.shas[3] as string]).toEqual([80]);
    // the host line of a kernel bisection names each measurement host's machine
    expect(hostOfSession({ ...log.session, mode: 'kernel' } as unknown as Parameters<typeof hostOfSession>[0], log.events)).toEqual({ fingerprint: 'n1 fp-1, n2 fp-2', accel: 'tcg' });
    expect(log.state.events).toBe(4);
    // n2's next boot from n1's machine: n2's numbers would mix two machines
    const error = await recordEvent(log, { kind: 'boot', commit: r.shas[0] as string, runs: [100], host: 'n2' }, boot('fp-1')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/the boots of measurement host n2 ran on host fp-2 \(tcg\), this one on host fp-1/);
    // a boot without its host is the engine's to refuse
    const unnamed = await recordEvent(log, { kind: 'boot', commit: r.shas[0] as string, runs: [100] }, boot('fp-1')).catch((e: unknown) => e);
    expect((unnamed as UserError).message).toMatch(/name its host/);
    expect(log.state.events).toBe(4);
  });

  it('refuses a Slurm sample from another node than the bisection\'s first (a constraint lets Slurm pick any node)', async () => {
    await startBisection({ repo: r.repo, good: r.shas[0] as string, bad: r.shas[3] as string, command: 'bash bench.sh' });
    const log = await openEventLog(await sessionPaths(r.repo));
    const sample = (node: string) => ({ source: 'command' as const, exitCode: 0, durationMs: 3, stderrTail: '', job: { executor: 'slurm' as const, id: '7', node, infraRetries: 0 } });
    await recordEvent(log, { kind: 'boot', commit: r.shas[3] as string, runs: [80] }, sample('perf01'));
    await recordEvent(log, { kind: 'boot', commit: r.shas[0] as string, runs: [100] }, sample('perf01'));
    const error = await recordEvent(log, { kind: 'boot', commit: r.shas[0] as string, runs: [101] }, sample('perf02')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/samples ran on node perf01, this one on node perf02/);
    expect((error as UserError).hint).toMatch(/nodes: \[perf01\]/);
    expect(log.state.events).toBe(2);
  });

  it('serializeRecorder applies concurrent events one after the other, none lost', async () => {
    await startBisection({ repo: r.repo, good: r.shas[0] as string, bad: r.shas[3] as string, command: 'bash bench.sh' });
    const log = await openEventLog(await sessionPaths(r.repo));
    const record = serializeRecorder((event, detail) => recordEvent(log, event, detail));
    const failing = record({ kind: 'boot', commit: r.shas[0] as string, runs: [0] });
    await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => record({ kind: 'boot', commit: (i % 2 === 0 ? r.shas[0] : r.shas[3]) as string, runs: [100 - i] })),
      failing.catch(() => undefined),
    ]);
    await expect(failing).rejects.toBeInstanceOf(UserError);
    expect(log.state.events).toBe(8);
    expect(events().trim().split('\n')).toHaveLength(8);
  });

  it('logs nothing once the process is being stopped (Ctrl-C): the sample in flight is discarded', async () => {
    await startBisection({ repo: r.repo, good: r.shas[0] as string, bad: r.shas[3] as string, command: 'bash bench.sh' });
    const log = await openEventLog(await sessionPaths(r.repo));
    const stop = beginShutdownForTest();
    try {
      const error = await recordEvent(log, { kind: 'boot-failed', commit: r.shas[3] as string, reason: 'killed by SIGINT' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InterruptedError);
    } finally {
      stop();
    }
    expect(() => events()).toThrow(/ENOENT/);
  });
});
