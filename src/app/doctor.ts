// `kbisect doctor`: gather the host's facts, judge them; `--probe` boots a
// guest kernel under KVM (and TCG) and records which accelerator works here;
// `--cleanup` removes what crashed runs left behind (namespaces with what runs
// in them, qos cgroups, run directories).
import { evaluateHost, type DoctorReport } from '../core/doctor.ts';
import { gatherHostFacts, probeDevice } from '../adapters/host.ts';
import { loadHostConfig } from '../adapters/host-config.ts';
import { buildGuestImage } from '../adapters/guest/image.ts';
import { deleteNetns, listKbisectNetns, netnsPids, parseNetnsOwner } from '../adapters/net.ts';
import { listKbisectCgroups, removeCgroup } from '../adapters/conditions/qos.ts';
import { cacheDir } from '../adapters/paths.ts';
import { commandLineOf, isAlive, killPid } from '../adapters/process.ts';
import { listRunDirs, removeRunDir } from '../adapters/run-dir.ts';
import { planLeftoverCleanup, type LeftoverCandidate } from '../core/leftovers.ts';
import type { Accel } from '../core/measure/types.ts';
import { probeBoot, resolveAccel, type ProbeBoot } from './accel.ts';
import { chooseKernelImage, kernelFromImage } from '../adapters/kernel-image.ts';

// Checks this host for everything the pipeline needs.
export async function runDoctor(): Promise<DoctorReport> {
  return evaluateHost(await gatherHostFacts());
}

export interface ProbeReport {
  kernelImage: string;
  pvh: boolean;
  // null: not tried (/dev/kvm cannot be opened)
  kvm: ProbeBoot | null;
  tcg: ProbeBoot;
  // what `accel: auto` will use with this kernel (and cached for it)
  accel: Accel;
  reason: string;
}

// Boots the kernel under KVM (forcing a fresh probe, cached for `auto`) and under TCG.
export async function runBootProbe(kernelPath: string, cwd: string, vmlinux?: string): Promise<ProbeReport> {
  const config = await loadHostConfig();
  const kernel = await kernelFromImage(kernelPath, vmlinux, cwd);
  const chosen = await chooseKernelImage(kernel);
  const image = await buildGuestImage({ cacheDir: cacheDir(), compression: 'none' });
  const target = { kernelImage: chosen.image, initrd: image.path, kernelKey: kernel.configHash ?? kernel.imageHash };
  const kvmDevice = await probeDevice('/dev/kvm');
  const decision = await resolveAccel('auto', target, { probeTimeoutMs: config.probeTimeoutS * 1000, forceProbe: true });
  const answer = decision.answer;
  const kvm: ProbeBoot | null =
    !kvmDevice.openable || !answer
      ? null
      : answer.accel === 'kvm'
        ? { ready: true, readyMs: answer.readyMs ?? 0 }
        : { ready: false, why: answer.reason };
  const tcg = await probeBoot('tcg', target, config.bootTimeoutS * 1000, config.tcgCpu);
  return { kernelImage: chosen.image, pvh: chosen.pvh, kvm, tcg, accel: decision.accel, reason: decision.reason };
}

export interface CleanupReport {
  removedNamespaces: { name: string; why: string; killedPids: number[] }[];
  removedRunDirs: string[];
  // qos cgroups (with what was still in them, killed by pid)
  removedCgroups: { name: string; why: string }[];
  kept: { name: string; why: string }[];
  errors: string[];
}

async function candidate(name: string, ownerPid: number | null): Promise<LeftoverCandidate> {
  const ownerAlive = ownerPid !== null && isAlive(ownerPid);
  return { name, ownerPid, ownerAlive, ownerCommand: ownerAlive && ownerPid !== null ? await commandLineOf(ownerPid) : '' };
}

// Removes namespaces (with the processes inside, killed by pid) and run directories of dead kbisect runs.
export async function cleanupLeftovers(): Promise<CleanupReport> {
  const report: CleanupReport = { removedNamespaces: [], removedRunDirs: [], removedCgroups: [], kept: [], errors: [] };
  const namespaces = await Promise.all((await listKbisectNetns()).map((ns) => candidate(ns, parseNetnsOwner(ns))));
  for (const d of planLeftoverCleanup(namespaces, process.pid)) {
    if (d.action === 'keep') {
      report.kept.push({ name: d.name, why: d.why });
      continue;
    }
    try {
      const pids = await netnsPids(d.name);
      for (const pid of pids) await killPid(pid);
      await deleteNetns(d.name);
      report.removedNamespaces.push({ name: d.name, why: d.why, killedPids: pids });
    } catch (error) {
      report.errors.push(`${d.name}: ${(error as Error).message}`);
    }
  }
  // after the namespaces: their QEMU processes are gone, the cgroups are empty
  const cgroups = await Promise.all((await listKbisectCgroups()).map((path) => candidate(path, parseNetnsOwner(path.replace(/^.*\//, '')))));
  for (const d of planLeftoverCleanup(cgroups, process.pid)) {
    if (d.action === 'keep') {
      report.kept.push({ name: d.name, why: d.why });
      continue;
    }
    try {
      await removeCgroup(d.name);
      report.removedCgroups.push({ name: d.name, why: d.why });
    } catch (error) {
      report.errors.push(`${d.name}: ${(error as Error).message}`);
    }
  }
  const dirs = await Promise.all(
    (await listRunDirs()).map((path) => candidate(path, parseNetnsOwner(path.replace(/^.*\//, '').replace(/-[^-]+$/, '')))),
  );
  for (const d of planLeftoverCleanup(dirs, process.pid)) {
    if (d.action === 'keep') {
      report.kept.push({ name: d.name, why: d.why });
      continue;
    }
    try {
      await removeRunDir(d.name);
      report.removedRunDirs.push(d.name);
    } catch (error) {
      report.errors.push(`${d.name}: ${(error as Error).message}`);
    }
  }
  return report;
}
