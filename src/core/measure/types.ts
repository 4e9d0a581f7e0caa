// What one measurement of one kernel produces: samples grouped by boot (the
// unit the statistics run on), a boot failure as a value, and the stamps that
// say what was measured where (kernel image, profile, host, accelerator).
import type { HotplugCycle } from '../conditions/hotplug.ts';
import type { MigrationRun } from '../conditions/migration.ts';
import type { Metric, NetperfTestType } from '../profile/index.ts';

export type Accel = 'kvm' | 'tcg';
export type AccelChoice = 'auto' | Accel;

// The facts that decide whether two results may be compared; `id` hashes all of them.
export interface HostFingerprint {
  id: string;
  cpuModel: string;
  cpuCount: number;
  hostKernel: string;
  qemuVersion: string;
  netperfVersion: string;
  accel: Accel;
}

// The kernel a measurement boots, as built or as given by path.
export interface MeasureKernel {
  bzImage: string;
  // uncompressed ELF; booted directly (PVH) when it has the entry point, which skips the decompressor
  vmlinux?: string;
  // identifies the kernel in the results (build id or sha256 of the image)
  imageHash: string;
  // identifies the kernel config for the KVM probe cache (defaults to imageHash)
  configHash?: string;
}

// One netperf run's omni values (microseconds for latencies; null = not reported).
export interface RunRecord {
  throughput: number;
  throughputUnits: string;
  meanLatencyUs: number | null;
  p50LatencyUs: number | null;
  p99LatencyUs: number | null;
  transactionRate: number | null;
  elapsedS: number | null;
}

export interface TestSamples {
  test: string;
  type: NetperfTestType;
  metric: Metric;
  unit: string;
  higherIsBetter: boolean;
  // judged values, warm-up excluded, in run order
  runs: number[];
  // the warm-up runs' values (recorded, never judged)
  warmup: number[];
  // every run's full omni record, warm-up first
  records: RunRecord[];
}

export interface BootTimings {
  // QEMU start → ready marker (server: netserver listening; client: network up)
  readyMs: number;
  // the guest's own uptime when it printed the ready marker
  guestUptimeAtReadyS: number | null;
  // QEMU start → QEMU gone
  totalMs: number;
  // time netperf itself ran (sum of the runs' elapsed times, warm-up included)
  netperfMs: number;
  // totalMs - netperfMs: what a boot costs beyond the measurement
  overheadMs: number;
}

export type BootOutcome =
  | {
      kind: 'ok';
      bootIndex: number;
      readyMs: number;
      timings: BootTimings;
      tests: TestSamples[];
      // conditions.migration: one record per netperf run, in run order (warm-up included)
      migration?: MigrationRun[];
      // conditions.hotplug: one record per unplug + re-plug of the NIC, in order
      hotplug?: HotplugCycle[];
    }
  | {
      kind: 'boot-failed';
      bootIndex: number;
      // boot: no ready marker (panic, hang, QEMU exit); measure: the guest came up but netperf failed
      phase: 'boot' | 'measure';
      reason: string;
      consoleTail: string;
      readyMs?: number;
      // conditions.migration: the runs' records up to the failure (what each migration did)
      migration?: MigrationRun[];
    };

export interface MeasureResult {
  hostFingerprint: HostFingerprint;
  accel: Accel;
  // why this accelerator (probe answer, configuration, flag)
  accelReason: string;
  profileName: string;
  profileHash: string;
  kernel: { image: string; imageHash: string; pvh: boolean };
  guestImage: { hash: string; cached: boolean; buildMs: number };
  boots: BootOutcome[];
  warnings: string[];
  // where each boot was appended (null: not stored)
  resultsPath: string | null;
}

export type MeasureProgress =
  // hostId: the fingerprint (machine facts + accelerator) every boot of this measurement is stamped with
  | { kind: 'accel'; accel: Accel; reason: string; hostId: string }
  | { kind: 'warning'; message: string }
  | { kind: 'guest-image'; cached: boolean; buildMs: number }
  | { kind: 'boot-start'; bootIndex: number; boots: number }
  | { kind: 'ready'; bootIndex: number; readyMs: number }
  | { kind: 'run'; bootIndex: number; test: string; rep: number; reps: number; warmup: boolean; value: number | null; unit: string }
  | { kind: 'boot-done'; outcome: BootOutcome };

// A boot as stored in the results file (one JSON line each, fsync'd).
export interface StoredBoot {
  type: 'boot';
  schema: 1;
  // what makes results comparable: the same kernel image, profile and host (accelerator included)
  key: { imageHash: string; profileHash: string; hostId: string };
  runId: string;
  at: string;
  kbisectVersion: string;
  profileName: string;
  host: HostFingerprint;
  kernelCmdline: string;
  outcome: BootOutcome;
}
