// The QoS condition, the pure parts: which cgroup hierarchy holds the cpu
// controller (v2 `cpu.max` where the unified hierarchy has it, else v1
// `cpu.cfs_quota_us`), the files that set a CPU quota, the command that starts
// QEMU inside its cgroup, and the tc command that limits the tap's rate.

// A cgroup kbisect made: kbisect-<owner pid>-<random>, like its network namespaces.
export const CGROUP_PREFIX = 'kbisect-';
// CFS period: 100 ms, the kernel's default
export const CPU_PERIOD_US = 100_000;

export type CpuCgroupRoot = { version: 1 | 2; path: string };

// Where the cpu controller is mounted, from /proc/self/mounts (or /proc/mounts) and the
// cgroup.controllers of each cgroup2 mount (path → file contents). v2 wins when it has cpu.
export function findCpuCgroupRoot(mounts: string, v2Controllers: ReadonlyMap<string, string>): CpuCgroupRoot | null {
  let v1: string | null = null;
  for (const line of mounts.split('\n')) {
    const [, mountPoint, type, options] = line.trim().split(/\s+/);
    if (mountPoint === undefined || type === undefined) continue;
    const path = mountPoint.replace(/\\040/g, ' ');
    if (type === 'cgroup2') {
      const controllers = (v2Controllers.get(path) ?? '').trim().split(/\s+/);
      if (controllers.includes('cpu')) return { version: 2, path };
    } else if (type === 'cgroup' && v1 === null && (options ?? '').split(',').includes('cpu')) {
      v1 = path;
    }
  }
  return v1 === null ? null : { version: 1, path: v1 };
}

// The cgroup2 mount points listed in a mounts table (whose cgroup.controllers to read).
export function listCgroup2Mounts(mounts: string): string[] {
  return mounts
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[2] === 'cgroup2' && f[1] !== undefined)
    .map((f) => (f[1] ?? '').replace(/\\040/g, ' '));
}

// The files (in writing order) that cap a cgroup at `percent` of one CPU.
export function buildCpuQuotaWrites(version: 1 | 2, percent: number): { file: string; value: string }[] {
  if (!Number.isInteger(percent) || percent < 1) throw new RangeError(`expected a CPU quota percentage ≥ 1, got ${percent}`);
  const quotaUs = Math.round((CPU_PERIOD_US * percent) / 100);
  return version === 2
    ? [{ file: 'cpu.max', value: `${quotaUs} ${CPU_PERIOD_US}` }]
    : [
        // v1 checks the quota against the period: set the period first
        { file: 'cpu.cfs_period_us', value: String(CPU_PERIOD_US) },
        { file: 'cpu.cfs_quota_us', value: String(quotaUs) },
      ];
}

// The file a pid is written to so that the whole process moves (v1 and v2 alike).
export function cgroupProcsFile(cgroupPath: string): string {
  return `${cgroupPath}/cgroup.procs`;
}

// The procs file as a process in another mount namespace reaches it: `ip netns
// exec` mounts a fresh /sys (without the cgroup mounts), so QEMU's wrapper
// writes through the mount namespace of kbisect itself (/proc/<pid>/root).
export function procsFileSeenFrom(ownerPid: number, procsFile: string): string {
  return `/proc/${ownerPid}/root${procsFile}`;
}

// A command that enters the cgroup, then becomes `file args`: QEMU starts
// inside it, so every thread it ever makes is born there (none escapes the quota).
export function buildInCgroupArgs(procsFile: string, file: string, args: readonly string[]): { file: string; args: string[] } {
  // $0 is the procs file, "$@" the command; $$ is the shell, which exec turns into the command
  return { file: 'sh', args: ['-c', 'echo $$ > "$0" && exec "$@"', procsFile, file, ...args] };
}

// The pids listed in a cgroup.procs file.
export function parseCgroupProcs(text: string): number[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^\d+$/.test(l))
    .map(Number);
}

// tc's token bucket on the tap (egress = what the guest receives): a burst of
// 10 ms at the rate (at least 32 KiB, so one TSO frame always fits), a queue of 50 ms.
export function buildTapRateArgs(ns: string, dev: string, rateMbit: number): string[] {
  if (!Number.isInteger(rateMbit) || rateMbit < 1) throw new RangeError(`expected a rate in Mbit/s ≥ 1, got ${rateMbit}`);
  const burstBytes = Math.max(32 * 1024, Math.round((rateMbit * 1_000_000) / 8 / 100));
  return ['-n', ns, 'qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', `${rateMbit}mbit`, 'burst', String(burstBytes), 'latency', '50ms'];
}
