// `kbisect sweep` in generic mode, end to end through the built CLI, on a real
// repository of 150 commits whose benchmark drops 15% at #97 and spikes ×0.6
// at #40 only: a backfill at stride 10 finds, confirms and bisects the step
// (and raises nothing for the spike), a later run measures only the new
// commits; kill -9 while measuring and while confirming/bisecting loses
// nothing and resumes; a second run on the locked repository is refused;
// bad input exits 2 with a hint.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSweepRepo, STEP_SUBJECT, type SweepRepo } from '../helpers/sweep-repo.ts';

const cli = join(import.meta.dirname, '..', '..', 'dist', 'kbisect.mjs');

interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

interface Started {
  child: ChildProcess;
  pid: number;
  done: Promise<CliResult>;
}

type KbisectEnv = { KBISECT_DATA_DIR: string; KBISECT_CACHE_DIR: string };

// The parts of `sweep run --json` and of the store the tests read.
interface AlertJson {
  id: string;
  seriesKey: string;
  lastGoodSha: string;
  firstBadSha: string;
  state: string;
  evidence: { kind: string; direction: string; relativeChange: number };
  confirmation: { confirmed: boolean; ratio: number } | null;
  bisection: { outcome: string; culprit: { sha: string; subject: string } | null; sessionDir: string } | null;
  bisectionDir: string | null;
}
interface RunJson {
  run: number;
  mode: 'new' | 'range';
  head: string;
  measured: { sha: string; subject: string; boots: number; failures: number }[];
  alertEvents: { kind: string; alertId: string }[];
  alerts: AlertJson[];
  notes: string[];
}
interface BootRecordJson {
  role: 'point' | 'reference';
  sha: string;
  run: number;
  outcome: { kind: string };
}

let r: SweepRepo;
beforeEach(() => {
  r = makeSweepRepo();
});
const running: ChildProcess[] = [];
afterEach(async () => {
  // a failed assertion may leave a run going: stop it before its files go
  for (const c of running.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      const gone = new Promise((resolve) => c.once('exit', resolve));
      c.kill('SIGKILL');
      await gone;
    }
  }
  r.remove();
});

// Starts the built CLI in its own process group (so that kill -9 of the group is a crash of kbisect alone).
function start(env: KbisectEnv, args: readonly string[], extra: Record<string, string> = {}): Started {
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, '-C', r.repo, ...args], {
    env: { ...process.env, ...env, ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status, signal) => resolve({ status, signal, stdout, stderr, ms: Math.round(performance.now() - t0) }));
  });
  if (child.pid === undefined) throw new Error('spawn of the CLI gave no pid');
  return { child, pid: child.pid, done };
}

async function kbisect(env: KbisectEnv, args: readonly string[], extra: Record<string, string> = {}): Promise<CliResult> {
  return start(env, args, extra).done;
}

// Runs a command that must succeed and parses its --json output.
async function kbisectJson<T>(env: KbisectEnv, args: readonly string[], extra: Record<string, string> = {}): Promise<T> {
  const out = await kbisect(env, [...args, '--json'], extra);
  expect(out.status, `kbisect ${args.join(' ')}: ${out.stderr}`).toBe(0);
  return JSON.parse(out.stdout) as T;
}

// kill -9 of the CLI's whole process group; resolves once it is gone.
async function crash(s: Started): Promise<CliResult> {
  process.kill(-s.pid, 'SIGKILL');
  const out = await s.done;
  expect(out.signal).toBe('SIGKILL');
  return out;
}

