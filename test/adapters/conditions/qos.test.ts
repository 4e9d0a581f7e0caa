// The QoS cgroup on this host's real cgroup hierarchy (v1 cpu here, v2 where it has cpu).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createQosCgroup, listKbisectCgroups, locateCpuCgroupRoot, removeCgroup } from '../../../src/adapters/conditions/qos.ts';
import { runCleanups } from '../../../src/adapters/cleanup.ts';
import { startCommand } from '../../../src/adapters/exec.ts';
import { isAlive } from '../../../src/adapters/process.ts';

const root = await locateCpuCgroupRoot();
const made: string[] = [];
afterEach(async () => {
  for (const path of made.splice(0)) await removeCgroup(path);
});

function cpuCgroupOf(pid: number): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const line = lines.find((l) => /^\d+:[^:]*\bcpu\b[^:]*:/.test(l)) ?? lines.find((l) => l.startsWith('0::')) ?? '';
  return line.slice(line.lastIndexOf(':') + 1);
}

describe.runIf(root !== null && process.getuid?.() === 0)('qos cgroup', () => {
  it('is named after this process, starts the command inside, takes the quota, and is removed with what is left in it', async () => {
    const cg = await createQosCgroup(25);
    made.push(cg.path);
    expect(cg.path.startsWith(`${root!.path}/kbisect-${process.pid}-`)).toBe(true);
    expect(await listKbisectCgroups()).toContain(cg.path);
    const child = startCommand(cg.wrap({ file: 'sleep', args: ['30'] }));
    const pid = child.pid!;
    // the wrapper wrote its pid, then became sleep
    for (let i = 0; i < 100 && !readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(cpuCgroupOf(pid)).toBe(`/${cg.path.slice(root!.path.length + 1)}`);
    await cg.applyQuota();
    if (cg.version === 1) expect(readFileSync(join(cg.path, 'cpu.cfs_quota_us'), 'utf8').trim()).toBe('25000');
    else expect(readFileSync(join(cg.path, 'cpu.max'), 'utf8').trim()).toBe('25000 100000');
    await cg.remove();
    expect(existsSync(cg.path)).toBe(false);
    await child.done;
    expect(isAlive(pid)).toBe(false);
    await cg.remove(); // idempotent
  });

  it('is registered for cleanup as soon as it exists (Ctrl-C path)', async () => {
    const cg = await createQosCgroup(50);
    made.push(cg.path);
    expect(existsSync(cg.path)).toBe(true);
    await runCleanups();
    expect(existsSync(cg.path)).toBe(false);
  });
});
