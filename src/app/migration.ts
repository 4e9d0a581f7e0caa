// Live migration during a netperf run: the guest moves between two QEMU
// processes on this host, back and forth every intervalS. The destination
// waits with -incoming on a unix socket of the run directory, on its own tap
// of the same bridge with the same MACs; after each migration every MAC and
// VLAN of the guest is pinged from the host side until it answers (the time
// to first reply), then, once the destination's query-status says running,
// the source QEMU is stopped and a new destination started on its tap. Under
// TCG both get RAM that QEMU 7.2 does not lose pages of while migrating
// (buildTcgMigratableMemorySize in core/conditions/migration.ts). Both QEMUs are launched through launchGuest, which
// registers each for cleanup (Ctrl-C kills both).
import { join } from 'node:path';
import type { CommandSpec } from '../adapters/exec.ts';
import { startCommand, type RunningCommand } from '../adapters/exec.ts';
import { inNetns, type NetworkPlan } from '../adapters/net.ts';
import { connectQmp, waitForSocket, type QmpClient } from '../adapters/qmp.ts';
import {
  buildIncomingUri,
  buildMigrateCommand,
  buildMigrateParametersCommand,
  buildReachPingArgs,
  isPingReply,
  nextMigrationDelayMs,
  parseQueryMigrate,
  parseRunState,
  planMigrationOffsetsS,
  QUERY_MIGRATE,
  QUERY_STATUS,
  type MigrationRecord,
  type QmpCommand,
  type ReachResult,
  type ReachTarget,
} from '../core/conditions/migration.ts';
import type { ProfileMigration } from '../core/profile/index.ts';
import { launchGuest, type GuestProcess } from './guest.ts';

const POLL_MS = 20;
// a migration that has not completed by then is a failure of the run
const MIGRATION_TIMEOUT_MS = 120_000;
const STANDBY_READY_MS = 15_000;
// after the source says completed, the destination loads the device state and resumes
const DESTINATION_RUNNING_MS = 10_000;

interface Placement {
  guest: GuestProcess;
  tap: string;
  qmpSocket: string;
}

// Builds the QEMU command of guest 0 on a tap; `incoming` makes it a migration destination.
export type GuestSpecBuilder = (o: { tap: string; qmpSocket: string; incoming?: string }) => CommandSpec;

// Every address of the guest that must answer after a migration: eth0, each extra MAC, each VLAN.
export function listReachTargets(plan: NetworkPlan): ReachTarget[] {
  const g = plan.guests[0];
  if (!g) return [];
  return [
    { kind: 'primary', ip: g.ip, mac: g.mac },
    ...(g.extraMacs ?? []).map((m): ReachTarget => ({ kind: 'mac', ip: m.ip, mac: m.mac })),
    ...(g.vlans ?? []).map((v): ReachTarget => ({ kind: 'vlan', ip: v.ip, mac: g.mac, vid: v.vid })),
  ];
}

async function execute(qmp: QmpClient, c: QmpCommand): Promise<unknown> {
  return qmp.execute(c.execute, c.arguments);
}

async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

// Pings one address from the namespace every 20 ms from before a migration starts, so
// that no process start is timed; firstReplyAfter(t) resolves the ms from t to the
// first reply that arrives after t, or null when none comes within the bound.
export class ReachProbe {
  private readonly ping: RunningCommand;
  private readonly replies: number[] = [];
  private waiter: (() => void) | null = null;

  constructor(ns: string, ip: string, deadlineS: number) {
    this.ping = startCommand(inNetns(ns, { file: 'busybox', args: buildReachPingArgs(ip, deadlineS), timeoutMs: (deadlineS + 5) * 1000 }), {
      reject: false,
      onStdoutLine: (line) => {
        if (!isPingReply(line)) return;
        this.replies.push(performance.now());
        this.waiter?.();
      },
    });
    void this.ping.done.then(() => this.waiter?.());
  }

  async firstReplyAfter(from: number, timeoutMs: number): Promise<number | null> {
    const deadline = from + timeoutMs;
    const found = (): number | undefined => this.replies.find((t) => t > from);
    let exited = false;
    void this.ping.done.then(() => {
      exited = true;
    });
    while (found() === undefined && !exited && performance.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - performance.now()));
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = null;
    }
    const t = found();
    return t === undefined || t > deadline ? null : t - from;
  }

  async stop(): Promise<void> {
    this.ping.kill('SIGTERM');
    await this.ping.done;
  }
}

export class Migrator {
  private active: Placement;
  private standby: Placement | null = null;
  private standbyStarting: Promise<Placement> | null = null;
  private spareTap: string;
  private count = 0;
  private readonly uriOf = (k: number): string => buildIncomingUri(join(this.runDir, `mig${k}.sock`));

  constructor(
    first: { guest: GuestProcess; tap: string; qmpSocket: string },
    standbyTap: string,
    private readonly plan: NetworkPlan,
    private readonly runDir: string,
    private readonly specFor: GuestSpecBuilder,
    private readonly settings: ProfileMigration,
    private readonly label: string,
  ) {
    this.active = first;
    this.spareTap = standbyTap;
  }

  // The QEMU the guest runs in now.
  current(): GuestProcess {
    return this.active.guest;
  }

