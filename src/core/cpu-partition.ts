// How a speculative kernel build shares a small host with the measurement
// running beside it: the build runs at the lowest CPU priority (nice 19) and
// only on CPUs the guest's vCPUs are not pinned to, so `run --jobs 2` builds
// the next likely commit without taking the CPU a boot is being measured on.
// Pure: the adapters read the allowed CPUs and start the processes.

// The CPUs a build in the background may use and the ones the guest's vCPUs are pinned to.
export interface CpuPartition {
  build: number[];
  guest: number[];
}

// The nice value of a background build: CFS gives a nice-19 task 15/1024 of
// a nice-0 task's share of a CPU they contend for.
export const BACKGROUND_BUILD_NICE = 19;

// Linux's cpu list format ("0-3,6,8-9", as in /proc/self/status Cpus_allowed_list).
export function parseCpuList(text: string): number[] {
  const cpus = new Set<number>();
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`not a cpu list: ${JSON.stringify(text)}`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi - lo > 65_535) throw new Error(`not a cpu list: ${JSON.stringify(text)}`);
    for (let c = lo; c <= hi; c++) cpus.add(c);
  }
  return [...cpus].sort((a, b) => a - b);
}

// The allowed CPUs from /proc/<pid>/status (null when the line is missing or malformed).
export function parseAllowedCpus(status: string): number[] | null {
  const m = /^Cpus_allowed_list:\s*(\S+)\s*$/m.exec(status);
  if (!m?.[1]) return null;
  try {
    const cpus = parseCpuList(m[1]);
    return cpus.length > 0 ? cpus : null;
  } catch {
    return null;
  }
}

// The guest takes the last `guestVcpus` CPUs (at least one CPU is left to the
// build); null when there is only one CPU, where only nice separates them.
export function partitionCpus(cpus: readonly number[], guestVcpus: number): CpuPartition | null {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  if (sorted.length < 2) return null;
  const guestCount = Math.max(1, Math.min(guestVcpus, sorted.length - 1));
  return { build: sorted.slice(0, sorted.length - guestCount), guest: sorted.slice(sorted.length - guestCount) };
}

// The command prefix that runs a background build: `nice -n 19 [taskset -c LIST]`.
export function backgroundPrefix(buildCpus: readonly number[] | null): string[] {
  const prefix = ['nice', '-n', String(BACKGROUND_BUILD_NICE)];
  return buildCpus === null || buildCpus.length === 0 ? prefix : [...prefix, 'taskset', '-c', buildCpus.join(',')];
}
