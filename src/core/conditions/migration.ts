// Live migration during a netperf run, the pure parts: when each migration
// starts, the QMP commands that start and watch one, what QEMU's
// `query-migrate` reply says, and the summary of one run's migrations with the
// time every MAC and VLAN of the guest took to answer again afterwards (where
// "QEMU announces only the first MAC / no VLAN" shows).
import { median } from '../stats/descriptive.ts';

// The migration stream: QEMU's default 128 MiB/s would be the bottleneck of a local migration.
export const MIGRATION_MAX_BANDWIDTH_BYTES = 1024 ** 3;
// QEMU's default; recorded with the results so that a changed default is seen
export const MIGRATION_DOWNTIME_LIMIT_MS = 300;

// Offsets (s from the run's start) of the planned migrations: every intervalS while the run lasts.
export function planMigrationOffsetsS(durationS: number, intervalS: number): number[] {
  if (!(intervalS > 0)) throw new RangeError(`expected a positive migration interval, got ${intervalS}`);
  const out: number[] = [];
  for (let t = intervalS; t < durationS; t += intervalS) out.push(t);
  return out;
}

// When the next migration may start: its planned time, or at once when the previous cycle overran it.
export function nextMigrationDelayMs(plannedOffsetS: number, elapsedMs: number): number {
  return Math.max(0, plannedOffsetS * 1000 - elapsedMs);
}

export const TCG_MIGRATION_RAM_PAD_KIB = 8;

// Guest RAM of a migratable TCG guest: 8 KiB more than asked, so that pc.ram is not a
// multiple of 256 KiB. QEMU before 9.0 (7.2 here) syncs the migration dirty bitmap of a RAM
// block whose size is a multiple of 64 pages with a fast path that clears the bits without
// re-arming TCG's TLB_NOTDIRTY (cpu_physical_memory_sync_dirty_bitmap; fixed upstream by
// 03bfc2188f "physmem: Fix migration dirty bitmap coherency with TCG memory access"): the
// vCPU's later stores through an existing TLB entry are never marked dirty, the destination
// gets stale pages, and the guest dies after the switch ("output.0:id N is not a head!",
// scheduling while atomic, a page-fault storm). Any other size takes the slow path, which
// resets the TLB. Measured here: 21 stale pages at the switch in the runs that died, none
// with this size. QEMU rounds -m to 8 KiB, so 8 KiB is the smallest step that works.
export function buildTcgMigratableMemorySize(memoryMiB: number): string {
  if (!Number.isInteger(memoryMiB) || memoryMiB <= 0) throw new RangeError(`expected a positive whole number of MiB, got ${memoryMiB}`);
  return `${memoryMiB * 1024 + TCG_MIGRATION_RAM_PAD_KIB}k`;
}

export interface QmpCommand {
  execute: string;
  arguments?: Record<string, unknown>;
}

// The destination listens on a unix socket (in the run directory): no port, nothing off the machine.
export function buildIncomingUri(socketPath: string): string {
  return `unix:${socketPath}`;
}

export function buildMigrateParametersCommand(): QmpCommand {
  return { execute: 'migrate-set-parameters', arguments: { 'max-bandwidth': MIGRATION_MAX_BANDWIDTH_BYTES, 'downtime-limit': MIGRATION_DOWNTIME_LIMIT_MS } };
}

export function buildMigrateCommand(uri: string): QmpCommand {
  return { execute: 'migrate', arguments: { uri } };
}

export const QUERY_MIGRATE: QmpCommand = { execute: 'query-migrate' };

export const QUERY_STATUS: QmpCommand = { execute: 'query-status' };

// The run state in a `query-status` reply (StatusInfo.status: running, inmigrate, postmigrate, ...); null when absent.
export function parseRunState(raw: unknown): string | null {
  const info = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  return typeof info.status === 'string' ? info.status : null;
}

// What `query-migrate` says about the migration in progress (or the last one).
export type MigrationState =
  | { kind: 'none' }
  | { kind: 'running'; status: string; totalTimeMs: number | null; remainingBytes: number | null }
  | { kind: 'completed'; totalTimeMs: number; downtimeMs: number; setupTimeMs: number | null; transferredBytes: number | null; totalBytes: number | null }
  | { kind: 'failed'; status: string; reason: string };

// statuses of MigrationStatus (qapi/migration.json) that are still under way
const RUNNING = new Set(['setup', 'active', 'pre-switchover', 'device', 'postcopy-active', 'postcopy-paused', 'postcopy-recover', 'wait-unplug', 'cancelling']);

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

// Parses the `return` value of `query-migrate` (MigrationInfo).
export function parseQueryMigrate(raw: unknown): MigrationState {
  const info = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const status = typeof info.status === 'string' ? info.status : undefined;
  const ram = typeof info.ram === 'object' && info.ram !== null ? (info.ram as Record<string, unknown>) : {};
  if (status === undefined) return { kind: 'none' };
  if (status === 'completed') {
    const totalTimeMs = num(info['total-time']);
    const downtimeMs = num(info.downtime);
    // the destination's own query-migrate says only "completed": the source's reply carries the times
    if (totalTimeMs === null || downtimeMs === null) return { kind: 'failed', status, reason: 'query-migrate reported completed without total-time and downtime (asked the destination?)' };
    return { kind: 'completed', totalTimeMs, downtimeMs, setupTimeMs: num(info['setup-time']), transferredBytes: num(ram.transferred), totalBytes: num(ram.total) };
  }
  if (RUNNING.has(status)) return { kind: 'running', status, totalTimeMs: num(info['total-time']), remainingBytes: num(ram.remaining) };
  const desc = typeof info['error-desc'] === 'string' ? info['error-desc'] : `migration ended with status ${status}`;
  return { kind: 'failed', status, reason: desc };
}

