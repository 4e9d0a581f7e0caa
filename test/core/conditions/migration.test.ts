import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildIncomingUri,
  buildMigrateCommand,
  buildMigrateParametersCommand,
  buildTcgMigratableMemorySize,
  buildReachPingArgs,
  describeMigrationFailure,
  formatMigrationRun,
  isPingReply,
  nextMigrationDelayMs,
  parseQueryMigrate,
  parseRunState,
  planMigrationOffsetsS,
  summarizeMigrationRun,
  type MigrationRecord,
  type ReachTarget,
} from '../../../src/core/conditions/migration.ts';

// Real replies of QEMU 7.2 (TCG) read from the QMP socket during a local migration.
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'qmp', 'query-migrate.json'), 'utf8')) as Record<string, string>;
const reply = (key: string): unknown => (JSON.parse(fixture[key] ?? 'null') as { return: unknown }).return;

describe('migration schedule', () => {
  it.each([
    [20, 4, [4, 8, 12, 16]],
    [20, 5, [5, 10, 15]],
    [10, 10, []],
    [3, 1, [1, 2]],
  ])('a %i s run with intervalS %i migrates at %j', (durationS, intervalS, offsets) => {
    expect(planMigrationOffsetsS(durationS, intervalS)).toEqual(offsets);
  });

  it('refuses a non-positive interval', () => {
    expect(() => planMigrationOffsetsS(20, 0)).toThrow(/positive/);
  });

  it('starts a migration at its time, or at once when the previous cycle overran it', () => {
    expect(nextMigrationDelayMs(8, 5000)).toBe(3000);
    expect(nextMigrationDelayMs(8, 9500)).toBe(0);
  });
});

describe('QMP migration commands', () => {
  it('migrates over a unix socket, never a network address', () => {
    expect(buildIncomingUri('/run/kbisect/x/mig1.sock')).toBe('unix:/run/kbisect/x/mig1.sock');
    expect(buildMigrateCommand('unix:/r/mig1.sock')).toEqual({ execute: 'migrate', arguments: { uri: 'unix:/r/mig1.sock' } });
  });

  it('lifts the default bandwidth cap and keeps the downtime limit at QEMU’s default', () => {
    expect(buildMigrateParametersCommand()).toEqual({ execute: 'migrate-set-parameters', arguments: { 'max-bandwidth': 1073741824, 'downtime-limit': 300 } });
  });
});

describe('parseQueryMigrate (recorded QEMU 7.2 replies)', () => {
  it('reads no migration yet', () => {
    expect(parseQueryMigrate(reply('queryBeforeMigrate'))).toEqual({ kind: 'none' });
  });

  it('reads setup and active as still running', () => {
    expect(parseQueryMigrate(reply('setup'))).toEqual({ kind: 'running', status: 'setup', totalTimeMs: null, remainingBytes: null });
    expect(parseQueryMigrate(reply('active'))).toEqual({ kind: 'running', status: 'active', totalTimeMs: 401, remainingBytes: 239603712 });
  });

  it('reads total time, downtime and bytes of a completed migration', () => {
    expect(parseQueryMigrate(reply('completed'))).toEqual({
      kind: 'completed',
      totalTimeMs: 5839,
      downtimeMs: 13,
      setupTimeMs: 5,
      transferredBytes: 1062566,
      totalBytes: 268967936,
    });
  });

  it("does not take the destination's bare 'completed' for times it has not got", () => {
    expect(parseQueryMigrate(reply('destinationAfter'))).toMatchObject({ kind: 'failed', reason: expect.stringContaining('destination') as unknown });
  });

  it("reads a failed migration with QEMU's reason", () => {
    expect(parseQueryMigrate(reply('failed'))).toEqual({ kind: 'failed', status: 'failed', reason: "Failed to connect to '/tmp/mig/cap/nothing.sock': No such file or directory" });
  });

  it('reads cancelled as a failure and junk as no migration', () => {
    expect(parseQueryMigrate({ status: 'cancelled' })).toEqual({ kind: 'failed', status: 'cancelled', reason: 'migration ended with status cancelled' });
    expect(parseQueryMigrate(null)).toEqual({ kind: 'none' });
    expect(parseQueryMigrate([1])).toEqual({ kind: 'none' });
  });
});

// query-status replies of QEMU 7.2: a destination still loading, and the one that runs the guest
describe('parseRunState (recorded QEMU 7.2 replies)', () => {
  it('reads the run state the source is stopped only after', () => {
    expect(parseRunState({ status: 'inmigrate', singlestep: false, running: false })).toBe('inmigrate');
    expect(parseRunState({ status: 'running', singlestep: false, running: true })).toBe('running');
    expect(parseRunState({ status: 'postmigrate', singlestep: false, running: false })).toBe('postmigrate');
  });

  it('is null for a reply without a status', () => {
    for (const raw of [null, [], 'running', { running: true }]) expect(parseRunState(raw)).toBeNull();
  });
});

