// `kbisect compare` of two real kernels, end to end: the Linux 6.1 range of
// the bisection test (same fixture repo and kernel cache, so the two builds
// are usually cached), a real virtio-net transmit delay injected at the
// culprit, real QEMU boots and real netperf, through the built CLI. Once as
// revisions (built like bisection candidates), once as the two built images
// (--kernel); both must call B different and worse, exit 0, with an HTML
// report, and leave no namespace or guest behind.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
// the built CLI; KBISECT_E2E_CLI runs another build of it (one made outside dist/)
const cli = process.env.KBISECT_E2E_CLI ?? join(root, 'dist', 'kbisect.mjs');
const profile = join(root, 'profiles', 'demo-guest-tx.yaml');
const fixtures = process.env.KBISECT_FIXTURES ?? '/var/cache/kbisect-fixtures';
const repoDir = join(fixtures, 'e2e-repo');
const data = mkdtempSync('/tmp/kbisect-e2e-compare-');
const env = { ...process.env, KBISECT_CACHE_DIR: process.env.KBISECT_CACHE_DIR ?? join(fixtures, 'e2e-cache'), KBISECT_DATA_DIR: data };

interface Series {
  repo: string;
  good: string;
  bad: string;
  culprit: string;
  commits: { sha: string; subject: string }[];
}
let series: Series;

interface CompareJson {
  outcome: string;
  verdict: string | null;
  mode: string;
  metrics: { name: string; judged: boolean; ratio: number; ci: [number, number]; line: string }[];
  boots: { a: number; b: number };
  host: { fingerprint: string; accel: string };
  logDir: string;
}

function kbisect(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, '-C', series.repo, ...args], { encoding: 'utf8', env, timeout: 60 * 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function countKbisectLeftovers(): { netns: string[]; qemu: string } {
  const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith('kbisect'));
  const qemu = spawnSync('pgrep', ['-af', 'qemu-system-x86_64.*kbisect'], { encoding: 'utf8' }).stdout.trim();
  return { netns, qemu };
}

// B is the culprit's side of a ~−40% change: different and worse, with a CI below 1.
function expectWorse(json: CompareJson): void {
  expect(json.outcome).toBe('different');
  expect(json.verdict).toBe('worse');
  const judged = json.metrics.find((m) => m.judged);
  expect(judged?.name).toBe('netperf.stream.throughput');
  expect(judged?.ratio).toBeLessThan(0.95);
  expect(judged?.ratio).toBeGreaterThan(0.05);
  expect(judged?.ci[1]).toBeLessThan(1);
  expect(json.host.accel).toMatch(/^(kvm|tcg)$/);
}

beforeAll(() => {
  // the bisection test's fixture, with its options: an existing repo made with them is reused as it is
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'make-demo-repo.mjs'), '--out', repoDir, '--commits', '10', '--culprit', '8', '--broken', '5', '--delay-us', '50'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`make-demo-repo failed: ${r.stdout}`);
  series = JSON.parse(r.stdout) as Series;
});

// the fixture repository is shared with the bisection test: leave it as found (the kernels stay cached)
const logDirs: string[] = [];
afterAll(() => {
  for (const dir of logDirs) rmSync(dir, { recursive: true, force: true });
  rmSync(data, { recursive: true, force: true });
});

describe('kbisect compare on two real kernels', () => {
  it('revisions: GOOD vs BAD is different and worse (exit 0), with a self-contained HTML plot', () => {
    const html = join(data, 'compare.html');
    const run = kbisect(['compare', series.good, series.bad, '--profile', profile, '--seed', '1', '--restart', '--html', html, '--json']);
    expect(run.status, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout) as CompareJson;
    logDirs.push(json.logDir);
    expect(json.mode).toBe('kernel');
    expectWorse(json);
    expect(existsSync(join(json.logDir, 'events.jsonl'))).toBe(true);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/<span class="badge bad">different<\/span>B is worse than A/);
    expect(page).toMatch(/<svg /);
    expect(page).not.toMatch(/<script|(src|href)=/);
    expect(countKbisectLeftovers()).toEqual({ netns: [], qemu: '' });
  });

  it('--kernel: the same two kernels as built images compare the same way', () => {
    const built = kbisect(['build', series.good, series.bad, '--profile', profile, '--json']);
    expect(built.status, built.stderr).toBe(0);
    const [good, bad] = JSON.parse(built.stdout) as { bzImage: string }[];
    const run = kbisect(['compare', '--kernel', good?.bzImage ?? '', '--kernel', bad?.bzImage ?? '', '--profile', profile, '--seed', '2', '--restart', '--json']);
    expect(run.status, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout) as CompareJson;
    expect(json.mode).toBe('image');
    expectWorse(json);
    // images belong to no repository: their log is under the data dir
    expect(json.logDir.startsWith(join(data, 'compare'))).toBe(true);
    expect(countKbisectLeftovers()).toEqual({ netns: [], qemu: '' });
  });
});
