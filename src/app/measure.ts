// measureKernel: boot a kernel N times under QEMU with a virtio-net NIC in a
// private network namespace, run the profile's netperf tests, and return the
// samples grouped by boot. A boot that fails (panic, hang, no ready marker,
// netperf failing inside it) is a value; a host that cannot run guests at all
// is an exception with a fix. Each boot is appended to the results store as
// it arrives. Namespace, bridge, taps, netserver and QEMU are always removed.
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { registerCleanup } from '../adapters/cleanup.ts';
import { createRunDir, type RunDir } from '../adapters/run-dir.ts';
import { sha256File, sha256Hex } from '../adapters/digest.ts';
import { runCommand, startCommand, type RunningCommand } from '../adapters/exec.ts';
import { gatherFingerprintFacts } from '../adapters/fingerprint.ts';
import { buildGuestImage, type ImageCompression } from '../adapters/guest/image.ts';
import { hasPvhEntry } from '../adapters/guest/pvh.ts';
import { findExecutable } from '../adapters/host.ts';
import { loadHostConfig } from '../adapters/host-config.ts';
import { createNetwork, inNetns, type Network, type NetworkPlan } from '../adapters/net.ts';
import {
  buildNetperfArgs,
  buildNetperfProbeArgs,
  buildNetserverCommand,
  metricValue,
  netperfTimeoutMs,
  parseNetperfOutput,
  type NetperfOutcome,
  type NetperfRecord,
} from '../adapters/netperf.ts';
import { cacheDir, dataDir } from '../adapters/paths.ts';
import { buildQemuCommand, findQboot, pinVcpuThreads, QEMU_BINARY, vhostNetUsable, type Accel } from '../adapters/qemu.ts';
import { connectQmp } from '../adapters/qmp.ts';
import { appendJsonl } from '../adapters/store.ts';
import { InternalError, InterruptedError, ProcessError, UserError } from '../core/errors.ts';
import {
  baseKernelArgs,
  buildKernelCmdline,
  describeGuestStop,
  type ConsoleEvent,
  type GuestJob,
  type GuestRun,
  type GuestRunOutput,
} from '../core/guest-protocol.ts';
import type { HostConfig } from '../core/host-config.ts';
import type {
  AccelChoice,
  BootOutcome,
  HostFingerprint,
  MeasureProgress,
  MeasureResult,
  RunRecord,
  StoredBoot,
  TestSamples,
} from '../core/measure/types.ts';
import { guestCount, type Profile, type ProfileTest } from '../core/profile/index.ts';
import { version } from '../version.ts';
import { resolveAccel } from './accel.ts';
import { buildRevision, readKernelConfigSpec, type BuildProgress, type BuildResult } from './build.ts';
import { launchGuest, type GuestProcess } from './guest.ts';
import { hashProfile } from './profiles.ts';

export type {
  AccelChoice,
  BootOutcome,
  BootTimings,
  HostFingerprint,
  MeasureProgress,
  MeasureResult,
  RunRecord,
  StoredBoot,
  TestSamples,
} from '../core/measure/types.ts';

export interface MeasureKernel {
  bzImage: string;
  // uncompressed ELF; booted directly (PVH) when it has the entry point, which skips the decompressor
  vmlinux?: string;
  // identifies the kernel in the results (build id or sha256 of the image)
  imageHash: string;
  // identifies the kernel config for the KVM probe cache (defaults to imageHash)
  configHash?: string;
}

export interface MeasureOptions {
  kernel: MeasureKernel;
  profile: Profile;
  boots: number;
  accel?: AccelChoice;
  onProgress?: (e: MeasureProgress) => void;
  signal?: AbortSignal;
  // computed from the profile when absent
  profileHash?: string;
  // host settings; read from host.yaml when absent
  hostConfig?: HostConfig;
  // where boots are appended; null = not stored (default: measurements.jsonl in the data dir)
  resultsPath?: string | null;
  // numbering of the first boot (to continue a series)
  firstBootIndex?: number;
  // guest initramfs compression (uncompressed unpacks ~0.2 s faster under TCG)
  imageCompression?: ImageCompression;
}

// The append-only results store of this host.
export function defaultResultsPath(): string {
  return join(dataDir(), 'measurements.jsonl');
}

