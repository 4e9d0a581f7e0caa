// Every default of a profile, in one place: what a key left out of the YAML
// means. The schema fills them in and the JSON Schema publishes them, so the
// canonical form (and the hash) of a profile that spells a default out is the
// same as of one that leaves it out.
import {
  isRequestResponse,
  naturalHigherIsBetter,
  type Metric,
  type NetperfTestType,
  type ProfileGuest,
  type ProfileNic,
  type ProfileSampling,
} from './types.ts';

export const profileDefaults = {
  description: '',
  test: {
    nodelay: false,
    // RR tests only (netperf -r 1,1)
    requestBytes: 1,
    responseBytes: 1,
  },
  guest: { vcpus: 1, memoryMiB: 256, cmdline: '', pinning: [] } as Readonly<ProfileGuest>,
  nic: { vhost: false, queues: 1, mrgRxbuf: true, offloads: {} } as Readonly<ProfileNic>,
  kernel: { fragment: [] as string[] },
  sampling: { runsPerBoot: 5, warmupRuns: 1, minBoots: 3, maxBoots: 10, referenceEvery: 2 } as Readonly<ProfileSampling>,
} as const;

// A test without a name is named after its type: TCP_RR → tcp-rr.
export function defaultTestName(type: NetperfTestType): string {
  return type.toLowerCase().replace(/_/g, '-');
}

// A test without a metric is judged on what its type reports: transactions or throughput.
export function defaultMetric(type: NetperfTestType): Metric {
  return isRequestResponse(type) ? 'transaction-rate' : 'throughput';
}

// A test without a direction follows its metric's natural one.
export function defaultHigherIsBetter(metric: Metric): boolean {
  return naturalHigherIsBetter(metric);
}
