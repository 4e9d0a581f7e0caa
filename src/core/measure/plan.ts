// The plan of one boot: which guests a profile's topology launches with which
// job, which of them runs netperf (or whether the host side does), how many
// runs each test gets, and how long each step may take. Pure: the app
// launches and times what this plans; netperf's arguments come from the caller.
import { assertNever } from '../errors.ts';
import type { GuestJob, GuestRun } from '../guest-protocol.ts';
import type { Profile, ProfileTest } from '../profile/index.ts';

// Extra time a client guest gets beyond its netperf runs: warm-up probe, per-run setup, power-off.
const CLIENT_SLACK_MS = 30_000;
const PER_RUN_SLACK_MS = 5_000;
// how long one guest netperf run may take beyond its duration
const RUN_STALL_MS = 15_000;
// how long a client guest may take to power off after its last run
export const POWER_OFF_MS = 5_000;
// how much longer than the client a server guest is watched, so that a slow client is reported as such
export const SERVER_WATCH_EXTRA_MS = 60_000;

export type NetperfArgsBuilder = (test: ProfileTest, targetIp: string) => string[];

export interface BootPlan {
  // one job per guest, launched in this order; guest i gets tap i
  guests: GuestJob[];
  // the guest that runs netperf and powers off; null: netperf runs on the host side
  client: number | null;
  // the guest whose kernel command line is recorded with the boot
  recordedCmdline: number;
  // host-to-guest: the address the host-side netperf targets
  hostTarget: string | null;
  // where the host-side netperf (client null) or netserver (a client guest) runs: the
  // bridge's namespace, or the external peer's namespace behind the veth
  hostSide: 'bridge' | 'peer';
}

// Runs of each test in one boot: the warm-up ones, then the judged ones.
export function countRepsPerTest(profile: Profile): number {
  return profile.sampling.warmupRuns + profile.sampling.runsPerBoot;
}

// What a client guest runs against `targetIp`: every test, each countRepsPerTest times.
export function planGuestRuns(profile: Profile, targetIp: string, netperfArgs: NetperfArgsBuilder): GuestRun[] {
  const reps = countRepsPerTest(profile);
  return profile.tests.map((t) => ({ test: t.name, reps, netperfArgs: netperfArgs(t, targetIp) }));
}

// Who runs what: guest-to-host has one client guest; host-to-guest one server
// guest and netperf on the host side; guest-to-guest a server guest, then a client.
export function planBoot(
  profile: Profile,
  network: { hostIp: string; guestIps: readonly string[]; peerIp?: string },
  netperfArgs: NetperfArgsBuilder,
): BootPlan {
  const firstGuestIp = network.guestIps[0] ?? '';
  const peerIp = network.peerIp ?? '';
  switch (profile.topology) {
    case 'guest-to-host':
      return {
        guests: [{ role: 'client', serverIp: network.hostIp, runs: planGuestRuns(profile, network.hostIp, netperfArgs) }],
        client: 0,
        recordedCmdline: 0,
        hostTarget: null,
        hostSide: 'bridge',
      };
    case 'host-to-guest':
      return { guests: [{ role: 'server' }], client: null, recordedCmdline: 0, hostTarget: firstGuestIp, hostSide: 'bridge' };
    case 'external-to-guest':
      return { guests: [{ role: 'server' }], client: null, recordedCmdline: 0, hostTarget: firstGuestIp, hostSide: 'peer' };
    case 'guest-to-external':
      return {
        guests: [{ role: 'client', serverIp: peerIp, runs: planGuestRuns(profile, peerIp, netperfArgs) }],
        client: 0,
        recordedCmdline: 0,
        hostTarget: null,
        hostSide: 'peer',
      };
    case 'guest-to-guest':
      return {
        guests: [{ role: 'server' }, { role: 'client', serverIp: firstGuestIp, runs: planGuestRuns(profile, firstGuestIp, netperfArgs) }],
        client: 1,
        recordedCmdline: 1,
        hostTarget: null,
        hostSide: 'bridge',
      };
    default:
      return assertNever(profile.topology, 'topology');
  }
}

// How long the client guest may take for all its runs.
export function computeClientBudgetMs(profile: Profile): number {
  const reps = countRepsPerTest(profile);
  return profile.tests.reduce((sum, t) => sum + reps * (t.durationS * 1000 + PER_RUN_SLACK_MS), CLIENT_SLACK_MS);
}

// How long one run of `test` may go before the guest is deemed stuck.
export function computeRunStallMs(test: Pick<ProfileTest, 'durationS'> | undefined): number {
  return (test?.durationS ?? 0) * 1000 + RUN_STALL_MS;
}

// The host CPUs guest `index`'s vCPUs are pinned to (empty: not pinned).
export function selectVcpuPinning(profile: Profile, index: number): number[] {
  const vcpus = profile.guest.vcpus;
  return profile.guest.pinning.slice(index * vcpus, (index + 1) * vcpus);
}
