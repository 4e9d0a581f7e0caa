// One boot of a profile's topology under QEMU: launch the planned guests, wait
// for their ready markers, run netperf (in the client guest or on the host
// side), power off. A guest's failure is a value, never an exception.
import { join } from 'node:path';
import { runCommand, type CommandSpec } from '../adapters/exec.ts';
import { inNetns, type NetworkPlan } from '../adapters/net.ts';
import { buildNetperfArgs, netperfTimeoutMs, parseNetperfOutput } from '../adapters/netperf.ts';
import { buildNicDeviceOption, buildQemuCommand, pinVcpuThreads, type Accel, type QemuNic } from '../adapters/qemu.ts';
import { connectQmp } from '../adapters/qmp.ts';
import { readTxQueues } from '../adapters/virtio-queues.ts';
import { cycleNic } from '../adapters/conditions/hotplug.ts';
import { createQosCgroup, type QosCgroup } from '../adapters/conditions/qos.ts';
import type { PeerPlan } from '../adapters/net-peer.ts';
import { hotplugBeforeRun, HOTPLUG_NIC_ID, HOTPLUG_PORT_ID, type HotplugCycle } from '../core/conditions/hotplug.ts';
import { InternalError, InterruptedError } from '../core/errors.ts';
import { formatDuration } from '../core/format.ts';
import { baseKernelArgs, buildKernelCmdline, describeGuestStop, type ConsoleEvent, type GuestJob, type GuestRunOutput } from '../core/guest-protocol.ts';
import {
  computeClientBudgetMs,
  computeRunStallMs,
  countRepsPerTest,
  planBoot,
  POWER_OFF_MS,
  selectVcpuPinning,
  SERVER_WATCH_EXTRA_MS,
} from '../core/measure/plan.ts';
import type { BootOutcome, MeasureProgress } from '../core/measure/types.ts';
import { describeTxStall, findStalledTxQueues } from '../core/measure/tx-stall.ts';
import { describeMigrationFailure, summarizeMigrationRun, type MigrationRun } from '../core/conditions/migration.ts';
import type { Profile } from '../core/profile/index.ts';
import { launchGuest, type GuestProcess } from './guest.ts';
import { SampleCollector } from './measure-samples.ts';
import { listReachTargets, Migrator } from './migration.ts';

// What every boot of one measurement shares.
export interface BootContext {
  profile: Profile;
  firmware: string | null;
  accel: Accel;
  tcgCpu: string;
  skipLapicCalibration: boolean;
  kernelImage: string;
  initrd: string;
  plan: NetworkPlan;
  runDir: string;
  bootTimeoutMs: number;
  signal: AbortSignal | undefined;
  emit: (e: MeasureProgress) => void;
  // external-to-guest / guest-to-external: the peer's namespace and address
  peer?: PeerPlan;
  // conditions.qos, per boot: the cgroup each guest's QEMU processes start in
  cgroups?: ReadonlyMap<number, QosCgroup>;
}

// Guest `index`'s NIC as QEMU is told about it (also what hotplug plugs back).
function guestNic(ctx: BootContext, index: number, tap: string): QemuNic {
  const g = ctx.plan.guests[index];
  if (!g) throw new InternalError(`no tap planned for guest ${index}`);
  const { nic } = ctx.profile;
  return { tap, mac: g.mac, vhost: nic.vhost, queues: nic.queues, mrgRxbuf: nic.mrgRxbuf, offloads: nic.offloads };
}

