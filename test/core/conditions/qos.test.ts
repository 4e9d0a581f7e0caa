import { describe, expect, it } from 'vitest';
import { runCommand } from '../../../src/adapters/exec.ts';
import {
  buildCpuQuotaWrites,
  buildInCgroupArgs,
  buildTapRateArgs,
  cgroupProcsFile,
  findCpuCgroupRoot,
  listCgroup2Mounts,
  parseCgroupProcs,
  procsFileSeenFrom,
} from '../../../src/core/conditions/qos.ts';
import { useTempDir } from '../../helpers/temp-dir.ts';

const tmp = useTempDir('qos');

// /proc/self/mounts of this lab's hosts (Debian 12 container: cgroup v1 controllers, a cgroup2 with hugetlb only)
const V1_HOST = `tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0
cgroup /sys/fs/cgroup/cpuacct cgroup rw,relatime,cpuacct 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0
`;
// a systemd host with the unified hierarchy only
const V2_HOST = `sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot 0 0
`;
// older distributions: cpu and cpuacct co-mounted
const V1_COMOUNTED = 'cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct 0 0\n';

describe('finding the cpu controller', () => {
  it.each([
    ['v1 host whose cgroup2 lacks cpu', V1_HOST, new Map([['/sys/fs/cgroup/unified', 'hugetlb\n']]), { version: 1, path: '/sys/fs/cgroup/cpu' }],
    ['v2 host', V2_HOST, new Map([['/sys/fs/cgroup', 'cpuset cpu io memory pids\n']]), { version: 2, path: '/sys/fs/cgroup' }],
    ['v1 co-mounted cpu,cpuacct', V1_COMOUNTED, new Map<string, string>(), { version: 1, path: '/sys/fs/cgroup/cpu,cpuacct' }],
    ['v2 wins over v1 when it has cpu', V1_HOST, new Map([['/sys/fs/cgroup/unified', 'cpu memory\n']]), { version: 2, path: '/sys/fs/cgroup/unified' }],
    ['no cpu anywhere', V2_HOST, new Map([['/sys/fs/cgroup', 'memory pids\n']]), null],
  ])('%s', (_what, mounts, controllers, expected) => {
    expect(findCpuCgroupRoot(mounts, controllers)).toEqual(expected);
  });

  it('lists the cgroup2 mounts to read controllers of', () => {
    expect(listCgroup2Mounts(V1_HOST)).toEqual(['/sys/fs/cgroup/unified']);
    expect(listCgroup2Mounts(V2_HOST)).toEqual(['/sys/fs/cgroup']);
  });
});

describe('quota files', () => {
  it.each([
    [2, 25, [{ file: 'cpu.max', value: '25000 100000' }]],
    [1, 25, [{ file: 'cpu.cfs_period_us', value: '100000' }, { file: 'cpu.cfs_quota_us', value: '25000' }]],
    [1, 150, [{ file: 'cpu.cfs_period_us', value: '100000' }, { file: 'cpu.cfs_quota_us', value: '150000' }]],
  ] as const)('v%i at %i%%', (version, percent, expected) => {
    expect(buildCpuQuotaWrites(version, percent)).toEqual(expected);
  });

  it('refuses a quota below 1%', () => {
    expect(() => buildCpuQuotaWrites(1, 0)).toThrow(/≥ 1, got 0/);
  });

  it('reads cgroup.procs', () => {
    expect(parseCgroupProcs('123\n4567\n\n')).toEqual([123, 4567]);
    expect(parseCgroupProcs('')).toEqual([]);
    expect(cgroupProcsFile('/sys/fs/cgroup/cpu/kbisect-1-ab')).toBe('/sys/fs/cgroup/cpu/kbisect-1-ab/cgroup.procs');
    expect(procsFileSeenFrom(42, '/sys/fs/cgroup/cpu/kbisect-1-ab/cgroup.procs')).toBe('/proc/42/root/sys/fs/cgroup/cpu/kbisect-1-ab/cgroup.procs');
  });
});

describe('starting a command inside the cgroup', () => {
  it('builds the wrapper', () => {
    expect(buildInCgroupArgs('/cg/cgroup.procs', 'qemu-system-x86_64', ['-m', '256'])).toEqual({
      file: 'sh',
      args: ['-c', 'echo $$ > "$0" && exec "$@"', '/cg/cgroup.procs', 'qemu-system-x86_64', '-m', '256'],
    });
  });

  it('writes its own pid, then becomes the command (same pid), also through a path with spaces', async () => {
    const procs = `${tmp.path}/a dir/cgroup.procs`;
    await runCommand({ file: 'mkdir', args: ['-p', `${tmp.path}/a dir`], timeoutMs: 5000 });
    const spec = buildInCgroupArgs(procs, 'sh', ['-c', 'echo $$']);
    const r = await runCommand({ ...spec, timeoutMs: 5000 });
    const written = (await runCommand({ file: 'cat', args: [procs], timeoutMs: 5000 })).stdout.trim();
    expect(written).toMatch(/^\d+$/);
    expect(r.stdout.trim()).toBe(written);
  });

  it('does not start the command when the pid cannot be written', async () => {
    const r = await runCommand({ ...buildInCgroupArgs(`${tmp.path}/missing/cgroup.procs`, 'echo', ['started']), timeoutMs: 5000 }, { reject: false });
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).not.toContain('started');
  });
});

describe('tap rate limit', () => {
  it.each([
    [10, '32768'],
    [100, '125000'],
    [1000, '1250000'],
  ])('%i Mbit/s: tbf with a 10 ms burst (≥ 32 KiB)', (rate, burst) => {
    expect(buildTapRateArgs('kbisect-1-ab', 'ktap0', rate)).toEqual(['-n', 'kbisect-1-ab', 'qdisc', 'replace', 'dev', 'ktap0', 'root', 'tbf', 'rate', `${rate}mbit`, 'burst', burst, 'latency', '50ms']);
  });
});
