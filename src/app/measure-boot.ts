// One boot of a profile's topology under QEMU: launch the planned guests, wait
// for their ready markers, run netperf (in the client guest or on the host
// side), power off. A guest's failure is a value, never an exception.
import { join } from 'node:path';
import { runCommand } from '../adapters/exec.ts';
import { inNetns, type NetworkPlan } from '../adapters/net.ts';
import { buildNetperfArgs, netperfTimeoutMs, parseNetperfOutput } from '../adapters/netperf.ts';
import { buildQemuCommand, pinVcpuThreads, type Accel } from '../adapters/qemu.ts';
import { connectQmp } from '../adapters/qmp.ts';
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
import type { Profile } from '../core/profile/index.ts';
import { launchGuest, type GuestProcess } from './guest.ts';
import { SampleCollector } from './measure-samples.ts';

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
  const cmdline = buildKernelCmdline(baseKernelArgs(ctx.accel, { skipLapicCalibration: ctx.skipLapicCalibration }), { ...job, ip: g.ip, netmask: ctx.plan.netmask }, profile.guest.cmdline);
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
    nics: [{ tap: g.tap, mac: g.mac, vhost: profile.nic.vhost, queues: profile.nic.queues, mrgRxbuf: profile.nic.mrgRxbuf, offloads: profile.nic.offloads }],
    qmpSocket: join(ctx.runDir, `g${index}.qmp`),
    paused: pinning.length > 0,
    ...(ctx.firmware === null ? {} : { firmware: ctx.firmware }),
  });
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
  const watchRuns = (event: ConsoleEvent, guest: GuestProcess): void => {
    if (event.kind === 'run-end' || event.kind === 'done') clearTimeout(watchdog);
    if (event.kind !== 'run-begin') return;
    clearTimeout(watchdog);
    const limitMs = computeRunStallMs(testByName.get(event.test));
    watchdog = setTimeout(() => {
      stalled = `netperf ${event.test} run ${event.rep} did not end within ${formatDuration(limitMs)} (guest or netserver stuck)`;
      void guest.stop();
    }, limitMs);
  };
  const guests: GuestProcess[] = [];
  let cmdline = '';
  const failed = (phase: 'boot' | 'measure', reason: string, guest: GuestProcess | undefined, readyMs?: number): { outcome: BootOutcome; cmdline: string } => ({
    outcome: {
      kind: 'boot-failed',
      bootIndex,
      phase,
      reason,
      consoleTail: guest?.consoleTail() ?? '',
      ...(readyMs === undefined ? {} : { readyMs }),
    },
    cmdline,
  });
  const startedAt = performance.now();
  try {
    // who runs what
    const boot = planBoot(profile, { hostIp: plan.hostIp, guestIps: plan.guests.map((g) => g.ip) }, buildNetperfArgs);
    let client: GuestProcess | null = null;
    for (const [index, job] of boot.guests.entries()) {
      const l = index === boot.client ? launch(ctx, bootIndex, index, job, onRun, watchRuns) : launch(ctx, bootIndex, index, job);
      guests.push(l.guest);
      if (index === boot.client) client = l.guest;
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
      const guest = guests[0];
      const target = boot.hostTarget ?? '';
      const reps = countRepsPerTest(profile);
      for (const test of profile.tests) {
        for (let rep = 1; rep <= reps; rep++) {
          if (ctx.signal?.aborted) throw new InterruptedError('interrupted');
          const r = await runCommand(inNetns(plan.ns, { file: 'netperf', args: buildNetperfArgs(test, target), timeoutMs: netperfTimeoutMs(test) }), { reject: false });
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
      },
      cmdline,
    };
  } finally {
    clearTimeout(watchdog);
    await Promise.all(guests.map((g) => g.stop()));
  }
}
