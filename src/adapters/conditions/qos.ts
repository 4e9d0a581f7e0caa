// The QoS condition on the real host: a cgroup per QEMU process with a CPU
// quota (made by kbisect, named kbisect-<owner pid>-<random> so that
// `doctor --cleanup` can tell a crashed run's from a live one's), and a tc
// token bucket on the guest's tap inside the run's namespace. The cgroup is
// registered for removal before it is made, so Ctrl-C never leaves it behind.
import { mkdir, readFile, readdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  buildCpuQuotaWrites,
  buildInCgroupArgs,
  buildTapRateArgs,
  CGROUP_PREFIX,
  cgroupProcsFile,
  findCpuCgroupRoot,
  listCgroup2Mounts,
  parseCgroupProcs,
  procsFileSeenFrom,
  type CpuCgroupRoot,
} from '../../core/conditions/qos.ts';
import { UserError } from '../../core/errors.ts';
import { registerUndo } from '../cleanup.ts';
import { runCommand, type CommandSpec } from '../exec.ts';
import { newNetnsName } from '../net.ts';
import { isAlive } from '../process.ts';

const MOUNTS = '/proc/self/mounts';

async function readOr(path: string, fallback: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return fallback;
  }
}

// The hierarchy that has the cpu controller on this host, or null.
export async function locateCpuCgroupRoot(): Promise<CpuCgroupRoot | null> {
  const mounts = await readOr(MOUNTS, '');
  const controllers = new Map<string, string>();
  for (const path of listCgroup2Mounts(mounts)) controllers.set(path, await readOr(join(path, 'cgroup.controllers'), ''));
  return findCpuCgroupRoot(mounts, controllers);
}

export interface QosCgroup {
  path: string;
  version: 1 | 2;
  // QEMU's command, changed so that it starts inside the cgroup
  wrap(spec: CommandSpec): CommandSpec;
  // sets the CPU quota: after the guest booted (a guest throttled while it
  // boots fails the kernel's timer checks under TCG: "IO-APIC + timer doesn't work")
  applyQuota(): Promise<void>;
  // kills what is still inside and removes the cgroup (idempotent)
  remove(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// Kills every process still in the cgroup (by pid) and removes it; a cgroup already gone is fine.
export async function removeCgroup(path: string, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    let procs: number[];
    try {
      procs = parseCgroupProcs(await readFile(cgroupProcsFile(path), 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const pid of procs) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    try {
      await rmdir(path);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      // EBUSY: a killed process has not left yet
      if (code !== 'EBUSY' || performance.now() > deadline) {
        throw new Error(`could not remove cgroup ${path}: ${(error as Error).message}${procs.length ? ` (pids ${procs.filter(isAlive).join(', ')} still in it)` : ''}`);
      }
    }
    await sleep(20);
  }
}

// Makes a cgroup for one QEMU process; applyQuota() caps it at `cpuQuotaPercent` of one CPU.
export async function createQosCgroup(cpuQuotaPercent: number): Promise<QosCgroup> {
  const root = await locateCpuCgroupRoot();
  if (root === null) {
    throw new UserError(
      'conditions.qos.cpuQuotaPercent needs the cgroup cpu controller, but no mounted cgroup hierarchy (v2 or v1) has it',
      'mount it (cgroup v2: echo +cpu > /sys/fs/cgroup/cgroup.subtree_control; v1: mount -t cgroup -o cpu cgroup /sys/fs/cgroup/cpu), or drop conditions.qos.cpuQuotaPercent from the profile',
    );
  }
  const path = join(root.path, newNetnsName());
  // registered before mkdir: a Ctrl-C right after it still removes the cgroup
  const remove = registerUndo(`cgroup ${path}`, () => removeCgroup(path));
  try {
    if (root.version === 2) {
      // the controller must be handed down to the root's children (no-op when it already is)
      await writeFile(join(root.path, 'cgroup.subtree_control'), '+cpu').catch(() => {});
    }
    await mkdir(path);
  } catch (error) {
    await remove();
    throw new UserError(
      `could not set up a cgroup with a CPU quota at ${path}: ${(error as Error).message}`,
      'creating cgroups needs root; `kbisect doctor` checks this',
    );
  }
  const procs = procsFileSeenFrom(process.pid, cgroupProcsFile(path));
  return {
    path,
    version: root.version,
    wrap: (spec) => ({ ...spec, ...buildInCgroupArgs(procs, spec.file, spec.args) }),
    applyQuota: async () => {
      for (const w of buildCpuQuotaWrites(root.version, cpuQuotaPercent)) await writeFile(join(path, w.file), w.value);
    },
    remove,
  };
}

// Every cgroup kbisect made, in whichever hierarchy holds the cpu controller.
export async function listKbisectCgroups(): Promise<string[]> {
  const root = await locateCpuCgroupRoot();
  if (root === null) return [];
  try {
    return (await readdir(root.path, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && e.name.startsWith(CGROUP_PREFIX))
      .map((e) => join(root.path, e.name))
      .sort();
  } catch {
    return [];
  }
}

// A token bucket on the guest's tap (what the guest receives), inside the namespace.
export async function limitTapRate(ns: string, tap: string, rateMbit: number): Promise<void> {
  await runCommand({ file: 'tc', args: buildTapRateArgs(ns, tap, rateMbit), timeoutMs: 10_000 }, { hint: 'tc comes with iproute2; the qdisc needs the sch_tbf module (modprobe sch_tbf)' });
}
