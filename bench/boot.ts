// `npm run bench:boot`: what a boot costs and how noisy the numbers are, on
// this host, with a real guest kernel: guest image build time (cold/cached),
// boot-to-ready (QEMU start → netserver listening in the guest) over ≥ 10
// boots, overhead per boot beyond the netperf time, and for each shipped
// profile the within-boot and boot-to-boot CV (5 boots × 5 runs; short runs
// so that the whole bench takes a few minutes). Results are not stored.
//
// Then, beside a build: the demo profile's boot-to-boot and within-boot CV
// with nothing else running, beside a build loop as --jobs 2 ran it, and as
// it runs now (nice 19, on the CPUs the guest does not get), see
// bench/boot-beside-build.ts.
//
//   npm run bench:boot -- [--kernel bzImage] [--duration 1] [--boots 5] [--runs 5] [--ready-boots 12]
//     [--beside-repo DIR] [--beside-revs A,B] [--beside-boots 8] [--beside-only] [--json]
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCleanups } from '../src/adapters/cleanup.ts';
import { killAllChildren } from '../src/adapters/exec.ts';
import { buildGuestImage } from '../src/adapters/guest/image.ts';
import { vhostNetUsable } from '../src/adapters/qemu.ts';
import { kernelFromImage, measureKernel, type MeasureResult } from '../src/app/measure.ts';
import { builtinProfiles, loadProfile } from '../src/app/profiles.ts';
import { formatTable } from '../src/cli/output.ts';
import { summarizeBoots } from '../src/core/measure/summary.ts';
import type { Profile } from '../src/core/profile/index.ts';
import { median, quantile } from '../src/core/stats/descriptive.ts';
import { measureBesideBuild } from './boot-beside-build.ts';