// Guest `index`'s QEMU command on a tap (its own, or the standby tap of a migration destination).
function buildGuestSpec(ctx: BootContext, bootIndex: number, index: number, cmdline: string, at: { tap: string; qmpSocket: string; incoming?: string }): CommandSpec {
  const g = ctx.plan.guests[index];
  if (!g) throw new InternalError(`no tap planned for guest ${index}`);
  const { profile } = ctx;
  const pinning = selectVcpuPinning(profile, index);
  const spec = buildQemuCommand({
    name: `${ctx.plan.ns}-b${bootIndex}-g${index}`,
    accel: ctx.accel,
    tcgCpu: ctx.tcgCpu,
    memoryMiB: profile.guest.memoryMiB,
    vcpus: profile.guest.vcpus,
    kernel: ctx.kernelImage,
    initrd: ctx.initrd,
    append: cmdline,
    nics: [guestNic(ctx, index, at.tap)],
    qmpSocket: at.qmpSocket,
    // a migration destination runs once the guest's state has arrived
    paused: pinning.length > 0 && at.incoming === undefined,
    ...(ctx.firmware === null ? {} : { firmware: ctx.firmware }),
    ...(at.incoming === undefined ? {} : { incoming: at.incoming }),
    ...(profile.conditions?.hotplug ? { hotplugNic: true } : {}),
    ...(profile.conditions?.migration ? { migratable: true } : {}),
  });
  // qos: QEMU starts inside its cgroup, so none of its threads escapes the quota
  const cgroup = ctx.cgroups?.get(index);
  return cgroup ? cgroup.wrap(spec) : spec;
}

// One unplug + re-plug of guest 0's NIC over QMP; `linkUps` counts the guest's link-up markers.
async function hotplugGuestNic(ctx: BootContext, guest: GuestProcess, linkUps: () => number): Promise<Awaited<ReturnType<typeof cycleNic>>> {
  const g = ctx.plan.guests[0];
  if (!g) throw new InternalError('no tap planned for guest 0');
  const qmp = await connectQmp(join(ctx.runDir, 'g0.qmp'));
  try {
    const before = linkUps();
    return await cycleNic(qmp, buildNicDeviceOption(guestNic(ctx, 0, g.tap), 0, { id: HOTPLUG_NIC_ID, bus: HOTPLUG_PORT_ID }), async (timeoutMs) => {
      const stop = await guest.waitUntil(() => linkUps() > before, timeoutMs, 'eth0 up again after device_add', ctx.signal);
      return stop ? describeGuestStop(stop) : null;
    });
  } finally {
    qmp.close();
  }
}

function launch(
  ctx: BootContext,
  bootIndex: number,
  index: number,
  job: GuestJob,
  onRun?: (r: GuestRunOutput) => void,
  onEvent?: (e: ConsoleEvent, guest: GuestProcess) => void,
): { guest: GuestProcess; cmdline: string } {
  const g = ctx.plan.guests[index];
  if (!g) throw new InternalError(`no tap planned for guest ${index}`);
  const { profile } = ctx;
  const cmdline = buildKernelCmdline(
    baseKernelArgs(ctx.accel, { skipLapicCalibration: ctx.skipLapicCalibration }),
    { ...job, ip: g.ip, netmask: ctx.plan.netmask, ...(g.vlans ? { vlans: g.vlans } : {}), ...(g.extraMacs ? { extraMacs: g.extraMacs } : {}) },
    profile.guest.cmdline,
  );
  const spec = buildGuestSpec(ctx, bootIndex, index, cmdline, { tap: g.tap, qmpSocket: join(ctx.runDir, `g${index}.qmp`) });
  let collected = 0;
  const guest = launchGuest(`guest ${index} of boot ${bootIndex}`, inNetns(ctx.plan.ns, spec), (event) => {
    onEvent?.(event, guest);
    if (!onRun) return;
    const runs = guest.state().runs;
    while (collected < runs.length) {
      const r = runs[collected++];
      if (r) onRun(r);
    }
  });
  return { guest, cmdline };
}

// A run that stopped moving: did the guest's NIC stop transmitting? Two looks
// at its `pairs` transmit queues over the QMP socket, 0.5 s apart. null when
// that cannot be told within 3 s (QEMU gone, its monitor busy or hung): the
// run's reason then goes without it, and the boot is stopped all the same.
export async function diagnoseTxStall(qmpSocket: string, pairs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const giveUp = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), TX_STALL_DIAGNOSIS_MS);
  });
  try {
    return await Promise.race([lookAtTxQueues(qmpSocket, pairs), giveUp]);
  } finally {
    clearTimeout(timer);
  }
}
const TX_STALL_LOOK_MS = 500;
const TX_STALL_DIAGNOSIS_MS = 3000;