// Extra time a client guest gets beyond its netperf runs: warm-up probe, per-run setup, power-off.
const CLIENT_SLACK_MS = 30_000;
const PER_RUN_SLACK_MS = 5_000;
const POWER_OFF_MS = 5_000;
// how long one guest netperf run may take beyond its duration
const RUN_STALL_MS = 15_000;

async function fileExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

// Picks the image QEMU boots: the vmlinux when it has a PVH entry point, else the bzImage.
export async function chooseKernelImage(kernel: MeasureKernel): Promise<{ image: string; pvh: boolean }> {
  if (kernel.vmlinux !== undefined && (await fileExists(kernel.vmlinux)) && (await hasPvhEntry(kernel.vmlinux))) {
    return { image: kernel.vmlinux, pvh: true };
  }
  if (!(await fileExists(kernel.bzImage))) {
    throw new UserError(`kernel image not found: ${kernel.bzImage}`, 'give the bzImage of a built guest kernel (arch/x86/boot/bzImage in the build dir)');
  }
  return { image: kernel.bzImage, pvh: false };
}

// Describes a kernel given by path: hashes the image and finds the vmlinux of the same
// build (<O>/vmlinux for <O>/arch/x86/boot/bzImage, or beside the bzImage in the
// kernel cache) so it can be booted via PVH.
export async function kernelFromImage(kernelPath: string, vmlinuxPath?: string, cwd: string = process.cwd()): Promise<MeasureKernel> {
  const image = resolve(cwd, kernelPath);
  if (!(await fileExists(image))) {
    throw new UserError(`--kernel: no such file: ${kernelPath}`, 'give the bzImage of a built guest kernel (arch/x86/boot/bzImage in the build dir)');
  }
  const imageHash = await sha256File(image);
  if (await hasPvhEntry(image)) return { bzImage: image, vmlinux: image, imageHash };
  let vmlinux = vmlinuxPath === undefined ? undefined : resolve(cwd, vmlinuxPath);
  if (vmlinux !== undefined && !(await fileExists(vmlinux))) throw new UserError(`--vmlinux: no such file: ${vmlinuxPath ?? ''}`);
  if (vmlinux === undefined) {
    // a build dir keeps it at <O>/vmlinux; kbisect's kernel cache beside the bzImage
    const candidates = [join(dirname(image), 'vmlinux')];
    if (image.endsWith(join('arch', 'x86', 'boot', 'bzImage'))) candidates.unshift(join(dirname(dirname(dirname(dirname(image)))), 'vmlinux'));
    for (const c of candidates) {
      if (vmlinux === undefined && (await fileExists(c))) vmlinux = c;
    }
  }
  return { bzImage: image, ...(vmlinux === undefined ? {} : { vmlinux }), imageHash };
}

// Checks what would make every boot fail the same way, before booting anything.
async function checkHost(profile: Profile, cpuCount: number): Promise<void> {
  if (!(await findExecutable(QEMU_BINARY, `${process.env.PATH ?? ''}:/usr/bin:/bin`))) {
    throw new UserError(`${QEMU_BINARY} not found`, 'apt-get install -y qemu-system-x86 (sudo bash scripts/setup-host.sh installs everything)');
  }
  if (profile.nic.vhost && !(await vhostNetUsable())) {
    throw new UserError(
      `profile ${profile.name} sets nic.vhost: true, but /dev/vhost-net is missing or cannot be opened (QEMU 7.2 would abort on an assertion)`,
      'modprobe vhost_net (as root), or use a profile with vhost off',
    );
  }
  const tooHigh = profile.guest.pinning.filter((c) => c >= cpuCount);
  if (tooHigh.length > 0) {
    throw new UserError(
      `profile ${profile.name} pins vCPUs to host CPU ${tooHigh.join(', ')}, but this host has CPUs 0-${cpuCount - 1}`,
      'edit guest.pinning in the profile, or leave it empty',
    );
  }
}

function toRunRecord(r: NetperfRecord): RunRecord {
  return {
    throughput: r.throughput,
    throughputUnits: r.throughputUnits,
    meanLatencyUs: r.meanLatencyUs,
    p50LatencyUs: r.p50LatencyUs,
    p99LatencyUs: r.p99LatencyUs,
    transactionRate: r.transactionRate,
    elapsedS: r.elapsedS,
  };
}