// One address of the guest that must answer again after each migration.
export interface ReachTarget {
  // primary: eth0's own MAC; mac: an extra (macvlan) MAC; vlan: an 802.1Q sub-interface
  kind: 'primary' | 'mac' | 'vlan';
  ip: string;
  mac: string;
  vid?: number;
}

export interface ReachResult extends ReachTarget {
  // from the migration's completion to the first ping reply; null: none within the bound
  firstReplyMs: number | null;
}

export interface MigrationRecord {
  // 1-based within the run; odd ones go to the standby QEMU, even ones come back
  index: number;
  // s from the run's start
  startedAtS: number;
  outcome:
    | { kind: 'completed'; totalTimeMs: number; downtimeMs: number; setupTimeMs: number | null; transferredBytes: number | null; reach: ReachResult[] }
    | { kind: 'failed'; reason: string };
}

export interface ReachSummary {
  kind: ReachTarget['kind'];
  ip: string;
  mac: string;
  vid?: number;
  // over the run's completed migrations
  medianMs: number | null;
  maxMs: number | null;
  unreached: number;
}

// One netperf run under migration, as stored with the boot.
export interface MigrationRun {
  test: string;
  rep: number;
  intervalS: number;
  reachTimeoutS: number;
  // did the netperf connection outlive every migration (false: the run is a failure, not a number)
  survived: boolean;
  migrations: MigrationRecord[];
  completed: number;
  failed: number;
  downtimeMs: { median: number | null; max: number | null };
  totalTimeMs: { median: number | null; max: number | null };
  reach: ReachSummary[];
}

function spread(values: number[]): { median: number | null; max: number | null } {
  return values.length === 0 ? { median: null, max: null } : { median: median(values), max: Math.max(...values) };
}

// The run's record: counts, downtime and total time, and per target the time to first reply.
export function summarizeMigrationRun(
  run: { test: string; rep: number; intervalS: number; reachTimeoutS: number; survived: boolean },
  migrations: readonly MigrationRecord[],
  targets: readonly ReachTarget[],
): MigrationRun {
  const done = migrations.flatMap((m) => (m.outcome.kind === 'completed' ? [m.outcome] : []));
  const reach = targets.map((t): ReachSummary => {
    const times = done.map((m) => m.reach.find((r) => r.ip === t.ip)?.firstReplyMs ?? null);
    const got = times.filter((x): x is number => x !== null);
    const s = spread(got);
    return { kind: t.kind, ip: t.ip, mac: t.mac, ...(t.vid === undefined ? {} : { vid: t.vid }), medianMs: s.median, maxMs: s.max, unreached: times.length - got.length };
  });
  return {
    ...run,
    migrations: [...migrations],
    completed: done.length,
    failed: migrations.length - done.length,
    downtimeMs: spread(done.map((m) => m.downtimeMs)),
    totalTimeMs: spread(done.map((m) => m.totalTimeMs)),
    reach,
  };
}

// A reply line of busybox or iputils ping ("64 bytes from 10.77.0.2: seq=0 ttl=64 time=0.2 ms").
export function isPingReply(line: string): boolean {
  return /^\d+ bytes from [0-9.]+: /.test(line.trim());
}

// busybox ping, every 20 ms until the deadline; the caller stops it at the first reply.
export function buildReachPingArgs(ip: string, timeoutS: number): string[] {
  return ['ping', '-n', '-i', '0.02', '-w', String(timeoutS), ip];
}

// One line for a run whose connection or migration failed: what a user reads instead of a number.
export function describeMigrationFailure(run: MigrationRun, netperfFailure: string | null): string {
  const failedMigration = run.migrations.find((m) => m.outcome.kind === 'failed');
  if (failedMigration && failedMigration.outcome.kind === 'failed') {
    return `migration ${failedMigration.index} failed: ${failedMigration.outcome.reason}`;
  }
  return `the netperf connection did not survive migration (${run.completed} completed${netperfFailure ? `; ${netperfFailure}` : ''})`;
}

function ms(v: number | null): string {
  return v === null ? '-' : `${Math.round(v)} ms`;
}

// One line per run for the terminal: migrations, downtime, survival, and the time to first reply per address.
export function formatMigrationRun(run: MigrationRun): string {
  const reach = run.reach
    .map((r) => {
      const name = r.kind === 'vlan' ? `vlan ${r.vid ?? '?'}` : r.kind === 'mac' ? `mac ${r.mac}` : 'eth0';
      const missed = r.unreached > 0 ? ` (no reply ${r.unreached}×)` : '';
      return `${name} ${ms(r.medianMs)}${missed}`;
    })
    .join(', ');
  return (
    `migration ${run.test} run ${run.rep}: ${run.completed} completed${run.failed > 0 ? `, ${run.failed} failed` : ''}, ` +
    `downtime median ${ms(run.downtimeMs.median)} (max ${ms(run.downtimeMs.max)}), total median ${ms(run.totalTimeMs.median)}, ` +
    `connection ${run.survived ? 'survived' : 'DROPPED'}; first reply after migration: ${reach}`
  );
}