async function lookAtTxQueues(qmpSocket: string, pairs: number): Promise<string | null> {
  try {
    const qmp = await connectQmp(qmpSocket, 2000);
    try {
      const first = await readTxQueues(qmp, pairs);
      await new Promise((resolve) => setTimeout(resolve, TX_STALL_LOOK_MS));
      return describeTxStall(findStalledTxQueues(first, await readTxQueues(qmp, pairs)));
    } finally {
      qmp.close();
    }
  } catch {
    return null;
  }
}

// Pins a paused guest's vCPUs and lets it run.
async function pinAndResume(ctx: BootContext, index: number): Promise<void> {
  const pinning = selectVcpuPinning(ctx.profile, index);
  if (pinning.length === 0) return;
  const qmp = await connectQmp(join(ctx.runDir, `g${index}.qmp`));
  try {
    await pinVcpuThreads(qmp, pinning);
    await qmp.execute('cont');
  } finally {
    qmp.close();
  }
}

// One boot of the topology: launch, wait for ready, measure, power off. Never throws for a guest's failure.
export async function runBoot(ctx: BootContext, bootIndex: number): Promise<{ outcome: BootOutcome; cmdline: string }> {
  const { profile, plan } = ctx;
  const collector = new SampleCollector(profile, bootIndex, ctx.emit);
  const testByName = new Map(profile.tests.map((t) => [t.name, t]));
  const onRun = (r: GuestRunOutput): void => {
    const test = testByName.get(r.test);
    if (test) collector.add(test, r.rep, parseNetperfOutput(r.output, r.exitCode));
  };
  // a run that does not end within its duration + slack: stop the guest now rather than
  // waiting out the whole client budget
  let stalled: string | null = null;
  let watchdog: NodeJS.Timeout | undefined;
  let clientIndex = 0;
  const watchRuns = (event: ConsoleEvent, guest: GuestProcess): void => {
    if (event.kind === 'run-end' || event.kind === 'done') clearTimeout(watchdog);
    if (event.kind !== 'run-begin') return;
    clearTimeout(watchdog);
    const limitMs = computeRunStallMs(testByName.get(event.test));
    watchdog = setTimeout(() => {
      void (async () => {
        const why = await diagnoseTxStall(join(ctx.runDir, `g${clientIndex}.qmp`), ctx.profile.nic.queues);
        stalled = `netperf ${event.test} run ${event.rep} did not end within ${formatDuration(limitMs)} (${why ?? 'guest or netserver stuck'})`;
        await guest.stop();
      })();
    }, limitMs);
  };
  const guests: GuestProcess[] = [];
  let migrator: Migrator | undefined;
  const migrationRuns: MigrationRun[] = [];
  const hotplugCycles: HotplugCycle[] = [];
  const cgroups = new Map<number, QosCgroup>();
  let linkUps = 0;
  const countLinkUps = (event: ConsoleEvent): void => {
    if (event.kind === 'link-up') linkUps++;
  };
  let cmdline = '';
  const failed = (phase: 'boot' | 'measure', reason: string, guest: GuestProcess | undefined, readyMs?: number): { outcome: BootOutcome; cmdline: string } => ({
    outcome: {
      kind: 'boot-failed',
      bootIndex,
      phase,
      reason,
      consoleTail: guest?.consoleTail() ?? '',
      ...(readyMs === undefined ? {} : { readyMs }),
      ...(migrationRuns.length > 0 ? { migration: migrationRuns } : {}),
    },
    cmdline,
  });
  const startedAt = performance.now();
  try {
    // who runs what
    // with VLANs, netperf runs over the first one
    const firstVlan = plan.vlans?.[0];
    const boot = planBoot(
      profile,
      { hostIp: firstVlan?.hostIp ?? plan.hostIp, guestIps: plan.guests.map((g) => g.vlans?.[0]?.ip ?? g.ip), ...(ctx.peer ? { peerIp: ctx.peer.ip } : {}) },
      buildNetperfArgs,
    );
    // qos: one cgroup per guest, made (and registered for removal) before its QEMU starts
    const cpuQuotaPercent = profile.conditions?.qos?.cpuQuotaPercent;
    if (cpuQuotaPercent !== undefined) {
      for (const index of boot.guests.keys()) cgroups.set(index, await createQosCgroup(cpuQuotaPercent));
      ctx = { ...ctx, cgroups };
    }
    const hotplug = profile.conditions?.hotplug;
    let client: GuestProcess | null = null;
    for (const [index, planned] of boot.guests.entries()) {
      // hotplug: the server guest's /init watches eth0 come back and says when it is up
      const job = hotplug && index === 0 ? { ...planned, watchNic: true } : planned;
      const l = index === boot.client ? launch(ctx, bootIndex, index, job, onRun, watchRuns) : launch(ctx, bootIndex, index, job, undefined, countLinkUps);
      guests.push(l.guest);
      if (index === boot.client) {
        client = l.guest;
        clientIndex = index;
      }
      if (index === boot.recordedCmdline) cmdline = l.cmdline;
    }
    await Promise.all(guests.map((_, i) => pinAndResume(ctx, i)));

    // ready: every guest printed its marker
    for (const g of guests) {
      const stop = await g.waitUntil((s) => s.ready !== null, ctx.bootTimeoutMs - (performance.now() - startedAt), 'ready marker', ctx.signal);
      if (stop) return failed('boot', describeGuestStop(stop), g);
    }
    const readyMs = Math.max(...guests.map((g) => (g.readyAt() ?? performance.now()) - startedAt));
    const guestUptimeAtReadyS = guests[0]?.state().ready?.uptimeS ?? null;
    // qos: the quota holds from ready on, while netperf runs (the boot itself is not throttled)
    await Promise.all([...cgroups.values()].map((c) => c.applyQuota()));
    ctx.emit({ kind: 'ready', bootIndex, readyMs });

    if (client) {
      // the client guest runs everything and powers off; a server guest must stay healthy meanwhile
      const clientGuest = client;
      const watchers = new AbortController();
      const servers = guests.filter((g) => g !== clientGuest);
      const serverTrouble = servers.map((g) =>
        // outlives the client's own budget, so a slow client is reported as such
        g.waitUntil(() => false, computeClientBudgetMs(profile) + SERVER_WATCH_EXTRA_MS, 'server guest', watchers.signal).then(
          (stop) => ({ g, stop }),
          () => null,
        ),
      );
      const clientDone = clientGuest.waitUntil((s) => s.done, computeClientBudgetMs(profile), 'end of the netperf runs', ctx.signal).then((stop) => ({ g: clientGuest, stop }));
      const first = await Promise.race([clientDone, ...serverTrouble.map((p) => p.then((r) => (r && r.stop ? r : new Promise<never>(() => {}))))]);
      watchers.abort();
      if (first.stop) return failed('measure', stalled ?? describeGuestStop(first.stop), first.g, readyMs);
      await clientGuest.waitExit(POWER_OFF_MS);
      if (collector.failure) return failed('measure', collector.failure, clientGuest, readyMs);
    } else {
      // host-to-guest: netperf on the host side of the namespace against the guest's netserver
      const target = boot.hostTarget ?? '';
      const reps = countRepsPerTest(profile);
      const migration = profile.conditions?.migration;
      const first = guests[0];
      const standbyTap = plan.guests[0]?.standbyTap;
      if (migration && first && standbyTap !== undefined) {
        migrator = new Migrator(
          { guest: first, tap: plan.guests[0]?.tap ?? '', qmpSocket: join(ctx.runDir, 'g0.qmp') },
          standbyTap,
          plan,
          ctx.runDir,
          (at) => buildGuestSpec(ctx, bootIndex, 0, cmdline, at),
          migration,
          `guest 0 of boot ${bootIndex}`,
        );
      }
      // external-to-guest: netperf in the peer's namespace, bridged to the guest
      const netperfNs = boot.hostSide === 'peer' && ctx.peer ? ctx.peer.ns : plan.ns;
      let runIndex = 0;
      for (const test of profile.tests) {
        for (let rep = 1; rep <= reps; rep++) {
          if (ctx.signal?.aborted) throw new InterruptedError('interrupted');
          if (hotplug && first && hotplugBeforeRun(runIndex, hotplug.every)) {
            const cycle = await hotplugGuestNic(ctx, first, () => linkUps);
            if (cycle.kind === 'failed') return failed('measure', cycle.reason, first, readyMs);
            hotplugCycles.push(cycle.cycle);
          }
          runIndex++;
          const runEnded = new AbortController();
          const runStartedAt = performance.now();
          const migrations = migrator?.duringRun(runStartedAt, test.durationS, runEnded.signal);
          const r = await runCommand(inNetns(netperfNs, { file: 'netperf', args: buildNetperfArgs(test, target), timeoutMs: netperfTimeoutMs(test) }), { reject: false });
          runEnded.abort();
          // no reply from the guest: its NIC may have stopped transmitting
          const txStall = r.timedOut && !migration ? await diagnoseTxStall(join(ctx.runDir, 'g0.qmp'), ctx.profile.nic.queues) : null;
          if (txStall !== null) return failed('measure', `netperf ${test.name} run ${rep} did not finish in time: ${txStall}`, first, readyMs);
          // a migration still measuring its reach moves the guest when it is done: ask where it runs after that
          const migrationRecords = migrations ? await migrations : undefined;
          const guest = migrator?.current() ?? first;
          if (migration && migrationRecords) {
            const parsed = parseNetperfOutput(`${r.stdout}\n${r.stderr}`, r.exitCode ?? null, r.timedOut);
            const record = summarizeMigrationRun(
              { test: test.name, rep, intervalS: migration.intervalS, reachTimeoutS: migration.reachTimeoutS, survived: parsed.kind !== 'failed' },
              migrationRecords,
              listReachTargets(plan),
            );
            migrationRuns.push(record);
            if (!record.survived || record.failed > 0) {
              const why = parsed.kind === 'failed' ? `${parsed.failure}: ${parsed.message}` : null;
              return failed('measure', `netperf ${test.name} run ${rep}: ${describeMigrationFailure(record, why)}`, guest, readyMs);
            }
          }
          const healthy = guest?.state().failure === null && guest.exitResult() === null;
          if (!healthy && guest) {
            const stop = await guest.waitUntil(() => false, 1, 'guest', ctx.signal);
            return failed('measure', stop ? describeGuestStop(stop) : 'guest stopped during netperf', guest, readyMs);
          }
          if (!collector.add(test, rep, parseNetperfOutput(`${r.stdout}\n${r.stderr}`, r.exitCode ?? null, r.timedOut))) {
            return failed('measure', collector.failure ?? 'netperf failed', guest, readyMs);
          }
        }
      }
    }
    await Promise.all(guests.map((g) => g.stop()));
    const totalMs = performance.now() - startedAt;
    return {
      outcome: {
        kind: 'ok',
        bootIndex,
        readyMs,
        timings: {
          readyMs,
          guestUptimeAtReadyS,
          totalMs,
          netperfMs: collector.netperfMs,
          overheadMs: totalMs - collector.netperfMs,
        },
        tests: collector.tests(),
        ...(profile.conditions?.migration ? { migration: migrationRuns } : {}),
        ...(profile.conditions?.hotplug ? { hotplug: hotplugCycles } : {}),
      },
      cmdline,
    };
  } finally {
    clearTimeout(watchdog);
    await migrator?.stop();
    await Promise.all(guests.map((g) => g.stop()));
    await Promise.all([...cgroups.values()].map((c) => c.remove()));
  }
}
