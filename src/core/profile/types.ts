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

export const topologies = ['guest-to-host', 'host-to-guest', 'guest-to-guest'] as const;
// guest-to-host: netperf runs in the guest, netserver on the host side of the namespace;
// host-to-guest: netperf on the host side, netserver in the guest;
// guest-to-guest: two guests on one bridge, netperf in the second, netserver in the first.
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