interface BootContext {
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

// Collects one boot's runs test by test; the first warmupRuns of each test are warm-up.
class SampleCollector {
  private readonly samples = new Map<string, TestSamples>();
  netperfMs = 0;
  failure: string | null = null;

  constructor(
    private readonly profile: Profile,
    private readonly bootIndex: number,
    private readonly emit: (e: MeasureProgress) => void,
  ) {
    for (const t of profile.tests) {
      this.samples.set(t.name, {
        test: t.name,
        type: t.type,
        metric: t.metric,
        unit: '',
        higherIsBetter: t.higherIsBetter,
        runs: [],
        warmup: [],
        records: [],
      });
    }
  }

  // Records one run; returns false (and remembers why) when it failed.
  add(test: ProfileTest, rep: number, outcome: NetperfOutcome): boolean {
    const reps = this.profile.sampling.warmupRuns + this.profile.sampling.runsPerBoot;
    if (outcome.kind === 'failed') {
      this.failure ??= `netperf ${test.type} (${test.name}) run ${rep}/${reps}: ${outcome.failure}: ${outcome.message}`;
      return false;
    }
    const s = this.samples.get(test.name);
    if (!s) return false;
    const { value, unit } = metricValue(outcome.record, test.metric);
    this.netperfMs += (outcome.record.elapsedS ?? test.durationS) * 1000;
    s.records.push(toRunRecord(outcome.record));
    const warmup = rep <= this.profile.sampling.warmupRuns;
    this.emit({ kind: 'run', bootIndex: this.bootIndex, test: test.name, rep, reps, warmup, value, unit });
    if (value === null) {
      this.failure ??= `netperf ${test.type} (${test.name}) run ${rep}/${reps} reported no ${test.metric}`;
      return false;
    }
    s.unit = unit;
    (warmup ? s.warmup : s.runs).push(value);
    return true;
  }