const { values: opts } = parseArgs({
  options: {
    kernel: { type: 'string' },
    duration: { type: 'string', default: '1' },
    boots: { type: 'string', default: '5' },
    runs: { type: 'string', default: '5' },
    'ready-boots': { type: 'string', default: '12' },
    // the "beside a build" section: a kernel tree to build in a loop (default: the demo's, when it exists)
    'beside-repo': { type: 'string', default: '/var/cache/kbisect-fixtures/demo' },
    'beside-revs': { type: 'string', default: 'HEAD~1,HEAD' },
    'beside-boots': { type: 'string', default: '8' },
    'beside-only': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const durationS = Number(opts.duration);
const boots = Number(opts.boots);
const runs = Number(opts.runs);
const readyBoots = Number(opts['ready-boots']);

function log(text: string): void {
  process.stderr.write(`${text}\n`);
}

function withPlan(p: Profile, runsPerBoot: number, warmupRuns: number): Profile {
  return { ...p, tests: p.tests.map((t) => ({ ...t, durationS })), sampling: { ...p.sampling, runsPerBoot, warmupRuns } };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function pct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : 'n/a';
}

function okBoots(r: MeasureResult) {
  return r.boots.flatMap((b) => (b.kind === 'ok' ? [b] : []));
}

// The guest kernel the tests build (test/fixtures/guest-kernel.ts: Linux 6.1,
// tinyconfig + the guest fragment), unless --kernel or KBISECT_TEST_KERNEL says otherwise.
const FIXTURE_KERNELS = '/var/cache/kbisect-fixtures/guest-kernel-cache/kernels';

function findKernel(): string | null {
  const given = opts.kernel ?? process.env.KBISECT_TEST_KERNEL;
  if (given !== undefined) return existsSync(given) ? given : null;
  if (!existsSync(FIXTURE_KERNELS)) return null;
  const found = readdirSync(FIXTURE_KERNELS)
    .map((d) => join(FIXTURE_KERNELS, d, 'bzImage'))
    .filter((f) => existsSync(f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return found[0] ?? null;
}


// Section 4: the demo profile beside a build loop (bench/boot-beside-build.ts); null without a tree to build.
async function besideSection(kernel: Awaited<ReturnType<typeof kernelFromImage>>): Promise<{ text: string; json: unknown } | null> {
  const repo = opts['beside-repo'];
  if (!existsSync(join(repo, '.git'))) {
    log(`beside a build: skipped, no kernel tree at ${repo} (npm run demo makes one, or --beside-repo DIR)`);
    return null;
  }
  const profile = (await loadProfile('demo-guest-tx')).profile;
  const plan = withPlan(profile, runs, profile.sampling.warmupRuns);
  const bootsEach = Number(opts['beside-boots']);
  const [a, b] = opts['beside-revs'].split(',');
  if (a === undefined || b === undefined) throw new Error(`--beside-revs: expected two revisions A,B, got ${opts['beside-revs']}`);
  const revs: [string, string] = [a, b];
  const { rows, partition } = await measureBesideBuild({ kernel, profile: plan, repo, revs, bootsPerCondition: bootsEach, seed: 1, log });
  const split = partition ? `build on CPU ${partition.build.join(',')}, guest on CPU ${partition.guest.join(',')}` : 'one CPU: nice only';
  const text = [
    `demo-guest-tx beside a build loop (${repo} ${revs.join(' ⇄ ')}): ${bootsEach} boots per condition × ${runs} runs of ${durationS} s, randomized blocks; ${split}`,
    formatTable([
      ['condition', 'median', 'within-boot CV', 'boot-to-boot CV', 'vs quiet', 'builds', 'build median'],
      ...rows.map((r) => [
        r.condition,
        `${r.median.toFixed(0)} ${r.unit}`,
        pct(r.withinBootCv),
        pct(r.bootToBootCv),
        pct(r.median / (rows[0]?.median ?? Number.NaN) - 1),
        String(r.builds),
        r.buildMedianMs === null ? '-' : seconds(r.buildMedianMs),
      ]),
    ]),
  ].join('\n');
  return { text, json: { repo, bootsPerCondition: bootsEach, partition, rows } };
}

async function main(): Promise<void> {
  const image = findKernel();
  if (image === null) {
    log(
      `bench:boot: no guest kernel${opts.kernel ? ` at ${opts.kernel}` : ` under ${FIXTURE_KERNELS}`}; ` +
        'run `npm test` once (it builds the fixture kernel there), or pass --kernel bzImage (or KBISECT_TEST_KERNEL)',
    );
    process.exitCode = 2;
    return;
  }
  const kernel = await kernelFromImage(image);
  if (opts['beside-only']) {
    const beside = await besideSection(kernel);
    process.stdout.write(opts.json ? `${JSON.stringify({ beside: beside?.json ?? null }, null, 2)}\n` : `${beside?.text ?? 'beside a build: skipped'}\n`);
    return;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'kbisect-bench-'));
  try {
    // 1. guest image: cold (empty cache) and cached
    const cold = await buildGuestImage({ cacheDir: scratch, compression: 'none' });
    const cached: number[] = [];
    for (let i = 0; i < 5; i++) cached.push((await buildGuestImage({ cacheDir: scratch, compression: 'none' })).buildMs);
    const coldGzip = await buildGuestImage({ cacheDir: scratch, compression: 'gzip' });
    log(`guest image: cold ${cold.buildMs.toFixed(0)} ms (${(cold.bytes / 1048576).toFixed(1)} MiB), cached ${median(cached).toFixed(0)} ms`);

    // 2. boot-to-ready and overhead: host-to-guest, one short run per boot
    const base = (await loadProfile('tcp-stream-host-to-guest')).profile;
    log(`boot-to-ready: ${readyBoots} boots...`);
    const ready = await measureKernel({
      kernel,
      profile: withPlan(base, 1, 0),
      boots: readyBoots,
      resultsPath: null,
      onProgress: (e) => e.kind === 'boot-done' && log(`  boot ${e.outcome.bootIndex + 1}: ${e.outcome.kind === 'ok' ? `ready ${seconds(e.outcome.readyMs)}, overhead ${seconds(e.outcome.timings.overheadMs)}` : e.outcome.reason}`),
    });
    const readyMs = okBoots(ready).map((b) => b.readyMs);
    const overheadMs = okBoots(ready).map((b) => b.timings.overheadMs);
    // 2b. what a measurement costs around its boots (fingerprint, namespace, netserver, teardown):
    // the bisection measures one boot per call while it interleaves commits
    const setupMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const one = await measureKernel({ kernel, profile: withPlan(base, 1, 0), boots: 1, resultsPath: null });
      const wall = performance.now() - t0;
      const b = okBoots(one)[0];
      if (b) setupMs.push(wall - b.timings.totalMs);
    }
    log(`setup + teardown around one boot: ${setupMs.map((v) => seconds(v)).join(', ')}`);
    const uptime = okBoots(ready).flatMap((b) => (b.timings.guestUptimeAtReadyS === null ? [] : [b.timings.guestUptimeAtReadyS * 1000]));

    // 3. noise per shipped profile
    const canVhost = await vhostNetUsable();
    const rows: string[][] = [];
    const json: Record<string, unknown>[] = [];
    for (const name of Object.keys(builtinProfiles)) {
      const p = (await loadProfile(name)).profile;
      if (p.nic.vhost && !canVhost) {
        rows.push([name, p.tests[0]?.type ?? '', 'skipped: /dev/vhost-net absent (modprobe vhost_net)', '', '', '', '', '', '']);
        json.push({ profile: name, skipped: '/dev/vhost-net absent' });
        continue;
      }
      log(`${name}: ${boots} boots × ${runs} runs of ${durationS} s...`);
      const r = await measureKernel({
        kernel,
        profile: withPlan(p, runs, p.sampling.warmupRuns),
        boots,
        resultsPath: null,
        onProgress: (e) =>
          e.kind === 'boot-done' &&
          e.outcome.kind === 'boot-failed' &&
          log(`  boot ${e.outcome.bootIndex + 1} failed: ${e.outcome.reason}\n${e.outcome.consoleTail.replace(/^/gm, '    | ')}`),
      });
      const ok = okBoots(r);
      for (const s of summarizeBoots(r.boots)) {
        const row = {
          profile: name,
          test: `${s.test}`,
          median: s.median,
          unit: s.unit,
          withinBootCv: s.withinBootCv,
          bootToBootCv: s.bootToBootCv,
          cv: s.cv,
          bootsOk: `${ok.length}/${r.boots.length}`,
          readyMedianMs: median(ok.map((b) => b.readyMs)),
          overheadMedianMs: median(ok.map((b) => b.timings.overheadMs)),
        };
        json.push(row);
        rows.push([
          name,
          s.test,
          `${s.median.toFixed(s.median >= 100 ? 0 : 2)} ${s.unit}`,
          pct(s.withinBootCv),
          pct(s.bootToBootCv),
          pct(s.cv),
          row.bootsOk,
          seconds(row.readyMedianMs),
          seconds(row.overheadMedianMs),
        ]);
      }
    }

    // 4. beside a build
    const beside = await besideSection(kernel);

    const accel = ready.accel.toUpperCase();
    const head = `kbisect boot bench: ${accel}, ${ready.hostFingerprint.cpuModel} (${ready.hostFingerprint.cpuCount} CPUs), ${ready.hostFingerprint.qemuVersion}, kernel ${ready.kernel.pvh ? 'vmlinux (PVH)' : 'bzImage'}`;
    const summary = [
      ['guest image build', `cold ${cold.buildMs.toFixed(0)} ms (gzip ${coldGzip.buildMs.toFixed(0)} ms)`, `cached ${median(cached).toFixed(0)} ms`, 'target ≤ 500 ms, free when cached'],
      [
        `boot-to-ready (n=${readyMs.length})`,
        `median ${seconds(median(readyMs))}`,
        `p90 ${seconds(quantile(readyMs, 0.9))}`,
        `target ≤ 0.8 s; guest uptime at ready median ${seconds(median(uptime))}`,
      ],
      [`overhead per boot (n=${overheadMs.length})`, `median ${seconds(median(overheadMs))}`, `p90 ${seconds(quantile(overheadMs, 0.9))}`, 'target ≤ 1.5 s (beyond netperf time)'],
      [`around a one-boot measurement (n=${setupMs.length})`, `median ${seconds(median(setupMs))}`, `max ${seconds(Math.max(...setupMs))}`, 'fingerprint, namespace, netserver, teardown: once per measure call'],
    ];
    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify(
          {
            host: ready.hostFingerprint,
            pvh: ready.kernel.pvh,
            image: { coldMs: cold.buildMs, coldGzipMs: coldGzip.buildMs, cachedMs: median(cached), bytes: cold.bytes },
            ready: { n: readyMs.length, medianMs: median(readyMs), p90Ms: quantile(readyMs, 0.9), samplesMs: readyMs },
            overhead: { n: overheadMs.length, medianMs: median(overheadMs), p90Ms: quantile(overheadMs, 0.9) },
            setup: { n: setupMs.length, medianMs: median(setupMs), samplesMs: setupMs },
            profiles: json,
            beside: beside?.json ?? null,
            plan: { boots, runs, durationS },
          },
          null,
          2,
        )}\n`,
      );
      return;
    }
    process.stdout.write(
      [
        head,
        '',
        formatTable(summary),
        '',
        `noise per profile: ${boots} boots × ${runs} runs of ${durationS} s (+ warm-up), ${accel}`,
        formatTable([['profile', 'test', 'median', 'within-boot CV', 'boot-to-boot CV', 'CV', 'boots ok', 'ready', 'overhead'], ...rows]),
        '',
        ...(beside ? [beside.text, ''] : []),
      ].join('\n'),
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

// Ctrl-C: stop QEMU and netserver, remove the namespace, like the CLI does
process.on('SIGINT', () => {
  void killAllChildren()
    .then(() => runCleanups())
    .finally(() => process.exit(130));
});

await main();
