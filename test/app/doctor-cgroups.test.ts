// `doctor --cleanup` and qos cgroups, on this host's real hierarchy: a cgroup
// of a dead owner (kill -9, no cleanup ran) is removed, one of a live run is kept.
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { locateCpuCgroupRoot } from '../../src/adapters/conditions/qos.ts';
import { isAlive } from '../../src/adapters/process.ts';
import { cleanupLeftovers } from '../../src/app/doctor.ts';

const root = await locateCpuCgroupRoot();
const made: string[] = [];
afterEach(() => {
  for (const p of made.splice(0)) if (existsSync(p)) rmdirSync(p);
});

// a pid that is not running (pid_max is far above what this host has used)
function deadPid(): number {
  for (let pid = 4_000_000; ; pid--) if (!isAlive(pid)) return pid;
}

describe.runIf(root !== null && process.getuid?.() === 0)('doctor --cleanup and qos cgroups', () => {
  it('removes the cgroup of a dead owner and keeps this process\'s own', async () => {
    const dead = join(root!.path, `kbisect-${deadPid()}-c0ffee`);
    const mine = join(root!.path, `kbisect-${process.pid}-c0ffee`);
    for (const p of [dead, mine]) {
      mkdirSync(p);
      made.push(p);
    }
    const report = await cleanupLeftovers();
    expect(report.removedCgroups).toContainEqual({ name: dead, why: expect.stringMatching(/^owner pid \d+ is gone$/) });
    expect(report.kept).toContainEqual({ name: mine, why: 'belongs to this kbisect process' });
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(mine)).toBe(true);
  });
});
