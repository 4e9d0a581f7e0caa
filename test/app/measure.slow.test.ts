// Real guests: a real kernel booted under QEMU (accel auto: TCG on hosts
// where KVM cannot run it) in a private namespace, real netperf, per topology;
// panics and hangs reported as boot failures; nothing left behind.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureGuestKernel } from '../fixtures/guest-kernel.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { probeBoot } from '../../src/app/accel.ts';
import { chooseKernelImage, kernelFromImage } from '../../src/adapters/kernel-image.ts';
import { measureKernel, type MeasureKernel } from '../../src/app/measure.ts';
import { loadProfile } from '../../src/app/profiles.ts';
import { buildGuestImage } from '../../src/adapters/guest/image.ts';
import { listKbisectNetns } from '../../src/adapters/net.ts';
import { UserError } from '../../src/core/errors.ts';
import { defaultHostConfig } from '../../src/core/host-config.ts';
import type { Profile } from '../../src/core/profile/index.ts';
import { measureAgainOnTxStall } from '../helpers/tx-stall.ts';

const KERNEL = await ensureGuestKernel();
const haveKernel = existsSync(KERNEL);
if (!haveKernel) throw new Error(`no guest kernel at ${KERNEL}`);

let dir: string;
let kernel: MeasureKernel;
const saved = { cache: process.env.KBISECT_CACHE_DIR, data: process.env.KBISECT_DATA_DIR, config: process.env.KBISECT_CONFIG_DIR };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kbisect-measure-test-'));
  process.env.KBISECT_CACHE_DIR = join(dir, 'cache');
  process.env.KBISECT_DATA_DIR = join(dir, 'data');
  process.env.KBISECT_CONFIG_DIR = join(dir, 'config');
  if (haveKernel) kernel = await kernelFromImage(KERNEL);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const [key, value] of [['KBISECT_CACHE_DIR', saved.cache], ['KBISECT_DATA_DIR', saved.data], ['KBISECT_CONFIG_DIR', saved.config]] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

// QEMU processes this test process started (children: ip netns exec execs QEMU in place).
function ourQemuPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && stat.includes('(qemu-system-x86')) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

afterEach(async () => {
  // nothing of ours is left: no namespace (so no bridge, no tap), no QEMU, no netserver
  expect((await listKbisectNetns()).filter((ns) => ns.startsWith(`kbisect-${process.pid}-`))).toEqual([]);
  expect(ourQemuPids()).toEqual([]);
  expect(readdirSync(tmpdir()).filter((n) => n.startsWith(`kbisect-${process.pid}-`))).toEqual([]);
});

// A built-in profile with short runs, so that each test takes seconds.
async function shortProfile(name: string, change: (p: Profile) => Profile = (p) => p): Promise<Profile> {
  const { profile } = await loadProfile(name);
  return change({
    ...profile,
    tests: profile.tests.map((t) => ({ ...t, durationS: 1 })),
    sampling: { ...profile.sampling, runsPerBoot: 2, warmupRuns: 1 },
  });
}

// measureKernel, once more if the only failure was a guest TX stall (test/helpers/tx-stall.ts)
function measureOnce(what: string, opts: Parameters<typeof measureKernel>[0]): ReturnType<typeof measureKernel> {
  return measureAgainOnTxStall(what, () => measureKernel(opts), (r) => r.boots.flatMap((b) => (b.kind === 'boot-failed' ? [b.reason] : [])));
}

