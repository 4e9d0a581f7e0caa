// `kbisect compare` of two real kernels, end to end: the culprit of the
// sweep test's Linux 6.1 range (a udelay(1000) per packet in virtio-net's
// transmit path, about −90% here) against its parent, with the same fixture
// repo and kernel cache, so both kernels are usually built already; real QEMU
// boots and real netperf, through the built CLI. Once as revisions (built like
// bisection candidates), once as the two built images (--kernel); both must
// call B different and worse, exit 0, with an HTML report, and leave no
// namespace or guest behind. A clear step is decided at the first looks, so
// the test stays short; the calibration statistics behind it are the
// bisection's, which e2e/bisect.slow proves on a −40% step.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countKbisectLeftovers } from '../helpers/leftovers.ts';

const root = join(import.meta.dirname, '..', '..');
// the built CLI; KBISECT_E2E_CLI runs another build of it (one made outside dist/)
const cli = process.env.KBISECT_E2E_CLI ?? join(root, 'dist', 'kbisect.mjs');
const profile = join(root, 'profiles', 'demo-guest-tx.yaml');
const fixtures = process.env.KBISECT_FIXTURES ?? '/var/cache/kbisect-fixtures';
const repoDir = join(fixtures, 'sweep-repo');
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
// A: the culprit's parent; B: the culprit
let parent = '';

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

// B is the culprit: different and worse, with a CI below 1.
function expectWorse(json: CompareJson): void {
  expect(json.outcome).toBe('different');
  expect(json.verdict).toBe('worse');
  const judged = json.metrics.find((m) => m.judged);
  expect(judged?.name).toBe('netperf.stream.throughput');
  expect(judged?.ratio).toBeLessThan(0.95);
  expect(judged?.ratio).toBeGreaterThan(0.01);
  expect(judged?.ci[1]).toBeLessThan(1);
  expect(json.host.accel).toMatch(/^(kvm|tcg)$/);
}

beforeAll(() => {
  // the sweep test's fixture, with its options: an existing repo made with them is reused as it is
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'make-demo-repo.mjs'), '--out', repoDir, '--commits', '24', '--culprit', '14', '--delay-us', '1000'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`make-demo-repo failed: ${r.stdout}`);
  series = JSON.parse(r.stdout) as Series;
  const at = series.commits.findIndex((c) => c.sha === series.culprit);
  if (at < 1) throw new Error('make-demo-repo: the culprit has no parent in the series');
  parent = (series.commits[at - 1] as { sha: string }).sha;
});

// the fixture repository is shared with the bisection test: leave it as found (the kernels stay cached)
const logDirs: string[] = [];
afterAll(() => {
  for (const dir of logDirs) rmSync(dir, { recursive: true, force: true });
  rmSync(data, { recursive: true, force: true });
});

describe('kbisect compare on two real kernels', () => {
  it('revisions: the culprit against its parent is different and worse (exit 0), with a self-contained HTML plot', () => {
    const html = join(data, 'compare.html');
    const run = kbisect(['compare', parent, series.culprit, '--profile', profile, '--seed', '1', '--restart', '--html', html, '--json']);
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
    const built = kbisect(['build', parent, series.culprit, '--profile', profile, '--json']);
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
