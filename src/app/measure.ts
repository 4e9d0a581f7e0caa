// measureKernel: boot a kernel N times under QEMU with a virtio-net NIC in a
// private network namespace, run the profile's netperf tests, and return the
// samples grouped by boot. A boot that fails (panic, hang, no ready marker,
// netperf failing inside it) is a value; a host that cannot run guests at all
// is an exception with a fix. Each boot is appended to the results store as
// it arrives. Namespace, bridge, taps, netserver and QEMU are always removed.
import { join } from 'node:path';
import { registerCleanup } from '../adapters/cleanup.ts';
import { createRunDir, type RunDir } from '../adapters/run-dir.ts';
import { sha256Hex } from '../adapters/digest.ts';
import type { RunningCommand } from '../adapters/exec.ts';
import { gatherFingerprintFacts } from '../adapters/fingerprint.ts';
import { buildGuestImage, type ImageCompression } from '../adapters/guest/image.ts';
import { findExecutable } from '../adapters/host.ts';
import { loadHostConfig } from '../adapters/host-config.ts';
import { chooseKernelImage } from '../adapters/kernel-image.ts';
import { createNetwork, type Network } from '../adapters/net.ts';
import { createPeer, type PeerNetwork } from '../adapters/net-peer.ts';
import { limitTapRate, locateCpuCgroupRoot } from '../adapters/conditions/qos.ts';
import { startHostNetserver, stopNetserver } from '../adapters/netserver.ts';
import { cacheDir, dataDir } from '../adapters/paths.ts';
import { findQboot, QEMU_BINARY, vhostNetUsable } from '../adapters/qemu.ts';
import { appendJsonl } from '../adapters/store.ts';
import { InterruptedError, UserError } from '../core/errors.ts';
import type { HostConfig } from '../core/host-config.ts';
import type { AccelChoice, BootOutcome, HostFingerprint, MeasureKernel, MeasureProgress, MeasureResult, StoredBoot } from '../core/measure/types.ts';
import { guestCount, type Profile } from '../core/profile/index.ts';
import { version } from '../version.ts';
import { resolveAccel } from './accel.ts';
import { readKernelConfigSpec } from './build-config.ts';
import { buildRevision, type BuildProgress, type BuildResult } from './build-revision.ts';
import { runBoot, type BootContext } from './measure-boot.ts';
import { hashProfile } from './profiles.ts';

export { kernelFromImage } from '../adapters/kernel-image.ts';

export type {
  AccelChoice,
  BootOutcome,
  BootTimings,
  HostFingerprint,
  MeasureKernel,
  MeasureProgress,
  MeasureResult,
  RunRecord,
  StoredBoot,
  TestSamples,
} from '../core/measure/types.ts';

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
  if (profile.conditions?.hotplug && profile.conditions.migration) {
    throw new UserError(
      `profile ${profile.name} sets both conditions.hotplug and conditions.migration, which cannot be combined yet (both drive the guest over its one QMP socket)`,
      'measure them in two profiles',
    );
  }
  if (profile.conditions?.qos?.cpuQuotaPercent !== undefined && (await locateCpuCgroupRoot()) === null) {
    throw new UserError(
      `profile ${profile.name} sets conditions.qos.cpuQuotaPercent, but no mounted cgroup hierarchy (v2 or v1) has the cpu controller`,
      'mount it (v1: mount -t cgroup -o cpu cgroup /sys/fs/cgroup/cpu), or use a profile without a CPU quota',
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
  if (decision.warning) warn(decision.warning);
  const fingerprintBody = { ...facts, accel: decision.accel };
  const hostFingerprint: HostFingerprint = { id: sha256Hex(JSON.stringify(fingerprintBody)).slice(0, 16), ...fingerprintBody };
  emit({ kind: 'accel', accel: decision.accel, reason: decision.reason, hostId: hostFingerprint.id });
  const resultsPath = opts.resultsPath === undefined ? defaultResultsPath() : opts.resultsPath;

  let network: Network | undefined;
  let peer: PeerNetwork | undefined;
  let netserver: RunningCommand | undefined;
  let runDir: RunDir | undefined;
  let unregisterNetserver: (() => void) | undefined;
  const boots: BootOutcome[] = [];
  try {
    network = await createNetwork(guestCount(profile.topology), profile.nic.queues > 1, {
      ...(profile.nic.vlans === undefined ? {} : { vlans: profile.nic.vlans }),
      ...(profile.nic.extraMacs === undefined ? {} : { extraMacs: profile.nic.extraMacs }),
      migration: profile.conditions?.migration !== undefined,
    });
    runDir = await createRunDir(network.plan.ns);
    const dir = runDir.path;
    // external topologies: the peer "machine" behind a veth on the bridge
    if (profile.topology === 'external-to-guest' || profile.topology === 'guest-to-external') peer = await createPeer(network.plan);
    const tapRateMbit = profile.conditions?.qos?.tapRateMbit;
    if (tapRateMbit !== undefined) for (const g of network.plan.guests) await limitTapRate(network.plan.ns, g.tap, tapRateMbit);
    if (profile.topology === 'guest-to-host' || profile.topology === 'guest-to-external') {
      const server = await startHostNetserver(peer && profile.topology === 'guest-to-external' ? { ns: peer.peer.ns, hostIp: peer.peer.ip } : network.plan, opts.signal);
      netserver = server;
      unregisterNetserver = registerCleanup(`netserver (pid ${server.pid ?? '?'})`, () => stopNetserver(server));
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
      ...(peer ? { peer: peer.peer } : {}),
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
    if (netserver) await stopNetserver(netserver);
    unregisterNetserver?.();
    if (peer) await peer.remove();
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
  // the profile's resolved fragment holds the guest base (minus what it removed)
  const config = { ...(await readKernelConfigSpec({ extraFragments: [opts.profile.kernel.fragment.join('\n')] })), guestFragment: false };
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