describe.runIf(haveKernel)('measureKernel with real guests', () => {
  it('the kernel unpacks the initramfs kbisect wrote (gzip and plain) and runs its /init, as vmlinux (PVH) and bzImage', async () => {
    const chosen = await chooseKernelImage(kernel);
    for (const compression of ['none', 'gzip'] as const) {
      const image = await buildGuestImage({ cacheDir: join(dir, 'cache'), compression });
      const boot = await probeBoot('tcg', { kernelImage: chosen.image, initrd: image.path, kernelKey: kernel.imageHash }, 30_000);
      expect(boot, compression).toMatchObject({ ready: true });
    }
    // the bzImage path (decompressor, no PVH) boots too
    const image = await buildGuestImage({ cacheDir: join(dir, 'cache'), compression: 'none' });
    expect(await probeBoot('tcg', { kernelImage: kernel.bzImage, initrd: image.path, kernelKey: kernel.imageHash }, 30_000)).toMatchObject({ ready: true });
  });

  it('guest → host: TCP_STREAM from the guest to netserver in the namespace (accel auto)', async () => {
    const events: string[] = [];
    const r = await measureOnce('guest → host', { kernel, profile: await shortProfile('tcp-stream-guest-to-host'), boots: 1, onProgress: (e) => events.push(e.kind) });
    expect(r.accel).toBe(existsSync('/dev/kvm') ? r.accel : 'tcg');
    expect(r.kernel.pvh).toBe(true);
    const [boot] = r.boots;
    expect(boot?.kind, boot?.kind === 'boot-failed' ? `${boot.reason}\n${boot.consoleTail}` : '').toBe('ok');
    if (boot?.kind !== 'ok') return;
    const [stream] = boot.tests;
    expect(stream).toMatchObject({ test: 'stream', type: 'TCP_STREAM', metric: 'throughput', unit: 'Mbit/s' });
    expect(stream?.runs).toHaveLength(2);
    expect(stream?.warmup).toHaveLength(1);
    for (const v of stream?.runs ?? []) expect(v).toBeGreaterThan(10);
    expect(boot.timings.readyMs).toBeGreaterThan(100);
    expect(boot.timings.readyMs).toBeLessThan(20_000);
    expect(boot.timings.netperfMs).toBeGreaterThanOrEqual(2900);
    expect(events).toEqual(expect.arrayContaining(['guest-image', 'accel', 'boot-start', 'ready', 'run', 'boot-done']));
    // appended to the results store, keyed by image, profile and host
    const lines = readFileSync(join(dir, 'data', 'measurements.jsonl'), 'utf8').trim().split('\n');
    const stored = JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown>;
    expect(stored).toMatchObject({
      type: 'boot',
      key: { imageHash: kernel.imageHash, profileHash: r.profileHash, hostId: r.hostFingerprint.id },
      outcome: { kind: 'ok', bootIndex: 0 },
    });
    expect(String(stored.kernelCmdline)).toContain('kbisect.role=client');
  });

  it('host → guest: TCP_STREAM from the host side into the guest, and a TCP_RR with pinned vCPUs (QMP)', async () => {
    const r = await measureOnce('host → guest', { kernel, profile: await shortProfile('tcp-stream-host-to-guest'), boots: 1, resultsPath: null });
    const [boot] = r.boots;
    expect(boot?.kind, boot?.kind === 'boot-failed' ? `${boot.reason}\n${boot.consoleTail}` : '').toBe('ok');
    if (boot?.kind === 'ok') for (const v of boot.tests[0]?.runs ?? []) expect(v).toBeGreaterThan(10);
    expect(r.resultsPath).toBeNull();

    const pinned = await measureOnce('pinned TCP_RR', {
      kernel,
      profile: await shortProfile('tcp-rr', (p) => ({ ...p, guest: { ...p.guest, pinning: [0] } })),
      boots: 1,
      resultsPath: null,
    });
    const [rr] = pinned.boots;
    expect(rr?.kind, rr?.kind === 'boot-failed' ? rr.reason : '').toBe('ok');
    if (rr?.kind === 'ok') {
      expect(rr.tests[0]?.unit).toBe('trans/s');
      for (const v of rr.tests[0]?.runs ?? []) expect(v).toBeGreaterThan(50);
    }
  });

  it('guest ↔ guest: two VMs on one bridge', async () => {
    const r = await measureOnce('guest ↔ guest', { kernel, profile: await shortProfile('tcp-stream-guest-to-guest'), boots: 1, resultsPath: null });
    const [boot] = r.boots;
    expect(boot?.kind, boot?.kind === 'boot-failed' ? `${boot.reason}\n${boot.consoleTail}` : '').toBe('ok');
    if (boot?.kind === 'ok') for (const v of boot.tests[0]?.runs ?? []) expect(v).toBeGreaterThan(10);
  });

  it('a boot that panics is a boot failure, reported at once with the console', async () => {
    const started = performance.now();
    // init exits at once: "Attempted to kill init!"
    const profile = await shortProfile('tcp-rr', (p) => ({ ...p, guest: { ...p.guest, cmdline: 'rdinit=/bin/false' } }));
    const r = await measureKernel({ kernel, profile, boots: 1, resultsPath: null, accel: 'tcg' });
    expect(r.boots).toEqual([
      expect.objectContaining({ kind: 'boot-failed', phase: 'boot', reason: expect.stringMatching(/^kernel panic: Kernel panic - not syncing: Attempted to kill init!/) as unknown }),
    ]);
    expect(r.boots[0]?.kind === 'boot-failed' && r.boots[0].consoleTail).toContain('Kernel panic');
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it('a boot that hangs is a boot failure after the boot timeout', async () => {
    const started = performance.now();
    // init waits forever on the console: no ready marker
    const profile = await shortProfile('tcp-rr', (p) => ({ ...p, guest: { ...p.guest, cmdline: 'rdinit=/bin/cat' } }));
    const r = await measureKernel({ kernel, profile, boots: 2, resultsPath: null, accel: 'tcg', hostConfig: { ...defaultHostConfig, bootTimeoutS: 5 } });
    // the reason states the time waited, which a loaded host may round to 4.9 s
    expect(r.boots.map((b) => (b.kind === 'boot-failed' ? b.reason : b.kind))).toEqual([expect.stringMatching(/^no ready marker within (4\.9|5\.\d) s \(hung\?\)$/), expect.stringMatching(/^no ready marker within (4\.9|5\.\d) s \(hung\?\)$/)]);
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it.runIf(!existsSync('/dev/vhost-net'))('refuses vhost on without /dev/vhost-net, naming the fix, before starting QEMU', async () => {
    const profile = await shortProfile('tcp-stream-host-to-guest-vhost');
    const error = await measureKernel({ kernel, profile, boots: 1, resultsPath: null }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain('/dev/vhost-net');
    expect((error as UserError).hint).toContain('modprobe vhost_net');
  });
});
