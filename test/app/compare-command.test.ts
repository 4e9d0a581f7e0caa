// `kbisect compare A B --cmd` for real: a real git repository whose benchmark
// prints a noisy number that drops 20% at one commit, real worktrees, real
// processes, through the CLI (exit codes included). Also: kill -9 in the
// middle then the same command resumes with nothing lost, bad input refused
// before anything is logged, and a bisection of the same pair taking the
// comparison's samples as its calibration boots.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { compareSamplesFor, measurementKeyOf, seedBisectionFromCompare } from '../../src/app/compare.ts';
import { COMPARE_REUSE_MAX_AGE_MS } from '../../src/app/compare/reuse.ts';
import { resetBisection, runBisection, startBisection } from '../../src/app/bisect.ts';
import { runCli } from '../../src/cli/index.ts';
import { createContext } from '../../src/cli/context.ts';
import { exitCodes, UserError } from '../../src/core/errors.ts';
import type { MeasuredSession } from '../../src/core/session.ts';
import { sessionPaths } from '../../src/adapters/session-store.ts';
import { reportError } from '../../src/main.ts';
import { isolateKbisectDirs, makeBenchRepo, type BenchRepo } from '../helpers/bench-repo.ts';

const CULPRIT = 8;
let r: BenchRepo;
let restore: () => void;
let cli: string;

beforeAll(async () => {
  r = makeBenchRepo({ commits: 12, culprit: CULPRIT, prefix: 'kbisect-compare-' });
  restore = isolateKbisectDirs(r.dir);
  // the real CLI as one file, for the test that kills it
  cli = join(r.dir, 'kbisect.mjs');
  await build({
    entryPoints: [join(import.meta.dirname, '..', '..', 'src', 'bin.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: cli,
    logLevel: 'warning',
    define: { __KBISECT_VERSION__: '"test"' },
    banner: { js: "import { createRequire as __kbisectCreateRequire } from 'node:module';const require = __kbisectCreateRequire(import.meta.url);" },
    plugins: [
      {
        name: 'raw',
        setup(b) {
          b.onResolve({ filter: /\?raw$/ }, (args) => ({ path: join(args.resolveDir, args.path.replace(/\?raw$/, '')), namespace: 'raw' }));
          b.onLoad({ filter: /.*/, namespace: 'raw' }, (args) => ({ contents: readFileSync(args.path, 'utf8'), loader: 'text' }));
        },
      },
    ],
  });
}, 60_000);

afterAll(async () => {
  await resetBisection(r.repo).catch(() => undefined);
  restore();
  r.remove();
});

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  error?: unknown;
}

// Runs the CLI in-process in the repository; the exit code as src/main.ts would map it.
async function kbisect(...args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    stdout += String(s);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  });
  try {
    const kind = await runCli(['-C', r.repo, ...args], createContext((raw) => raw ?? r.repo));
    return { code: exitCodes[kind], stdout, stderr };
  } catch (error) {
    const code = reportError(error, false, (s) => (stderr += s));
    return { code, stdout, stderr, error };
  } finally {
    vi.restoreAllMocks();
  }
}

const compareRoot = (): string => join(r.repo, '.git', 'kbisect', 'compare');
const logDirs = (): string[] => (existsSync(compareRoot()) ? readdirSync(compareRoot()) : []);
const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : []);

interface CompareJson {
  outcome: string;
  verdict: string | null;
  metrics: { name: string; ratio: number; ci: [number, number]; a: { boots: number[] }; b: { boots: number[] } }[];
  boots: { a: number; b: number };
  seed: number;
  logDir: string;
}

