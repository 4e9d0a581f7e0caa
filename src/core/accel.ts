// Which accelerator a measurement runs under. `auto` trusts a boot probe, not
// the presence of /dev/kvm: on nested or software hypervisors KVM_CREATE_VM
// works but a stock guest never reaches userspace. The answer is cached per
// host and kernel config; results from different accelerators are never mixed.
import { formatDuration } from './format.ts';
import type { Accel, AccelChoice } from './measure/types.ts';

export const TCG_WARNING =
  'guests run under TCG (software emulation): absolute numbers are not KVM numbers; ' +
  'results are compared only with other TCG results from this host';

export interface ProbeAnswer {
  accel: Accel;
  reason: string;
  // QEMU start → ready marker under KVM, when the probe succeeded
  readyMs?: number;
}

export type AccelPlan =
  | { kind: 'use'; accel: Accel; reason: string; warning?: string }
  | { kind: 'probe' }
  | { kind: 'refuse'; message: string; hint: string };

// Decides from the request, /dev/kvm and a cached probe answer; `probe` means: boot once under KVM and ask again.
export function planAccel(choice: AccelChoice, kvm: { usable: boolean; detail: string }, cached: ProbeAnswer | undefined): AccelPlan {
  switch (choice) {
    case 'tcg':
      return { kind: 'use', accel: 'tcg', reason: 'TCG requested (--accel tcg or host.yaml)', warning: TCG_WARNING };
    case 'kvm':
      return kvm.usable
        ? { kind: 'use', accel: 'kvm', reason: 'KVM requested (--accel kvm or host.yaml)' }
        : {
            kind: 'refuse',
            message: `KVM requested but /dev/kvm is not usable: ${kvm.detail}`,
            hint: 'use --accel auto or tcg, or load kvm_intel/kvm_amd (see `kbisect doctor`)',
          };
    case 'auto':
      if (!kvm.usable) return { kind: 'use', accel: 'tcg', reason: `/dev/kvm is not usable (${kvm.detail})`, warning: TCG_WARNING };
      if (!cached) return { kind: 'probe' };
      return cached.accel === 'kvm'
        ? { kind: 'use', accel: 'kvm', reason: `boot probe: ${cached.reason}` }
        : { kind: 'use', accel: 'tcg', reason: `boot probe: ${cached.reason}`, warning: TCG_WARNING };
  }
}

// Turns the probe boot's outcome into the cached answer.
export function concludeProbe(outcome: { ready: true; readyMs: number } | { ready: false; why: string }): ProbeAnswer {
  return outcome.ready
    ? { accel: 'kvm', reason: `a guest booted to userspace under KVM in ${formatDuration(outcome.readyMs)}`, readyMs: outcome.readyMs }
    : { accel: 'tcg', reason: `KVM cannot run the guest here (${outcome.why}); falling back to TCG` };
}