describe('guest RAM under TCG migration', () => {
  it('is 8 KiB over the profile size: QEMU 7.2 takes its dirty-bitmap slow path, which re-arms the TLB', () => {
    expect(buildTcgMigratableMemorySize(128)).toBe('131080k');
  });
});

describe('reachability probes', () => {
  it('recognizes ping replies (busybox and iputils), not the banner or errors', () => {
    expect(isPingReply('64 bytes from 10.77.0.101: seq=3 ttl=64 time=0.412 ms')).toBe(true);
    expect(isPingReply('64 bytes from 10.77.100.2: icmp_seq=1 ttl=64 time=0.1 ms')).toBe(true);
    expect(isPingReply('PING 10.77.0.2 (10.77.0.2): 56 data bytes')).toBe(false);
    expect(isPingReply('ping: sendto: Network is unreachable')).toBe(false);
  });

  it('pings every 20 ms until the deadline', () => {
    expect(buildReachPingArgs('10.77.0.101', 2)).toEqual(['ping', '-n', '-i', '0.02', '-w', '2', '10.77.0.101']);
  });
});

describe('summarizeMigrationRun', () => {
  const targets: ReachTarget[] = [
    { kind: 'primary', ip: '10.77.0.2', mac: '52:54:00:77:00:02' },
    { kind: 'mac', ip: '10.77.0.101', mac: '52:54:00:78:02:01' },
    { kind: 'vlan', ip: '10.77.100.2', mac: '52:54:00:77:00:02', vid: 10 },
  ];
  const done = (index: number, downtimeMs: number, replies: (number | null)[]): MigrationRecord => ({
    index,
    startedAtS: index * 4,
    outcome: {
      kind: 'completed',
      totalTimeMs: 1000 + index,
      downtimeMs,
      setupTimeMs: 5,
      transferredBytes: 1,
      reach: targets.map((t, i) => ({ ...t, firstReplyMs: replies[i] ?? null })),
    },
  });

  it('counts migrations and summarizes downtime and time to first reply per target', () => {
    const run = summarizeMigrationRun({ test: 's', rep: 1, intervalS: 4, reachTimeoutS: 2, survived: true }, [done(1, 10, [5, 2000, 7]), done(2, 30, [3, null, 9]), done(3, 20, [4, 1500, 8])], targets);
    expect(run.completed).toBe(3);
    expect(run.failed).toBe(0);
    expect(run.downtimeMs).toEqual({ median: 20, max: 30 });
    expect(run.totalTimeMs).toEqual({ median: 1002, max: 1003 });
    expect(run.reach).toEqual([
      { kind: 'primary', ip: '10.77.0.2', mac: '52:54:00:77:00:02', medianMs: 4, maxMs: 5, unreached: 0 },
      { kind: 'mac', ip: '10.77.0.101', mac: '52:54:00:78:02:01', medianMs: 1750, maxMs: 2000, unreached: 1 },
      { kind: 'vlan', ip: '10.77.100.2', mac: '52:54:00:77:00:02', vid: 10, medianMs: 8, maxMs: 9, unreached: 0 },
    ]);
  });

  it('says why a run failed: a failed migration, or a dropped connection', () => {
    const failedMigration = summarizeMigrationRun({ test: 's', rep: 1, intervalS: 4, reachTimeoutS: 2, survived: true }, [done(1, 10, [1, 1, 1]), { index: 2, startedAtS: 8, outcome: { kind: 'failed', reason: 'boom' } }], targets);
    expect(failedMigration.failed).toBe(1);
    expect(describeMigrationFailure(failedMigration, null)).toBe('migration 2 failed: boom');
    const dropped = summarizeMigrationRun({ test: 's', rep: 1, intervalS: 4, reachTimeoutS: 2, survived: false }, [done(1, 10, [1, 1, 1])], targets);
    expect(describeMigrationFailure(dropped, 'netperf exited 1')).toBe('the netperf connection did not survive migration (1 completed; netperf exited 1)');
    expect(dropped.downtimeMs).toEqual({ median: 10, max: 10 });
  });

  it('prints one line per run: counts, downtime, survival, time to first reply per address', () => {
    const run = summarizeMigrationRun({ test: 'stream', rep: 1, intervalS: 4, reachTimeoutS: 2, survived: true }, [done(1, 10, [5, null, 7]), done(2, 30, [3, null, 9])], targets);
    expect(formatMigrationRun(run)).toBe(
      'migration stream run 1: 2 completed, downtime median 20 ms (max 30 ms), total median 1002 ms, connection survived; ' +
        'first reply after migration: eth0 4 ms, mac 52:54:00:78:02:01 - (no reply 2×), vlan 10 8 ms',
    );
  });

  it('has no numbers when nothing completed', () => {
    const run = summarizeMigrationRun({ test: 's', rep: 1, intervalS: 4, reachTimeoutS: 2, survived: true }, [], targets);
    expect(run.downtimeMs).toEqual({ median: null, max: null });
    expect(run.reach[0]).toMatchObject({ medianMs: null, unreached: 0 });
  });
});
