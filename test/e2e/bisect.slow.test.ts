// The product, end to end and for real: a Linux 6.1 range with an injected
// virtio-net transmit delay, real kernel builds, real QEMU boots, real netperf,
// bisected by the built CLI. Also: kill -9 in the middle and resume, a range
// with no regression, and a commit that does not build.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { countKbisectLeftovers } from '../helpers/leftovers.ts';
import { isTxStall } from '../helpers/tx-stall.ts';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'kbisect.mjs');
const profile = join(root, 'profiles', 'demo-guest-tx.yaml');
// the demo's profile (npm run demo): demo-guest-tx with sampling.adaptive, so the main job's path runs here too
const adaptiveProfile = join(root, 'profiles', 'demo-guest-tx-adaptive.yaml');
const fixtures = process.env.KBISECT_FIXTURES ?? '/var/cache/kbisect-fixtures';
const repoDir = join(fixtures, 'e2e-repo');
// kernels and ccache persist between runs (the first clean build is the slow part);
// measurements and bisection state are fresh each time
const env = {
  ...process.env,
  KBISECT_CACHE_DIR: process.env.KBISECT_CACHE_DIR ?? join(fixtures, 'e2e-cache'),
  KBISECT_DATA_DIR: mkdtempSync('/tmp/kbisect-e2e-data-'),
};

interface Series {
  repo: string;
  good: string;
  bad: string;
  culprit: string;
  broken: string;
  commits: { sha: string; subject: string }[];
}
let series: Series;

function kbisect(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, '-C', series.repo, ...args], { encoding: 'utf8', env, timeout: 60 * 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function eventLines(): string[] {
  const file = join(series.repo, '.git', 'kbisect', 'events.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : [];
}

beforeAll(() => {
  // 10 commits: #5 breaks the build, #6 fixes it, #8 adds udelay(50) (about −40% here) per packet in start_xmit
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'make-demo-repo.mjs'), '--out', repoDir, '--commits', '10', '--culprit', '8', '--broken', '5', '--delay-us', '50'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`make-demo-repo failed: ${r.stdout}`);
  series = JSON.parse(r.stdout) as Series;
  kbisect(['reset']);
});

// each test starts its own bisection; a failed one must not leave it behind
afterEach(() => {
  kbisect(['reset']);
});