async function waitFor<T>(what: string, s: Started, probe: () => T | null, timeoutMs = 120_000): Promise<T> {
  let exited: CliResult | null = null;
  void s.done.then((o) => (exited = o));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = probe();
    if (got !== null) return got;
    if (exited !== null) throw new Error(`the run ended before ${what}: exit ${String((exited as CliResult).status)}\n${(exited as CliResult).stderr.slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

// The store of the default sweep of the fixture repository under a data dir (null before the first run).
function sweepDir(env: KbisectEnv): string | null {
  const root = join(env.KBISECT_DATA_DIR, 'sweeps');
  if (!existsSync(root)) return null;
  const repos = readdirSync(root).filter((n) => !n.startsWith('.'));
  if (repos.length === 0) return null;
  expect(repos).toHaveLength(1);
  return join(root, repos[0] as string, 'default');
}

function requireSweepDir(env: KbisectEnv): string {
  const dir = sweepDir(env);
  if (dir === null) throw new Error(`no sweep under ${env.KBISECT_DATA_DIR}`);
  return dir;
}

// The complete lines of a JSONL file (a line torn by a kill has no newline yet).
function completeLines(file: string): string[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter((l) => l !== '');
}

// results/HOST/SHA.jsonl → its complete lines.
function resultFiles(dir: string): Map<string, string[]> {
  const files = new Map<string, string[]>();
  const results = join(dir, 'results');
  if (!existsSync(results)) return files;
  for (const host of readdirSync(results)) {
    for (const f of readdirSync(join(results, host))) if (f.endsWith('.jsonl')) files.set(`${host}/${f}`, completeLines(join(results, host, f)));
  }
  return files;
}

function bootRecords(dir: string): BootRecordJson[] {
  return [...resultFiles(dir).values()].flat().map((l) => JSON.parse(l) as BootRecordJson);
}

// Point boots (not failures, not reference boots) per commit.
function pointBoots(dir: string): Map<string, number> {
  const n = new Map<string, number>();
  for (const rec of bootRecords(dir)) if (rec.role === 'point' && rec.outcome.kind === 'boot') n.set(rec.sha, (n.get(rec.sha) ?? 0) + 1);
  return n;
}

function storedAlerts(dir: string): AlertJson[] {
  const file = join(dir, 'alerts.json');
  if (!existsSync(file)) return [];
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { alerts: AlertJson[] }).alerts;
  } catch {
    return []; // replaced atomically, but read it again rather than trust a half-read
  }
}

// Every events*.jsonl line of a bisection session directory, file by file.
function sessionEventLines(sessionDir: string): Map<string, string[]> {
  const files = new Map<string, string[]>();
  if (!existsSync(sessionDir)) return files;
  for (const f of readdirSync(sessionDir)) if (/^events.*\.jsonl$/.test(f)) files.set(f, completeLines(join(sessionDir, f)));
  return files;
}

function countLines(files: Map<string, string[]>): number {
  return [...files.values()].reduce((n, lines) => n + lines.length, 0);
}

// Each file of `before` is still there, starting with every line it had.
function expectKept(before: Map<string, string[]>, after: Map<string, string[]>, what: string): void {
  for (const [file, lines] of before) {
    const now = after.get(file);
    expect(now, `${what}: ${file} vanished`).toBeDefined();
    expect((now as string[]).slice(0, lines.length), `${what}: ${file} lost or changed earlier lines`).toEqual(lines);
  }
}

function runEnded(dir: string, run: number): boolean {
  return completeLines(join(dir, 'runs.jsonl')).some((l) => {
    const rec = JSON.parse(l) as { kind: string; run: number };
    return rec.kind === 'end' && rec.run === run;
  });
}

// The one alert of a finished sweep over the fixture: the step, bisected to #97.
function expectTheStepBisected(alerts: readonly AlertJson[]): AlertJson {
  expect(alerts.map((a) => `${a.evidence.direction} ${a.lastGoodSha.slice(0, 8)}..${a.firstBadSha.slice(0, 8)} ${a.state}`)).toHaveLength(1);
  const a = alerts[0] as AlertJson;
  expect(a.evidence.direction).toBe('regression');
  expect(a.evidence.relativeChange).toBeLessThan(-0.1);
  expect(a.evidence.relativeChange).toBeGreaterThan(-0.2);
  // the step lies strictly between two measured points: L before #97, F at or after it
  expect(r.shas.indexOf(a.lastGoodSha)).toBeLessThan(r.step);
  expect(r.shas.indexOf(a.firstBadSha)).toBeGreaterThanOrEqual(r.step);
  expect(a.state).toBe('culprit');
  expect(a.confirmation?.confirmed).toBe(true);
  expect(a.bisection?.outcome).toBe('culprit');
  expect(a.bisection?.culprit?.sha).toBe(r.shas[r.step]);
  expect(a.bisection?.culprit?.subject).toBe(STEP_SUBJECT);
  return a;
}

const timings: string[] = [];
function timed(label: string, out: { ms: number }): void {
  timings.push(`${label}: ${(out.ms / 1000).toFixed(1)} s`);
}

describe('kbisect sweep, generic mode', () => {
  afterEach(() => {
    if (timings.length > 0) console.log(timings.splice(0).join('\n'));
  });

  it('backfills at a stride, bisects the step to its commit, ignores the spike, then measures only new commits', async () => {
    const env = r.freshEnv('main');
    const range = `${r.shas[0]}..${r.shas[120]}`;
    const t0 = performance.now();
    const first = await kbisect(env, ['sweep', 'run', '--cmd', './bench.sh', '--range', range, '--stride', '10', '--json']);
    timed('backfill run', first);
    expect(first.status, first.stderr).toBe(0);
    const backfill = JSON.parse(first.stdout) as RunJson;
    expect(backfill.run).toBe(1);
    expect(backfill.mode).toBe('range');
    expect(backfill.head).toBe(r.shas[120]);
    // every 10th commit from the first, the range end among them (120 is one)
    const strided = r.shas.slice(0, 121).filter((_, i) => i % 10 === 0);
    expect(backfill.measured.map((m) => m.sha)).toEqual(strided);
    for (const m of backfill.measured) expect({ sha: m.sha, boots: m.boots, failures: m.failures }).toEqual({ sha: m.sha, boots: 3, failures: 0 });
    expect(backfill.alertEvents.filter((e) => e.kind === 'raised')).toHaveLength(1);
    // the spike (#40, measured, ×0.6) and its revert raise nothing; the step is bisected to #97
    const alert = expectTheStepBisected(backfill.alerts);
    // a real bisection inside (L, F]: samples of at least two commits strictly between the measured points
    const inside = new Set(
      [...sessionEventLines(alert.bisection?.sessionDir as string).values()]
        .flat()
        .map((l) => (JSON.parse(l) as { event: { kind: string; commit?: string } }).event)
        .filter((e) => e.kind === 'boot' && e.commit !== alert.lastGoodSha && e.commit !== alert.firstBadSha)
        .map((e) => e.commit),
    );
    expect(inside.size).toBeGreaterThanOrEqual(2);

    // 20 more commits; a run with no range measures the new first-parent commits only
    const added = r.addCommits(20);
    // --json with --html: the dashboard is written too (it was not, once: --json returned first)
    const nightlyHtml = join(r.dir, 'nightly.html');
    const second = await kbisect(env, ['sweep', 'run', '--json', '--html', nightlyHtml]);
    timed('new-commits run', second);
    expect(second.status, second.stderr).toBe(0);
    expect(readFileSync(nightlyHtml, 'utf8')).toContain('<svg');
    const nightly = JSON.parse(second.stdout) as RunJson;
    expect(nightly.run).toBe(2);
    expect(nightly.mode).toBe('new');
    expect(nightly.head).toBe(added[added.length - 1]);
    const measuredShas = nightly.measured.map((m) => m.sha);
    expect(measuredShas.length).toBeGreaterThan(0);
    expect(measuredShas.length).toBeLessThanOrEqual(20);
    const newSince = new Set(r.shas.slice(121));
    for (const sha of measuredShas) expect(newSince.has(sha), `${sha} (#${r.shas.indexOf(sha)}) is not a commit after #120`).toBe(true);
    expect(new Set(measuredShas).size).toBe(measuredShas.length);
    expect(measuredShas).toContain(r.shas[r.shas.length - 1]);
    for (const m of nightly.measured) expect(m.boots).toBe(3);
    expect(nightly.alertEvents.filter((e) => e.kind === 'raised')).toEqual([]);
    expect(expectTheStepBisected(nightly.alerts).id).toBe(alert.id);

    // the read-only views agree with the run
    const status = await kbisectJson<{ runs: { run: number; finishedAt: string | null; measured: number }[]; series: { measured: number }[]; alerts: AlertJson[] }>(env, ['sweep', 'status']);
    expect(status.runs.map((x) => [x.run, x.measured, x.finishedAt !== null])).toEqual([
      [1, strided.length, true],
      [2, measuredShas.length, true],
    ]);
    expect(status.series).toHaveLength(1);
    expect(status.series[0]?.measured).toBe(strided.length + measuredShas.length);
    expect(expectTheStepBisected(status.alerts).id).toBe(alert.id);
    const listed = await kbisectJson<AlertJson[]>(env, ['sweep', 'alerts']);
    expect(expectTheStepBisected(listed).id).toBe(alert.id);
    const reportJson = await kbisectJson<{ series: { points: { sha: string; excluded: boolean }[] }[]; alerts: AlertJson[] }>(env, ['sweep', 'report']);
    expect(expectTheStepBisected(reportJson.alerts).id).toBe(alert.id);
    // the spike was measured and set aside as an outlier, not raised
    expect(reportJson.series[0]?.points.find((p) => p.sha === r.shas[40])?.excluded).toBe(true);

    const text = await kbisect(env, ['sweep', 'report', '--text']);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain((r.shas[r.step] as string).slice(0, 10));
    expect(text.stdout).toContain('regression');
    expect(text.stdout).toContain(STEP_SUBJECT);
    const htmlFile = join(r.dir, 'sweep.html');
    const html = await kbisect(env, ['sweep', 'report', '--html', htmlFile]);
    expect(html.status, html.stderr).toBe(0);
    expect(readFileSync(htmlFile, 'utf8')).toContain('<svg');
    timings.push(`whole test: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }, 600_000);

  it('kill -9 while measuring, and while confirming and bisecting: nothing lost, nothing measured twice, the alert resumes', async () => {
    const t0 = performance.now();
    const args = ['sweep', 'run', '--cmd', './bench.sh', '--range', `${r.shas[0]}..${r.shas[120]}`, '--stride', '10'];
    const strided = r.shas.slice(0, 121).filter((_, i) => i % 10 === 0);

    // 1. killed while measuring the points
    const env = r.freshEnv('kill-measure');
    const slow = start(env, args, { BENCH_SLEEP_S: '0.2' });
    const dir = await waitFor('ten point samples in results/', slow, () => {
      const d = sweepDir(env);
      return d !== null && bootRecords(d).filter((x) => x.role === 'point').length >= 10 ? d : null;
    });
    await crash(slow);
    timed('measuring run until kill -9', await slow.done);
    expect(runEnded(dir, 1), 'the run finished before it was killed').toBe(false);
    const before = resultFiles(dir);
    const finished = [...pointBoots(dir)].filter(([, n]) => n >= 3).map(([sha]) => sha);
    expect(finished.length).toBeGreaterThanOrEqual(3);
    expect(finished.length).toBeLessThan(strided.length);

    const resumed = await kbisect(env, [...args, '--json']);
    timed('resumed run', resumed);
    expect(resumed.status, resumed.stderr).toBe(0);
    const out = JSON.parse(resumed.stdout) as RunJson;
    expect(out.run).toBe(2);
    expect(out.notes.join('\n')).toContain(`pid ${slow.pid}`);
    expectKept(before, resultFiles(dir), 'after the resumed run');
    // every point has its 3 boots, none more: the killed run's finished commits were not measured again
    const boots = pointBoots(dir);
    expect(strided.map((sha) => boots.get(sha) ?? 0)).toEqual(strided.map(() => 3));
    for (const sha of finished) expect(out.measured.find((m) => m.sha === sha)?.boots ?? 0, `${sha} measured again`).toBe(0);
    expect(bootRecords(dir).filter((x) => x.role === 'point' && x.run === 2 && finished.includes(x.sha))).toEqual([]);
    expectTheStepBisected(out.alerts);
    expectTheStepBisected(storedAlerts(dir));

    // 2. a fresh sweep killed while confirming, then again while bisecting
    const env2 = r.freshEnv('kill-confirm');
    const first = start(env2, args, { BENCH_SLEEP_S: '0.1' });
    const dir2 = await waitFor('an alert confirming, with samples logged', first, () => {
      const d = sweepDir(env2);
      if (d === null) return null;
      const a = storedAlerts(d).find((x) => x.state === 'confirming' && x.bisectionDir !== null);
      return a !== undefined && countLines(sessionEventLines(join(d, 'bisections', a.bisectionDir as string))) >= 3 ? d : null;
    }, 240_000);
    await crash(first);
    timed('run until kill -9 while confirming', await first.done);
    const [confirming] = storedAlerts(dir2);
    expect(confirming?.state).toBe('confirming');
    const sessionDir = join(dir2, 'bisections', confirming?.bisectionDir as string);
    const eventsAtFirstKill = sessionEventLines(sessionDir);
    const resultsAtFirstKill = resultFiles(dir2);

    const second = start(env2, args, { BENCH_SLEEP_S: '0.1' });
    await waitFor('the alert bisecting, with bisection samples logged', second, () => {
      const a = storedAlerts(dir2)[0];
      return a?.state === 'bisecting' && countLines(sessionEventLines(sessionDir)) > countLines(eventsAtFirstKill) + 2 ? a : null;
    }, 240_000);
    await crash(second);
    timed('resumed run until kill -9 while bisecting', await second.done);
    expect(storedAlerts(dir2).map((a) => [a.id, a.state])).toEqual([[confirming?.id, 'bisecting']]);
    const eventsAtSecondKill = sessionEventLines(sessionDir);
    expectKept(eventsAtFirstKill, eventsAtSecondKill, 'the bisection log after the second kill');

    const last = await kbisect(env2, [...args, '--json']);
    timed('final run', last);
    expect(last.status, last.stderr).toBe(0);
    const done = JSON.parse(last.stdout) as RunJson;
    expect(done.alertEvents.filter((e) => e.kind === 'raised')).toEqual([]);
    expect(expectTheStepBisected(done.alerts).id).toBe(confirming?.id);
    expect(expectTheStepBisected(storedAlerts(dir2)).bisectionDir).toBe(confirming?.bisectionDir);
    expectKept(eventsAtSecondKill, sessionEventLines(sessionDir), 'the bisection log after the final run');
    expectKept(resultsAtFirstKill, resultFiles(dir2), 'the sweep results after the final run');
    expect(readdirSync(join(dir2, 'bisections'))).toEqual([confirming?.bisectionDir]);
    timings.push(`whole test: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }, 900_000);

  it('refuses a second sweep run, a bisection and a reset while a sweep run holds the repository', async () => {
    const t0 = performance.now();
    const env = r.freshEnv('overlap');
    const args = ['sweep', 'run', '--cmd', './bench.sh', '--range', `${r.shas[0]}..${r.shas[120]}`, '--stride', '10'];
    const holder = start(env, args, { BENCH_SLEEP_S: '1' });
    await waitFor('the first sample', holder, () => {
      const d = sweepDir(env);
      return d !== null && bootRecords(d).length > 0 ? d : null;
    });

    const other = await kbisect(r.freshEnv('overlap'), args);
    expect(other.status, other.stderr).toBe(2);
    expect(other.stderr).toContain(`pid ${holder.pid}`);
    expect(other.stderr).toMatch(/hint: /);
    // another data dir is no way around it: the lock belongs to the repository
    const elsewhere = await kbisect(r.freshEnv('overlap-other'), args);
    expect(elsewhere.status, elsewhere.stderr).toBe(2);
    expect(elsewhere.stderr).toContain(`pid ${holder.pid}`);

    const started = await kbisect(env, ['start', r.shas[90] as string, r.shas[100] as string, '--cmd', './bench.sh']);
    expect(started.status, started.stderr).toBe(0);
    const bisect = await kbisect(env, ['run']);
    expect(bisect.status, bisect.stderr).toBe(2);
    expect(bisect.stderr).toContain(`pid ${holder.pid}`);
    const reset = await kbisect(env, ['sweep', 'reset']);
    expect(reset.status, reset.stderr).toBe(2);
    expect(reset.stderr).toContain(`pid ${holder.pid}`);

    // SIGTERM: the holder stops, the lock is free again
    holder.child.kill('SIGTERM');
    const stopped = await holder.done;
    expect(stopped.status).toBe(130);
    expect((await kbisect(env, ['reset'])).status).toBe(0);
    const status = await kbisectJson<{ runs: { finishedAt: string | null }[] }>(env, ['sweep', 'status']);
    expect(status.runs.map((x) => x.finishedAt)).toEqual([null]);
    timings.push(`whole test: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }, 300_000);

  it('bad input exits 2 with a hint', async () => {
    const t0 = performance.now();
    const env = r.freshEnv('input');
    const range = `${r.shas[0]}..${r.shas[120]}`;
    const expectUserError = async (args: string[], pattern: RegExp): Promise<CliResult> => {
      const out = await kbisect(env, args);
      expect(out.status, `kbisect ${args.join(' ')}: ${out.stderr}`).toBe(2);
      expect(out.stderr).toMatch(pattern);
      return out;
    };
    const noMeasure = await expectUserError(['sweep', 'run'], /does not know how to measure/);
    expect(noMeasure.stderr).toMatch(/hint: .*--cmd/);
    expect(sweepDir(env) === null || !existsSync(join(sweepDir(env) as string, 'sweep.json'))).toBe(true);
    await expectUserError(['sweep', 'run', '--cmd', './bench.sh', '--range', range, '--stride', '0'], /--stride/);
    await expectUserError(['sweep', 'run', '--cmd', './bench.sh', '--stride', '10'], /--stride.*--range/);
    await expectUserError(['sweep', 'run', '--cmd', './bench.sh', '--range', 'nonsense'], /--range/);
    await expectUserError(['sweep', 'run', '--cmd', './bench.sh', '--range', `${r.shas[120]}..${r.shas[0]}`], /ancestor/);
    // none of it measured anything, nor fixed the sweep's measurement: another command is still welcome
    const dir = sweepDir(env);
    if (dir !== null) expect(resultFiles(dir).size).toBe(0);
    expect(sweepDir(env) === null || !existsSync(join(sweepDir(env) as string, 'sweep.json'))).toBe(true);

    // alerts that do not exist: before the sweep exists, and in a sweep without alerts
    const ignoreFresh = await kbisect(r.freshEnv('input-ignore'), ['sweep', 'ignore', '99']);
    expect(ignoreFresh.status, ignoreFresh.stderr).toBe(2);
    expect(ignoreFresh.stderr).toMatch(/no sweep "default"[^]*hint: .*sweep run/);
    const tiny = await kbisectJson<RunJson>(r.freshEnv('input-ignore'), ['sweep', 'run', '--cmd', './bench.sh', '--range', `${r.shas[0]}..${r.shas[5]}`, '--stride', '3']);
    // every 3rd commit and the range end, which is not one of them
    expect(tiny.measured.map((m) => m.sha)).toEqual([r.shas[0], r.shas[3], r.shas[5]]);
    expect(tiny.alerts).toEqual([]);
    // the same range again: everything is measured already, so nothing is booted, not even the reference
    const tinyDir = requireSweepDir(r.freshEnv('input-ignore'));
    const recordsBefore = bootRecords(tinyDir).length;
    const again = await kbisectJson<RunJson>(r.freshEnv('input-ignore'), ['sweep', 'run', '--range', `${r.shas[0]}..${r.shas[5]}`, '--stride', '3']);
    expect(again.measured).toEqual([]);
    expect(bootRecords(tinyDir).length).toBe(recordsBefore);
    const ignoreNone = await kbisect(r.freshEnv('input-ignore'), ['sweep', 'ignore', '99', '--why', 'no such alert']);
    expect(ignoreNone.status, ignoreNone.stderr).toBe(2);
    expect(ignoreNone.stderr).toMatch(/no alert "99"[^]*hint: this sweep has no alerts/);
    const json = await kbisect(r.freshEnv('input-ignore'), ['sweep', 'ignore', '99', '--json']);
    expect(json.status).toBe(2);
    expect((JSON.parse(json.stdout) as { error: { kind: string } }).error.kind).toBe('user');
    timings.push(`whole test: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }, 120_000);
});
