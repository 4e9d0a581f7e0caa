// Resolves `accel: auto | kvm | tcg` to the accelerator a measurement runs
// under: a cached KVM boot probe per host and kernel config, run when missing.
import { readProbeAnswer, writeProbeAnswer } from '../adapters/host-config.ts';
import { sha256Hex } from '../adapters/digest.ts';
import { gatherFingerprintFacts } from '../adapters/fingerprint.ts';
import { probeDevice } from '../adapters/host.ts';
import { buildQemuCommand, findQboot } from '../adapters/qemu.ts';
import { concludeProbe, planAccel, type ProbeAnswer } from '../core/accel.ts';
import { UserError } from '../core/errors.ts';
import { baseKernelArgs, buildKernelCmdline, describeGuestStop } from '../core/guest-protocol.ts';
import type { Accel, AccelChoice } from '../core/measure/types.ts';
import { launchGuest } from './guest.ts';

export interface AccelDecision {
  accel: Accel;
  reason: string;
  warning?: string;
  // a probe boot ran now (not from the cache)
  probed: boolean;
  // the probe's answer, when one ran now
  answer?: ProbeAnswer;
}

export interface ProbeTarget {
  // the image to boot (vmlinux with PVH, or bzImage) and the guest initramfs
  kernelImage: string;
  initrd: string;
  // identifies the kernel config (or the image when the config is unknown)
  kernelKey: string;
}

async function kvmUsable(): Promise<{ usable: boolean; detail: string }> {
  const kvm = await probeDevice('/dev/kvm');
  if (!kvm.exists) return { usable: false, detail: '/dev/kvm is absent' };
  if (!kvm.openable) return { usable: false, detail: `/dev/kvm cannot be opened (${kvm.error ?? 'permission denied'})` };
  return { usable: true, detail: 'openable' };
}

async function probeKey(kernelKey: string): Promise<string> {
  const f = await gatherFingerprintFacts();
  return sha256Hex(JSON.stringify([f.cpuModel, f.hostKernel, f.qemuVersion, kernelKey])).slice(0, 24);
}

export type ProbeBoot = { ready: true; readyMs: number } | { ready: false; why: string };

// Boots the guest once with no NIC and the probe role: ready marker = this accelerator runs this kernel here.
export async function probeBoot(accel: Accel, target: ProbeTarget, timeoutMs: number, tcgCpu = 'max', signal?: AbortSignal): Promise<ProbeBoot> {
  const firmware = await findQboot();
  const guest = launchGuest(
    `${accel}-probe`,
    buildQemuCommand({
      name: `kbisect-${accel}-probe`,
      accel,
      tcgCpu,
      memoryMiB: 256,
      vcpus: 1,
      kernel: target.kernelImage,
      initrd: target.initrd,
      append: buildKernelCmdline(baseKernelArgs(accel), { role: 'probe' }, ''),
      nics: [],
      ...(firmware === null ? {} : { firmware }),
    }),
  );
  try {
    const stop = await guest.waitUntil((s) => s.ready !== null, timeoutMs, `ready marker under ${accel.toUpperCase()}`, signal);
    const readyAt = guest.readyAt();
    return stop === null && readyAt !== null ? { ready: true, readyMs: readyAt - guest.startedAt } : { ready: false, why: stop ? describeGuestStop(stop) : 'no ready marker' };
  } finally {
    await guest.stop();
  }
}

// Decides the accelerator; probes (and caches the answer) when `auto` has no cached answer.
export async function resolveAccel(
  choice: AccelChoice,
  target: ProbeTarget,
  opts: { probeTimeoutMs: number; forceProbe?: boolean; signal?: AbortSignal },
): Promise<AccelDecision> {
  const kvm = await kvmUsable();
  const key = await probeKey(target.kernelKey);
  const cached = opts.forceProbe ? undefined : await readProbeAnswer(key);
  const plan = planAccel(choice, kvm, cached);
  switch (plan.kind) {
    case 'refuse':
      throw new UserError(plan.message, plan.hint);
    case 'use':
      return { accel: plan.accel, reason: plan.reason, ...(plan.warning ? { warning: plan.warning } : {}), probed: false };
    case 'probe': {
      const answer = concludeProbe(await probeBoot('kvm', target, opts.probeTimeoutMs, 'max', opts.signal));
      await writeProbeAnswer(key, answer);
      const again = planAccel(choice, kvm, answer);
      if (again.kind !== 'use') throw new UserError(`cannot decide the accelerator after probing: ${answer.reason}`);
      return { accel: again.accel, reason: again.reason, ...(again.warning ? { warning: again.warning } : {}), probed: true, answer };
    }
  }
}