  tests(): TestSamples[] {
    return [...this.samples.values()];
  }
}

function guestRuns(profile: Profile, targetIp: string): GuestRun[] {
  const reps = profile.sampling.warmupRuns + profile.sampling.runsPerBoot;
  return profile.tests.map((t) => ({ test: t.name, reps, netperfArgs: buildNetperfArgs(t, targetIp) }));
}

function clientBudgetMs(profile: Profile): number {
  const reps = profile.sampling.warmupRuns + profile.sampling.runsPerBoot;
  return profile.tests.reduce((sum, t) => sum + reps * (t.durationS * 1000 + PER_RUN_SLACK_MS), CLIENT_SLACK_MS);
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
  const vcpus = profile.guest.vcpus;
  const pinning = profile.guest.pinning.slice(index * vcpus, (index + 1) * vcpus);
  const spec = buildQemuCommand({
    name: `${ctx.plan.ns}-b${bootIndex}-g${index}`,
    accel: ctx.accel,
    tcgCpu: ctx.tcgCpu,
    memoryMiB: profile.guest.memoryMiB,
    vcpus,
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
  const vcpus = ctx.profile.guest.vcpus;
  const pinning = ctx.profile.guest.pinning.slice(index * vcpus, (index + 1) * vcpus);
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
async function runBoot(ctx: BootContext, bootIndex: number): Promise<{ outcome: BootOutcome; cmdline: string }> {
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
    const limitMs = (testByName.get(event.test)?.durationS ?? 0) * 1000 + RUN_STALL_MS;
    watchdog = setTimeout(() => {
      stalled = `netperf ${event.test} run ${event.rep} did not end within ${(limitMs / 1000).toFixed(0)} s (guest or netserver stuck)`;
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
    const hostIp = plan.hostIp;
    let client: GuestProcess | null = null;
    switch (profile.topology) {
      case 'guest-to-host': {
        const l = launch(ctx, bootIndex, 0, { role: 'client', serverIp: hostIp, runs: guestRuns(profile, hostIp) }, onRun, watchRuns);
        guests.push(l.guest);
        client = l.guest;
        cmdline = l.cmdline;
        break;
      }
      case 'host-to-guest': {
        const l = launch(ctx, bootIndex, 0, { role: 'server' });
        guests.push(l.guest);
        cmdline = l.cmdline;
        break;
      }
      case 'guest-to-guest': {
        const serverIp = plan.guests[0]?.ip ?? '';
        const s = launch(ctx, bootIndex, 0, { role: 'server' });
        const c = launch(ctx, bootIndex, 1, { role: 'client', serverIp, runs: guestRuns(profile, serverIp) }, onRun, watchRuns);
        guests.push(s.guest, c.guest);
        client = c.guest;
        cmdline = c.cmdline;
        break;
      }
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
      const watchers = new AbortController();
      const servers = guests.filter((g) => g !== client);
      const serverTrouble = servers.map((g) =>
        // outlives the client's own budget, so a slow client is reported as such
        g.waitUntil(() => false, clientBudgetMs(profile) + 60_000, 'server guest', watchers.signal).then(
          (stop) => ({ g, stop }),
          () => null,
        ),
      );
      const clientDone = client.waitUntil((s) => s.done, clientBudgetMs(profile), 'end of the netperf runs', ctx.signal).then((stop) => ({ g: client, stop }));
      const first = await Promise.race([clientDone, ...serverTrouble.map((p) => p.then((r) => (r && r.stop ? r : new Promise<never>(() => {}))))]);
      watchers.abort();
      if (first.stop) return failed('measure', stalled ?? describeGuestStop(first.stop), first.g, readyMs);
      await client.waitExit(POWER_OFF_MS);
      if (collector.failure) return failed('measure', collector.failure, client, readyMs);
    } else {
      // host-to-guest: netperf on the host side of the namespace against the guest's netserver
      const guest = guests[0];
      const target = plan.guests[0]?.ip ?? '';
      const reps = profile.sampling.warmupRuns + profile.sampling.runsPerBoot;
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

// Starts netserver on the host side of the namespace and waits until it answers.
async function startHostNetserver(plan: NetworkPlan, signal: AbortSignal | undefined): Promise<RunningCommand> {
  const server = startCommand(inNetns(plan.ns, buildNetserverCommand(plan.hostIp)));
  let exited = false;
  void server.done.then(() => {
    exited = true;
  });
  const deadline = performance.now() + 10_000;
  for (;;) {
    if (signal?.aborted) {
      server.kill('SIGKILL');
      throw new InterruptedError('interrupted');
    }
    const probe = await runCommand(inNetns(plan.ns, { file: 'netperf', args: buildNetperfProbeArgs(plan.hostIp), timeoutMs: 5000 }), { reject: false });
    if (probe.exitCode === 0) return server;
    if (exited || performance.now() > deadline) {
      server.kill('SIGKILL');
      const r = await server.done;
      throw new ProcessError({
        message: exited ? 'netserver exited before answering' : 'netserver did not answer within 10 s',
        command: server.command,
        exitCode: r.exitCode,
        stderrTail: `${r.stdout}\n${r.stderr}\n${probe.stdout}${probe.stderr}`.trim(),
        hint: 'run `kbisect doctor`; netperf/netserver 2.7 come from Debian non-free',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function stopProcess(p: RunningCommand): Promise<void> {
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), 3000);
  await p.done;
  clearTimeout(timer);
}

// Boots `kernel` `boots` times with `profile` and returns every boot's samples or failure.
export async function measureKernel(opts: MeasureOptions): Promise<MeasureResult> {
  const { profile } = opts;
  if (!Number.isInteger(opts.boots) || opts.boots < 1) throw new UserError(`expected the number of boots to be an integer ≥ 1, got ${opts.boots}`);
  const emit = (e: MeasureProgress): void => opts.onProgress?.(e);
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    emit({ kind: 'warning', message });
  };
  const hostConfig = opts.hostConfig ?? (await loadHostConfig());
  const profileHash = opts.profileHash ?? hashProfile(profile);
  const facts = await gatherFingerprintFacts();
  await checkHost(profile, facts.cpuCount);
  const kernel = await chooseKernelImage(opts.kernel);
  const image = await buildGuestImage({ cacheDir: cacheDir(), compression: opts.imageCompression ?? 'none' });
  emit({ kind: 'guest-image', cached: image.cached, buildMs: image.buildMs });

  const decision = await resolveAccel(
    opts.accel ?? hostConfig.accel,
    { kernelImage: kernel.image, initrd: image.path, kernelKey: opts.kernel.configHash ?? opts.kernel.imageHash },
    { probeTimeoutMs: hostConfig.probeTimeoutS * 1000, ...(opts.signal ? { signal: opts.signal } : {}) },
  );
  emit({ kind: 'accel', accel: decision.accel, reason: decision.reason });
  if (decision.warning) warn(decision.warning);
  const fingerprintBody = { ...facts, accel: decision.accel };
  const hostFingerprint: HostFingerprint = { id: sha256Hex(JSON.stringify(fingerprintBody)).slice(0, 16), ...fingerprintBody };
  const resultsPath = opts.resultsPath === undefined ? defaultResultsPath() : opts.resultsPath;

  let network: Network | undefined;
  let netserver: RunningCommand | undefined;
  let runDir: RunDir | undefined;
  let unregisterNetserver: (() => void) | undefined;
  const boots: BootOutcome[] = [];
  try {
    network = await createNetwork(guestCount(profile.topology), profile.nic.queues > 1);
    runDir = await createRunDir(network.plan.ns);
    const dir = runDir.path;
    if (profile.topology === 'guest-to-host') {
      const server = await startHostNetserver(network.plan, opts.signal);
      netserver = server;
      unregisterNetserver = registerCleanup(`netserver (pid ${server.pid ?? '?'})`, () => stopProcess(server));
    }
    const ctx: BootContext = {
      profile,
      firmware: await findQboot(),
      accel: decision.accel,
      tcgCpu: hostConfig.tcgCpu,
      skipLapicCalibration: hostConfig.tcgSkipLapicCalibration,
      kernelImage: kernel.image,
      initrd: image.path,
      plan: network.plan,
      runDir: dir,
      bootTimeoutMs: hostConfig.bootTimeoutS * 1000,
      signal: opts.signal,
      emit,
    };
    const first = opts.firstBootIndex ?? 0;
    for (let i = 0; i < opts.boots; i++) {
      if (opts.signal?.aborted) throw new InterruptedError('interrupted');
      const bootIndex = first + i;
      emit({ kind: 'boot-start', bootIndex, boots: opts.boots });
      const { outcome, cmdline } = await runBoot(ctx, bootIndex);
      boots.push(outcome);
      if (resultsPath !== null) {
        const record: StoredBoot = {
          type: 'boot',
          schema: 1,
          key: { imageHash: opts.kernel.imageHash, profileHash, hostId: hostFingerprint.id },
          runId: network.plan.ns,
          at: new Date().toISOString(),
          kbisectVersion: version,
          profileName: profile.name,
          host: hostFingerprint,
          kernelCmdline: cmdline,
          outcome,
        };
        await appendJsonl(resultsPath, record);
      }
      emit({ kind: 'boot-done', outcome });
    }
  } finally {
    if (netserver) await stopProcess(netserver);
    unregisterNetserver?.();
    if (network) await network.remove();
    if (runDir) await runDir.remove();
  }
  return {
    hostFingerprint,
    accel: decision.accel,
    accelReason: decision.reason,
    profileName: profile.name,
    profileHash,
    kernel: { image: kernel.image, imageHash: opts.kernel.imageHash, pvh: kernel.pvh },
    guestImage: { hash: image.hash, cached: image.cached, buildMs: image.buildMs },
    boots,
    warnings,
    resultsPath,
  };
}

export interface MeasureRevisionOptions extends Omit<MeasureOptions, 'kernel'> {
  // the kernel git tree and the revision to build and measure
  repo: string;
  rev: string;
  toolchain?: string;
  onBuildProgress?: (p: BuildProgress) => void;
}

// Builds a revision with the profile's kernel fragment (or finds it in the kernel
// cache) and measures it; a build failure is returned, not thrown (a bisection skips it).
export async function measureRevision(opts: MeasureRevisionOptions): Promise<{ build: BuildResult; result: MeasureResult | null }> {
  const { repo, rev, toolchain, onBuildProgress, ...measure } = opts;
  const config = await readKernelConfigSpec({ extraFragments: [opts.profile.kernel.fragment.join('\n')] });
  const build = await buildRevision({
    repo,
    rev,
    config,
    ...(toolchain === undefined ? {} : { toolchain }),
    ...(onBuildProgress === undefined ? {} : { onProgress: onBuildProgress }),
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
  });
  if (build.kind === 'build-failed') return { build, result: null };
  const result = await measureKernel({
    ...measure,
    kernel: { bzImage: build.bzImage, vmlinux: build.vmlinux, imageHash: build.imageHash, configHash: build.configHash },
  });
  return { build, result };
}
