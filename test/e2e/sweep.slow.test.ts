// A sweep, end to end and for real: a Linux 6.1 range of 24 commits, one of
// which (#14) adds a virtio-net transmit delay, backfilled at stride 4 by the
// built CLI (real kernel builds, real QEMU boots, real netperf). The culprit is
// not a measured point (the points are #0, 4, 8, …, 24), so the step shows
// between #12 and #16 (or a neighbouring stride point), the alert is confirmed
// with fresh boots of both ends and bisected down to #14; then the text mail
// and the HTML dashboard name it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { countKbisectLeftovers } from '../helpers/leftovers.ts';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'kbisect.mjs');
const profile = join(root, 'profiles', 'demo-guest-tx.yaml');
const fixtures = process.env.KBISECT_FIXTURES ?? '/var/cache/kbisect-fixtures';
const repoDir = join(fixtures, 'sweep-repo');
// kernels and ccache persist between runs and are shared with the bisection
// e2e test (the base commit and the first commits of both series are the same
// kernels); the sweep's store is fresh each time
const env = {
  ...process.env,
  KBISECT_CACHE_DIR: process.env.KBISECT_CACHE_DIR ?? join(fixtures, 'e2e-cache'),
  KBISECT_DATA_DIR: mkdtempSync('/tmp/kbisect-e2e-sweep-'),
};

const COMMITS = 24;
const CULPRIT = 14;
const STRIDE = 4;
// udelay(1000) per packet in start_xmit: about −60% here. Three boots a point
// under TCG scatter ±40%, so a 7-point backfill only sees a clear step (the
// bisection e2e test, with as many boots as it needs, finds a 50 µs one)
const DELAY_US = 1000;

interface Series {
  repo: string;
  good: string;
  bad: string;
  culprit: string;
  commits: { sha: string; subject: string }[];
}
let series: Series;

function kbisect(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, '-C', series.repo, ...args], { encoding: 'utf8', env, timeout: 60 * 60_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface RunAlert {
  id: string;
  state: string;
  lastGoodSha: string;
  firstBadSha: string;
  evidence: { direction: string; relativeChange: number; pValue: number };
  confirmation: { ratio: number; ci: [number, number]; confirmed: boolean } | null;
  bisection: { outcome: string; culprit: { sha: string; probability: number } | null; change: { ratio: number } | null } | null;
}

interface RunResult {
  run: number;
  measured: { sha: string; boots: number; failures: number }[];
  alerts: RunAlert[];
}

// What a reader needs when the detection misses: each point's boots, raw and drift-adjusted.
function seriesNumbers(): string {
  const r = kbisect(['sweep', 'report', '--json']);
  if (r.status !== 0) return `sweep report --json failed: ${r.stderr}`;
  const input = JSON.parse(r.stdout) as {
    series: { key: string; noiseSigma: number; referenceBoots: { value: number }[]; points: { index: number; sha: string; raw: number | null; adjusted: number | null; boots: { value: number }[] }[] }[];
  };
  return input.series
    .map((s) =>
      [
        `series ${s.key} (noise σ ${s.noiseSigma.toFixed(3)}); reference boots ${s.referenceBoots.map((b) => b.value.toFixed(0)).join(' ')}`,
        ...s.points.map((p) => `  #${series.commits.findIndex((c) => c.sha === p.sha) + 1} ${p.sha.slice(0, 10)} raw ${p.raw?.toFixed(0)} adjusted ${p.adjusted?.toFixed(0)} boots ${p.boots.map((b) => b.value.toFixed(0)).join(' ')}`),
      ].join('\n'),
    )
    .join('\n');
}

beforeAll(() => {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'make-demo-repo.mjs'), '--out', repoDir, '--commits', String(COMMITS), '--culprit', String(CULPRIT), '--delay-us', String(DELAY_US)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`make-demo-repo failed: ${r.stdout}`);
  series = JSON.parse(r.stdout) as Series;
});

describe('kbisect sweep on a real kernel range', () => {
  it('finds the step between two stride points, confirms it, bisects it to the injected culprit, and reports it', () => {
    const at = (k: number): string => (k === 0 ? series.good : (series.commits[k - 1]?.sha ?? ''));
    const points = Array.from({ length: COMMITS / STRIDE + 1 }, (_, i) => at(i * STRIDE));
    // the culprit lies strictly inside one stride interval
    expect(points).not.toContain(series.culprit);

    const started = Date.now();
    const run = kbisect(['sweep', 'run', '--profile', profile, '--range', `${series.good}..${series.bad}`, '--stride', String(STRIDE), '--json']);
    console.log(`sweep run: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as RunResult;
    const numbers = `sweep run --json:\n${JSON.stringify(result.alerts, null, 2)}\n${seriesNumbers()}`;

    // every stride point measured with the default 3 boots. A TCG guest that does not come up
    // now and then (once in a clean-clone run here: 3 boots and 1 failure) is retried, never
    // counted as a boot; more than one failure at a point would be a defect
    expect(result.measured.map((m) => m.sha)).toEqual(points);
    for (const m of result.measured) {
      expect(m.boots, numbers).toBe(3);
      expect(m.failures, `${m.sha.slice(0, 12)}: ${m.failures} failed boot(s); the run's last output:\n${run.stderr.slice(-3000)}`).toBeLessThanOrEqual(1);
    }

    // the step is seen between two stride points around #14 (#12..#16 at best: the
    // detector's location set may take in a neighbour), confirmed, and bisected to #14
    const culprits = result.alerts.filter((a) => a.state === 'culprit');
    expect(culprits, numbers).toHaveLength(1);
    const alert = culprits[0] as RunAlert;
    expect(alert.evidence.direction).toBe('regression');
    const lastGood = points.indexOf(alert.lastGoodSha) * STRIDE;
    const firstBad = points.indexOf(alert.firstBadSha) * STRIDE;
    expect(lastGood, numbers).toBeGreaterThanOrEqual(0);
    expect(lastGood, numbers).toBeLessThan(CULPRIT);
    expect(firstBad, numbers).toBeGreaterThanOrEqual(CULPRIT);
    expect(alert.confirmation?.confirmed).toBe(true);
    expect(alert.confirmation?.ratio).toBeLessThan(0.95);
    expect(alert.bisection?.outcome).toBe('culprit');
    expect(alert.bisection?.culprit?.sha).toBe(series.culprit);
    // any other alert is noise the confirmation turned down (or an improvement it confirmed), never a second culprit
    for (const other of result.alerts.filter((a) => a !== alert)) expect(['not-reproduced', 'confirmed'], numbers).toContain(other.state);

    const text = kbisect(['sweep', 'report', '--text']);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain(series.culprit.slice(0, 10));
    expect(text.stdout).toMatch(/regression/);

    const html = join(env.KBISECT_DATA_DIR, 'sweep.html');
    const page = kbisect(['sweep', 'report', '--html', html]);
    expect(page.status, page.stderr).toBe(0);
    expect(readFileSync(html, 'utf8')).toMatch(/<svg/);

    expect(countKbisectLeftovers()).toEqual({ netns: [], qemu: '' });
  });
});
