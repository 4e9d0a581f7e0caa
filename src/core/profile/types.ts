// The measurement profile: what is measured (netperf tests, topology, guest,
// NIC, kernel options) and how much (sampling plan, minimum effect). Shared
// between teams as YAML; everything machine-local (accelerator, paths) stays out.

export const PROFILE_SCHEMA_VERSION = 1;

export const netperfTestTypes = ['TCP_STREAM', 'TCP_MAERTS', 'TCP_RR', 'TCP_CRR', 'UDP_RR', 'UDP_STREAM'] as const;
export type NetperfTestType = (typeof netperfTestTypes)[number];

// Request/response tests report transactions; the others move a stream of bytes.
export function isRequestResponse(type: NetperfTestType): boolean {
  return type === 'TCP_RR' || type === 'TCP_CRR' || type === 'UDP_RR';
}

export const metrics = ['throughput', 'transaction-rate', 'mean-latency', 'p99-latency'] as const;
export type Metric = (typeof metrics)[number];

// Throughput and transaction rate: more is better; latencies: less is better.
export function naturalHigherIsBetter(metric: Metric): boolean {
  return metric === 'throughput' || metric === 'transaction-rate';
}

export const topologies = ['guest-to-host', 'host-to-guest', 'guest-to-guest', 'external-to-guest', 'guest-to-external'] as const;
// guest-to-host: netperf runs in the guest, netserver on the host side of the namespace;
// host-to-guest: netperf on the host side, netserver in the guest;
// guest-to-guest: two guests on one bridge, netperf in the second, netserver in the first;
// external-to-guest / guest-to-external: the peer (netperf, resp. netserver) is a
// second namespace joined to the bridge by a veth pair, standing for another
// machine on the LAN: its traffic is bridged, never addressed to the bridge itself.
export type Topology = (typeof topologies)[number];

// virtio-net-pci device properties a profile may switch (QEMU's own names).
export const nicOffloads = [
  'csum',
  'guest_csum',
  'gso',
  'guest_tso4',
  'guest_tso6',
  'guest_ecn',
  'guest_ufo',
  'host_tso4',
  'host_tso6',
  'host_ecn',
  'host_ufo',
  // VLAN filtering in the device (the guest programs it when it has 802.1Q)
  'ctrl_vlan',
] as const;
export type NicOffload = (typeof nicOffloads)[number];

export interface ProfileTest {
  // unique within the profile; [a-z0-9-]
  name: string;
  type: NetperfTestType;
  durationS: number;
  // TCP_STREAM / UDP_STREAM: bytes per send call (netperf -m)
  messageBytes?: number;
  // RR tests: request and response sizes (netperf -r req,resp)
  requestBytes?: number;
  responseBytes?: number;
  // TCP_NODELAY on the data connection (netperf -D)
  nodelay: boolean;
  // what this test is judged on
  metric: Metric;
  higherIsBetter: boolean;
}

export interface ProfileGuest {
  vcpus: number;
  memoryMiB: number;
  // extra kernel command line words (kbisect.* is reserved)
  cmdline: string;
  // host CPU per vCPU; empty = no pinning. guest-to-guest: first guest's vCPUs, then the second's
  pinning: number[];
}

export interface ProfileNic {
  vhost: boolean;
  queues: number;
  mrgRxbuf: boolean;
  offloads: Partial<Record<NicOffload, boolean>>;
  // 802.1Q sub-interfaces of the guest's NIC (absent: none, and no key in the hash);
  // netperf runs over the first
  vlans?: number[];
  // more MAC addresses on the guest's NIC (macvlan sub-interfaces, each with its own address)
  extraMacs?: number;
}

export interface ProfileSampling {
  runsPerBoot: number;
  // runs at the start of each test in each boot that are recorded but not judged
  warmupRuns: number;
  minBoots: number;
  maxBoots: number;
  // bisecting: boot GOOD or BAD again after this many boots of other commits
  // and judge each boot against the endpoint boots nearest in time, so that a
  // host whose speed drifts is not mistaken for a change (0: never)
  referenceEvery: number;
  // bisecting kernels: runsPerBoot becomes a cap, and the runs per boot and
  // warm-up of the boots after the first endpoint boots are chosen from their
  // variance components (core/measure/runs-per-boot.ts); absent = false
  adaptive?: true;
}

// qos: every QEMU process of a boot in a cgroup with a CPU quota, optionally a
// rate limit on the guest's tap (tc tbf inside the namespace).
export interface ProfileQos {
  // percent of one host CPU the QEMU process (all its threads) may use: 25 = a quarter of a CPU
  cpuQuotaPercent?: number;
  // egress rate of the tap (what reaches the guest), in Mbit/s
  tapRateMbit?: number;
}

// hotplug: unplug the virtio-net device and plug it back before every `every`-th netperf run.
export interface ProfileHotplug {
  every: number;
}

// migration: during each netperf run, live-migrate the guest between two QEMU
// processes on this host, back and forth every intervalS.
export interface ProfileMigration {
  intervalS: number;
  // after each migration: how long every MAC and VLAN of the guest may take to answer again
  reachTimeoutS: number;
}

// What happens to the guest while netperf runs; absent = a plain run (and no key in the hash).
export interface ProfileConditions {
  qos?: ProfileQos;
  hotplug?: ProfileHotplug;
  migration?: ProfileMigration;
}

export interface Profile {
  schema: typeof PROFILE_SCHEMA_VERSION;
  name: string;
  description: string;
  topology: Topology;
  tests: ProfileTest[];
  guest: ProfileGuest;
  nic: ProfileNic;
  kernel: { fragment: string[] };
  sampling: ProfileSampling;
  // smallest relative change the user cares about (0.05 = 5 %)
  minEffect: number;
  conditions?: ProfileConditions;
}

export interface ProfileValidation {
  profile?: Profile;
  errors: string[];
  warnings: string[];
}

// How many guests a topology boots per measurement.
export function guestCount(topology: Topology): number {
  return topology === 'guest-to-guest' ? 2 : 1;
}

// Profiles are a few KiB; anything far larger is not one (and is not parsed).
export const MAX_PROFILE_BYTES = 256 * 1024;