describe('kbisect compare --cmd', () => {
  it('B after the step is different and worse (ratio ≈ 0.8), exit 0; the same command again re-uses every sample', async () => {
    const run = await kbisect('compare', r.shas[0] as string, r.shas[11] as string, '--cmd', 'bash bench.sh', '--seed', '3', '--min-effect', '0.05', '--json');
    expect(run.error).toBeUndefined();
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as CompareJson;
    expect(json).toMatchObject({ outcome: 'different', verdict: 'worse', seed: 3 });
    expect(json.metrics[0]?.name).toBe('command.value');
    expect(json.metrics[0]?.ratio).toBeCloseTo(0.8, 1);
    expect(json.metrics[0]?.ci[1]).toBeLessThan(1);
    expect(lines(join(json.logDir, 'events.jsonl'))).toHaveLength(json.boots.a + json.boots.b);

    const again = await kbisect('compare', r.shas[0] as string, r.shas[11] as string, '--cmd', 'bash bench.sh', '--min-effect', '0.05');
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`resuming: ${json.boots.a + json.boots.b} events already logged`);
    expect(again.stdout).toMatch(/^kbisect compare: different: B is worse than A\n/);
    expect(again.stdout).toMatch(/\n {2}command\.value {2}\d+ ±\d+% {2}-\d+\.\d% \[-\d+\.\d%, -\d+\.\d%\] {2}\d+ ±\d+%\n/);
    expect(lines(join(json.logDir, 'events.jsonl'))).toHaveLength(json.boots.a + json.boots.b);

    // another --seed would judge the logged samples by another plan: refused, nothing changes
    const reseeded = await kbisect('compare', r.shas[0] as string, r.shas[11] as string, '--cmd', 'bash bench.sh', '--seed', '4');
    expect(reseeded.code).toBe(exitCodes.userError);
    expect(reseeded.stderr).toMatch(/this comparison was started with --seed 3; got --seed 4/);
    const flipped = await kbisect('compare', r.shas[0] as string, r.shas[11] as string, '--cmd', 'bash bench.sh', '--lower-is-better');
    expect(flipped.code).toBe(exitCodes.userError);
    expect(flipped.stderr).toMatch(/started judging "higher is better"; got "lower is better"/);
    expect(lines(join(json.logDir, 'events.jsonl'))).toHaveLength(json.boots.a + json.boots.b);
  }, 120_000);

  it('with --lower-is-better the same drop is "better"', async () => {
    const run = await kbisect('compare', r.shas[1] as string, r.shas[9] as string, '--cmd', 'bash bench.sh', '--lower-is-better', '--seed', '3', '--min-effect', '0.05', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ outcome: 'different', verdict: 'better' });
  }, 120_000);

  it('two commits without a step are the same within ±5%: exit 3, and an HTML report with both distributions', async () => {
    const html = join(r.dir, 'same.html');
    const run = await kbisect('compare', r.shas[0] as string, r.shas[1] as string, '--cmd', 'bash bench.sh', '--seed', '5', '--min-effect', '0.05', '--html', html);
    expect(run.error).toBeUndefined();
    expect(run.code).toBe(exitCodes.inconclusive);
    expect(run.stdout).toMatch(/^kbisect compare: same\n/);
    expect(run.stdout).toMatch(/A and B are the same within ±5\.0%/);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/<span class="badge good">same<\/span>/);
    expect(page.match(/<circle /g)?.length).toBeGreaterThanOrEqual(12);
  }, 120_000);

  it.each([
    [['HEAD', 'HEAD~0', '--cmd', 'bash bench.sh'], /expected two different commits, got 'HEAD' and 'HEAD~0', which are both [0-9a-f]{12}/],
    [['nosuch', 'HEAD', '--cmd', 'bash bench.sh'], /unknown revision 'nosuch'/],
    [['HEAD~1', 'HEAD', '--cmd', 'bash bench.sh', '--profile', 'tcp-rr'], /expected either --profile or --cmd, got both/],
    [['HEAD~1', 'HEAD'], /expected --profile NAME .* or --cmd SCRIPT .*, got neither/],
    [['HEAD~1', '--cmd', 'bash bench.sh'], /expected two revisions A and B, got only HEAD~1/],
    [['--kernel', 'bench.sh', '--profile', 'tcp-rr'], /--kernel: expected two images \(--kernel A --kernel B\), got 1/],
    [['HEAD~1', 'HEAD', '--kernel', 'a', '--kernel', 'b', '--profile', 'tcp-rr'], /expected two revisions or two --kernel images, got both/],
    [['--kernel', 'bench.sh', '--kernel', 'level', '--cmd', 'true'], /--kernel boots kernel images with a profile; --cmd runs a command on revisions/],
    [['HEAD~1', 'HEAD', '--cmd', 'bash bench.sh', '--alpha', '0.9', '--max-boots', '1'], /--alpha option to be a number in \(0, 0\.5\), got `0\.9`[^]*--max-boots option to be an integer ≥ 2, got `1`/],
    [['HEAD~1', 'HEAD', '--cmd', '  '], /--cmd: expected a shell command, got an empty string/],
  ])('refuses %j (exit 2) and logs nothing', async (args, message) => {
    const before = logDirs();
    const run = await kbisect('compare', ...args);
    expect(run.error).toBeInstanceOf(UserError);
    expect(run.code).toBe(exitCodes.userError);
    expect(run.stderr).toMatch(message);
    expect(logDirs()).toEqual(before);
  });

  it('kill -9 in the middle, a torn last line, then the same command resumes: every logged sample kept, first and unchanged', async () => {
    const command = 'sleep 0.3; bash bench.sh';
    const args = ['-C', r.repo, 'compare', r.shas[2] as string, r.shas[10] as string, '--cmd', command, '--seed', '9', '--min-effect', '0.05'];
    const child = spawn(process.execPath, [cli, ...args], { env: process.env, stdio: 'ignore' });
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    let events = '';
    for (let i = 0; i < 600; i++) {
      const dir = logDirs().find((d) => d.startsWith((r.shas[2] as string).slice(0, 12)));
      events = dir === undefined ? '' : join(compareRoot(), dir, 'events.jsonl');
      if (lines(events).length >= 4) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    child.kill('SIGKILL');
    expect(await exited).toBeNull();
    const before = lines(events);
    expect(before.length).toBeGreaterThanOrEqual(4);
    // a crash in the middle of an append leaves a line without its end
    appendFileSync(events, '{"kind":"event","at":"2026-');

    const resumed = await kbisect('compare', r.shas[2] as string, r.shas[10] as string, '--cmd', command, '--min-effect', '0.05', '--json');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`resuming: ${before.length} events already logged`);
    expect(resumed.stderr).toMatch(/cut short by a crash/);
    const after = lines(events);
    expect(after.length).toBeGreaterThan(before.length);
    expect(after.slice(0, before.length)).toEqual(before);
    const json = JSON.parse(resumed.stdout) as CompareJson;
    expect(json).toMatchObject({ outcome: 'different', verdict: 'worse', seed: 9 });
    expect(after).toHaveLength(json.boots.a + json.boots.b);
    expect(after.every((l) => JSON.parse(l) as unknown)).toBe(true);
  }, 120_000);

  it("a bisection of the same pair and command takes the comparison's samples as its calibration", async () => {
    const good = r.shas[0] as string;
    const bad = r.shas[11] as string;
    const compared = await compareSamplesFor(r.repo, good, bad, measurementKeyOf({ mode: 'command', command: 'bash bench.sh' } as MeasuredSession));
    expect(compared.length).toBeGreaterThanOrEqual(12);
    expect(new Set(compared.map((e) => e.event.commit))).toEqual(new Set([good, bad]));
    // another command measured something else: nothing to take
    expect(await compareSamplesFor(r.repo, good, bad, measurementKeyOf({ mode: 'command', command: './other.sh' } as MeasuredSession))).toEqual([]);

    const notes: string[] = [];
    await startBisection({ repo: r.repo, good, bad, command: 'bash bench.sh', minEffect: 0.05, onNote: (t) => notes.push(t) });
    const paths = await sessionPaths(r.repo);
    expect(notes).toEqual([`calibration starts from the ${compared.length} boots of GOOD and BAD that \`kbisect compare\` measured`]);
    const { result } = await runBisection({ repo: r.repo });
    expect(result.culprit?.commit).toBe(r.shas[CULPRIT]);
    const log = lines(join(paths.dir, 'events.jsonl')).map((l) => JSON.parse(l) as unknown);
    expect(log.slice(0, compared.length)).toEqual(compared);
    // calibration's first look was taken on the re-used samples alone, before any new GOOD or BAD run
    expect(result.steps[0]?.phase).toBe('calibrate');
    expect(result.steps[0]?.boots).toBeLessThanOrEqual(compared.length);
    await resetBisection(r.repo);
  }, 120_000);

  it("a comparison measured long ago, or by a clock in the future, is not taken: calibration measures afresh and says why", async () => {
    const good = r.shas[0] as string;
    const bad = r.shas[11] as string;
    const compared = await compareSamplesFor(r.repo, good, bad, measurementKeyOf({ mode: 'command', command: 'bash bench.sh' } as MeasuredSession));
    const newest = Math.max(...compared.map((e) => Date.parse(e.at)));
    const session = await startBisection({ repo: r.repo, good, bad, command: 'bash bench.sh', minEffect: 0.05, onNote: () => undefined });
    const paths = await sessionPaths(r.repo);
    const logged = lines(join(paths.dir, 'events.jsonl')).length;
    // the age rule: at most COMPARE_REUSE_MAX_AGE_MS after the newest boot, and never before it by more than a minute
    expect(await seedBisectionFromCompare(paths, session, { now: newest + COMPARE_REUSE_MAX_AGE_MS + 1000 })).toEqual({ seeded: 0, stale: { boots: compared.length, ageMs: COMPARE_REUSE_MAX_AGE_MS + 1000 } });
    expect(await seedBisectionFromCompare(paths, session, { now: newest - 5 * 60_000 })).toEqual({ seeded: 0, stale: { boots: compared.length, ageMs: Number.NaN } });
    expect(lines(join(paths.dir, 'events.jsonl'))).toHaveLength(logged);
    await resetBisection(r.repo);

    // the same comparison, its boots logged two hours ago: `start` leaves them and says so
    const root = join(r.repo, '.git', 'kbisect', 'compare');
    const twoHoursAgo = (at: string): string => new Date(Date.parse(at) - 2 * 3600_000).toISOString();
    for (const name of readdirSync(root)) {
      const file = join(root, name, 'events.jsonl');
      if (!existsSync(file)) continue;
      const shifted = lines(file).map((l) => JSON.stringify({ ...(JSON.parse(l) as { at: string }), at: twoHoursAgo((JSON.parse(l) as { at: string }).at) }));
      writeFileSync(file, `${shifted.join('\n')}\n`);
    }
    const notes: string[] = [];
    await startBisection({ repo: r.repo, good, bad, command: 'bash bench.sh', minEffect: 0.05, onNote: (t) => notes.push(t) });
    expect(lines(join(paths.dir, 'events.jsonl'))).toEqual([]);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(new RegExp(`^not taking the ${compared.length} boots of an earlier \`kbisect compare\` of this pair: its newest was measured 2h0\\dm ago, more than 30 min`));
    await resetBisection(r.repo);
  }, 60_000);
});