describe('kbisect on a real kernel range', () => {
  it('finds the injected culprit, survives kill -9 without re-taking samples, and skips the commit that does not build', async () => {
    const start = kbisect(['start', series.good, series.bad, '--profile', adaptiveProfile]);
    expect(start.status, start.stderr).toBe(0);

    // Ctrl-C once it has logged two boots of its own: exit 130, and the boot it
    // cut short is not logged as a failure of that commit (an interruption is
    // no evidence). Boots logged before (a `compare` of the same pair seeds the
    // calibration) do not count: a SIGINT before kbisect's handlers exist kills it.
    // A boot that failed before the Ctrl-C is real evidence and may be logged
    // (under TCG about 1 boot in 150 has a netperf run that never ends; CI met one).
    const bootCount = (): number => eventLines().filter((l) => l.includes('"kind":"boot"')).length;
    const seeded = bootCount();
    const interrupted = spawn(process.execPath, [cli, '-C', series.repo, 'run'], { env, stdio: 'ignore' });
    const loggedAtSigint = await new Promise<number>((resolve, reject) => {
      const timer = setInterval(() => {
        const lines = eventLines();
        if (lines.filter((l) => l.includes('"kind":"boot"')).length >= seeded + 2) {
          clearInterval(timer);
          interrupted.kill('SIGINT');
          resolve(lines.length);
        }
      }, 200);
      interrupted.on('exit', (code) => {
        clearInterval(timer);
        reject(new Error(`kbisect run ended (code ${code}) before it could be interrupted`));
      });
    });
    expect(await new Promise((r) => interrupted.once('exit', r))).toBe(130);
    expect(eventLines().slice(loggedAtSigint).filter((l) => l.includes('"boot-failed"'))).toEqual([]);
    expect(countKbisectLeftovers()).toEqual({ netns: [], qemu: '' });

    // then killed with SIGKILL once a few boots are logged
    const child = spawn(process.execPath, [cli, '-C', series.repo, 'run'], { env, stdio: 'ignore' });
    const killedAfter = await new Promise<number>((resolve, reject) => {
      const timer = setInterval(() => {
        const boots = bootCount();
        if (boots >= seeded + 5) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve(boots);
        }
      }, 200);
      child.on('exit', (code) => {
        clearInterval(timer);
        reject(new Error(`kbisect run ended (code ${code}) before it could be killed`));
      });
    });
    await new Promise((r) => child.once('exit', r));
    const before = eventLines();
    expect(before.filter((l) => l.includes('"kind":"boot"')).length).toBeGreaterThanOrEqual(killedAfter);

    // a crashed run leaves its namespace and maybe its guest: doctor --cleanup removes them
    const cleanup = kbisect(['doctor', '--cleanup', '--json']);
    expect(cleanup.status, cleanup.stderr).toBe(0);

    const resumed = kbisect(['run', '--json']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`resuming: ${before.length} events already logged`));
    const after = eventLines();
    // every event logged before the kill is still there, unchanged, and first
    expect(after.slice(0, before.length)).toEqual(before);
    const result = JSON.parse(resumed.stdout) as {
      outcome: string;
      culprit: { sha: string; subject: string; probability: number } | null;
      change: { ratio: number; ci: [number, number] };
      culpritChange: { ratio: number } | null;
      steps: { commit: string; verdict: string }[];
      boots: number;
      builds: number;
      host: { fingerprint: string; accel: string };
      sampling: { runsPerBoot: number; warmupRuns: number; endpointBoots: [number, number]; reason: string } | null;
    };
    expect(result.outcome).toBe('culprit');
    // sampling.adaptive decided once, in the log, whatever the kills, and the boots after it kept to it
    const decisions = after.filter((l) => l.includes('"kind":"sampling"'));
    expect(decisions).toHaveLength(1);
    expect(result.sampling?.runsPerBoot).toBeGreaterThanOrEqual(1);
    expect(result.sampling?.runsPerBoot).toBeLessThanOrEqual(3);
    const decidedAt = after.indexOf(decisions[0] as string);
    const runsAfter = after.slice(decidedAt + 1).filter((l) => l.includes('"kind":"boot"')).map((l) => (JSON.parse(l) as { event: { runs: number[] } }).event.runs.length);
    expect(new Set(runsAfter)).toEqual(new Set([result.sampling?.runsPerBoot]));
    expect(result.culprit?.sha).toBe(series.culprit);
    // the report names where the guests ran
    expect(result.host.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(result.host.accel).toMatch(/^(kvm|tcg)$/);
    expect(result.culprit?.probability).toBeGreaterThanOrEqual(0.95);
    // throughput went down, by a clearly visible but not absurd amount
    expect(result.change.ratio).toBeLessThan(0.95);
    expect(result.change.ratio).toBeGreaterThan(0.05);
    expect(result.change.ci[1]).toBeLessThan(1);
    // no sample counted twice: the engine's boot count is the log's
    expect(result.boots).toBe(after.filter((l) => l.includes('"kind":"boot"')).length);
    // the commit that breaks the build was visited and skipped, not measured
    expect(after.some((l) => l.includes('"kind":"build-failed"') && l.includes(series.broken))).toBe(true);
    expect(result.steps.find((s) => s.commit === series.broken)?.verdict).toBe('skipped');
    // a bisection, not a walk: ⌈log2 N⌉ steps, the two endpoints and the broken
    // commit, plus two for a wrong intermediate verdict that later boots undo
    // (real TCG noise and drift: bench/sim replays of this range with a drifting
    // host take 8 or 9 builds in about 1% of runs; CI once took 8)
    expect(result.builds, JSON.stringify(result.steps.map((s) => [s.commit.slice(0, 8), s.verdict]))).toBeLessThanOrEqual(Math.ceil(Math.log2(series.commits.length)) + 2 + 1 + 2);

    const html = join(env.KBISECT_DATA_DIR, 'report.html');
    const report = kbisect(['report', '--html', html]);
    expect(report.status).toBe(0);
    expect(report.stdout).toMatch(/first bad commit/);
    expect(report.stdout).toMatch(/sampling\.adaptive: [1-3] runs? a boot/);
    expect(readFileSync(html, 'utf8')).toMatch(/<svg/);

    expect(countKbisectLeftovers()).toEqual({ netns: [], qemu: '' });
  });

  it('says "no confirmed regression" (exit 3) on a range without one', () => {
    // base .. commit 4: documentation and comment changes only
    const bad = series.commits[3]?.sha ?? '';
    // TCG throughput here varies ~10% within a boot and drifts by tens of
    // percent within minutes: "no change" is shown as a GOOD→BAD change inside
    // ±25%, the smallest change this test cares about (the injected one is
    // about −40%). Replayed on one run's log here, ±15% was still undecided
    // after 91 boots (15 min) without drift tracking and took 64 with it;
    // ±25% takes about 28.
    const start = kbisect(['start', series.good, bad, '--profile', profile, '--min-effect', '0.25']);
    expect(start.status, start.stderr).toBe(0);
    const run = kbisect(['run', '--json']);
    expect(run.status, run.stderr).toBe(3);
    const result = JSON.parse(run.stdout) as { outcome: string; culprit: unknown };
    // either the change is shown to be inside ±25% (no-regression) or, with
    // noisy boots, calibration runs out without confirming one (inconclusive):
    // both are "no confirmed regression", exit 3, and never a culprit
    expect(['no-regression', 'inconclusive']).toContain(result.outcome);
    expect(result.culprit).toBeNull();
    expect(countKbisectLeftovers()).toEqual({ netns: [], qemu: '' });
  });

  it('`kbisect measure REV` builds the revision (or takes it from the cache) and measures it', () => {
    const r = kbisect(['measure', series.culprit, '--profile', profile, '--boots', '2', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as {
      kernel: { imageHash: string };
      boots: { kind: string; reason?: string; tests?: { metric: string; runs: number[]; warmup: number[] }[] }[];
      summary: unknown;
      resultsPath: string | null;
    };
    expect(result.kernel.imageHash).toMatch(/^[0-9a-f]{16,}$/);
    // a boot may fail on the known guest TX stall (test/helpers/tx-stall.ts), on nothing else
    expect(result.boots.filter((b) => b.kind !== 'ok' && !isTxStall(b.reason)).map((b) => b.reason ?? b.kind)).toEqual([]);
    expect(result.boots.filter((b) => b.kind === 'ok').length).toBeGreaterThanOrEqual(1);
    for (const b of result.boots.filter((b) => b.kind === 'ok')) {
      const stream = b.tests?.[0];
      expect(stream?.metric).toBe('throughput');
      expect(stream?.runs).toHaveLength(3);
      expect(stream?.warmup).toHaveLength(1);
      for (const v of stream?.runs ?? []) expect(v).toBeGreaterThan(10);
    }
    expect(result.resultsPath).not.toBeNull();
    expect(readFileSync(result.resultsPath ?? '', 'utf8').split('\n').filter((l) => l.includes(result.kernel.imageHash)).length).toBeGreaterThanOrEqual(2);
    expect(countKbisectLeftovers()).toEqual({ netns: [], qemu: '' });
  });
});