  // Starts the next destination on the spare tap, waiting on its own -incoming socket.
  private startStandby(): Promise<Placement> {
    this.standbyStarting ??= (async () => {
      const k = this.count + 1;
      const qmpSocket = join(this.runDir, `g0-m${k}.qmp`);
      const uri = this.uriOf(k);
      const spec = this.specFor({ tap: this.spareTap, qmpSocket, incoming: uri });
      const guest = launchGuest(`${this.label} (migration destination ${k})`, inNetns(this.plan.ns, spec));
      const placement = { guest, tap: this.spareTap, qmpSocket };
      this.standby = placement;
      // a QEMU that exits at once (a busy tap, a bad option) says why on stderr
      const exited = guest.waitExit(STANDBY_READY_MS).then((gone) => {
        if (!gone) return;
        const last = guest.exitResult()?.stderr.trim().split('\n').at(-1) ?? '';
        throw new Error(`QEMU exited${last ? `: ${last.trim()}` : ''}`);
      });
      await Promise.race([Promise.all([waitForSocket(uri.slice('unix:'.length), STANDBY_READY_MS), waitForSocket(qmpSocket, STANDBY_READY_MS)]), exited]);
      return placement;
    })();
    return this.standbyStarting;
  }

  // One migration: active → standby; the time to first reply of every target; the old source stopped.
  private async migrateOnce(startedAtS: number, targets: readonly ReachTarget[]): Promise<MigrationRecord> {
    const index = ++this.count;
    let dst: Placement;
    try {
      dst = await this.startStandby();
    } catch (error) {
      return { index, startedAtS, outcome: { kind: 'failed', reason: `the destination QEMU did not start: ${(error as Error).message}` } };
    }
    const src = this.active;
    let qmp: QmpClient;
    try {
      qmp = await connectQmp(src.qmpSocket);
    } catch (error) {
      const exit = src.guest.exitResult();
      const why = exit ? `the guest's QEMU is gone (${exit.signal ?? `exit ${exit.exitCode ?? '?'}`})` : (error as Error).message;
      return { index, startedAtS, outcome: { kind: 'failed', reason: `could not reach the source QEMU: ${why}` } };
    }
    const probes = targets.map((t) => new ReachProbe(this.plan.ns, t.ip, MIGRATION_TIMEOUT_MS / 1000 + this.settings.reachTimeoutS + 1));
    try {
      await execute(qmp, buildMigrateParametersCommand());
      await execute(qmp, buildMigrateCommand(this.uriOf(index)));
      const deadline = performance.now() + MIGRATION_TIMEOUT_MS;
      for (;;) {
        const state = parseQueryMigrate(await execute(qmp, QUERY_MIGRATE));
        if (state.kind === 'failed') return { index, startedAtS, outcome: { kind: 'failed', reason: state.reason } };
        if (state.kind === 'completed') {
          const completedAt = performance.now();
          // the source is stopped below only once the destination runs the guest (it may still be loading the last device state)
          const resumed = await this.waitUntilRunning(dst);
          if (resumed !== 'running') return { index, startedAtS, outcome: { kind: 'failed', reason: `the destination QEMU did not resume the guest (run state ${resumed})` } };
          const reach = await Promise.all(
            targets.map(async (t, i): Promise<ReachResult> => ({ ...t, firstReplyMs: (await probes[i]?.firstReplyAfter(completedAt, this.settings.reachTimeoutS * 1000)) ?? null })),
          );
          // the guest runs in the destination now: it becomes the source of the next migration
          this.active = dst;
          this.standby = null;
          this.standbyStarting = null;
          this.spareTap = src.tap;
          return {
            index,
            startedAtS,
            outcome: { kind: 'completed', totalTimeMs: state.totalTimeMs, downtimeMs: state.downtimeMs, setupTimeMs: state.setupTimeMs, transferredBytes: state.transferredBytes, reach },
          };
        }
        if (performance.now() > deadline) return { index, startedAtS, outcome: { kind: 'failed', reason: `did not complete within ${MIGRATION_TIMEOUT_MS / 1000} s` } };
        await sleep(POLL_MS);
      }
    } finally {
      qmp.close();
      await Promise.all(probes.map((p) => p.stop()));
      // the source of a completed migration is done; after a failure the guest stays where it was
      if (this.active !== src) await src.guest.stop();
    }
  }

  // The destination's run state once it is `running`, or the last one seen within DESTINATION_RUNNING_MS.
  private async waitUntilRunning(dst: Placement): Promise<string> {
    let qmp: QmpClient;
    try {
      qmp = await connectQmp(dst.qmpSocket);
    } catch (error) {
      return `unknown: ${(error as Error).message}`;
    }
    try {
      const deadline = performance.now() + DESTINATION_RUNNING_MS;
      for (;;) {
        const state = parseRunState(await execute(qmp, QUERY_STATUS)) ?? 'unknown';
        if (state === 'running' || performance.now() > deadline) return state;
        await sleep(POLL_MS);
      }
    } catch (error) {
      return `unknown: ${(error as Error).message}`;
    } finally {
      qmp.close();
    }
  }

  // Migrates back and forth while one netperf run lasts (it ends when `runEnded` aborts).
  async duringRun(runStartedAt: number, durationS: number, runEnded: AbortSignal): Promise<MigrationRecord[]> {
    const targets = listReachTargets(this.plan);
    const records: MigrationRecord[] = [];
    void this.startStandby().catch(() => {});
    for (const offsetS of planMigrationOffsetsS(durationS, this.settings.intervalS)) {
      await sleep(nextMigrationDelayMs(offsetS, performance.now() - runStartedAt), runEnded);
      if (runEnded.aborted) break;
      const record = await this.migrateOnce((performance.now() - runStartedAt) / 1000, targets);
      records.push(record);
      if (record.outcome.kind === 'failed') break;
      // the next destination starts while the guest runs on
      void this.startStandby().catch(() => {});
    }
    return records;
  }

  // Stops every QEMU this migrator started (the active one included).
  async stop(): Promise<void> {
    const starting = this.standbyStarting;
    if (starting) await starting.catch(() => {});
    await Promise.all([this.active.guest.stop(), this.standby?.guest.stop()]);
  }
}
