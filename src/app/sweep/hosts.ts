// Which machine a sweep's points are filed under: this one, or the Slurm
// node that measured them, with that worker's own facts (a series belongs to
// one machine, and its fingerprint makes the epochs).
import { UserError } from '../../core/errors.ts';
import type { EventDetail } from '../../core/session.ts';
import type { SweepAccel, SweepHost } from '../../core/sweep/types.ts';
import { sha256Hex } from '../../adapters/digest.ts';
import { machineName } from '../../adapters/fingerprint.ts';
import type { Executor } from '../executor.ts';

// The machine this run's points are filed under: this one, or the Slurm node
// the measurement jobs are pinned to (a series belongs to one machine).
export function measuringMachine(executor: Executor): string {
  if (executor.kind === 'local') return machineName();
  const node = executor.settings.nodes?.[0];
  if (node === undefined) {
    throw new UserError(
      'sweep run --executor slurm: expected `nodes` in host.yaml\'s slurm: block (the measurement node), got none: a sweep\'s series belongs to one machine, and with only a constraint its points could land on a different node each night',
      'add e.g. `nodes: [perf01]` to the slurm: block of ~/.config/kbisect/host.yaml (kbisect doctor --executor slurm checks it)',
    );
  }
  return node;
}

// The host a boot record is filed under: the Slurm worker's own node and facts
// when the sample ran in a job, else this machine's; null when the detail does not say.
export function hostOfDetail(detail: EventDetail | undefined, local: { facts: { cpuModel: string; hostKernel: string; qemuVersion: string }; machine: string }): SweepHost | null {
  if (detail?.source === 'boot') {
    const job = detail.job;
    return {
      id: detail.host,
      machine: job?.node ?? local.machine,
      cpuModel: job?.cpuModel ?? local.facts.cpuModel,
      hostKernel: job?.hostKernel ?? local.facts.hostKernel,
      qemuVersion: job?.qemuVersion ?? local.facts.qemuVersion,
      accel: detail.accel,
    };
  }
  if (detail?.source === 'command' && detail.job !== undefined) {
    const job = detail.job;
    // a command sample never starts QEMU: the worker's version is not asked
    return commandHost({ cpuModel: job.cpuModel ?? 'unknown', hostKernel: job.hostKernel ?? 'unknown', qemuVersion: 'unknown' }, job.node ?? local.machine);
  }
  return null;
}

// Generic mode has no guest: the host's own facts, accelerator 'none'.
export function commandHost(facts: { cpuModel: string; hostKernel: string; qemuVersion: string }, machine: string): SweepHost {
  const body = { cpuModel: facts.cpuModel, hostKernel: facts.hostKernel, qemuVersion: facts.qemuVersion, accel: 'none' as SweepAccel };
  return { id: sha256Hex(JSON.stringify(body)).slice(0, 16), machine, ...body };
}
