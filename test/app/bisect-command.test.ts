// Generic mode for real: `start --cmd` + `run` on a real git repository whose
// benchmark script prints a noisy number that drops by 20% at one commit.
// Real git, real worktrees, real processes; seconds, not minutes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetBisection, runBisection, startBisection } from '../../src/app/bisect.ts';
import { UserError } from '../../src/core/errors.ts';

const CULPRIT = 8;
let dir: string;
let repo: string;
let shas: string[];
const savedEnv = { cache: process.env.KBISECT_CACHE_DIR, data: process.env.KBISECT_DATA_DIR };

function git(...args: string[]): string {
  return execFileSync('git', ['-C', repo, '-c', 'user.name=Ada', '-c', 'user.email=ada@example.org', ...args], { encoding: 'utf8' }).trim();
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kbisect-cmd-'));
  repo = join(dir, 'repo');
  process.env.KBISECT_CACHE_DIR = join(dir, 'cache');
  process.env.KBISECT_DATA_DIR = join(dir, 'data');
  execFileSync('git', ['init', '-q', repo]);
  // 100 000 ± 1% before the culprit, 80 000 ± 1% from it on
  writeFileSync(join(repo, 'bench.sh'), 'echo "running the benchmark" >&2\necho $(( $(cat level) * 1000 + RANDOM % 2000 - 1000 ))\n');
  shas = [];
  for (let i = 0; i < 12; i++) {
    writeFileSync(join(repo, 'level'), i >= CULPRIT ? '80\n' : '100\n');
    writeFileSync(join(repo, 'notes'), `change ${i}\n`);
    git('add', '-A');
    git('commit', '-qm', i === CULPRIT ? 'bench: do more work per iteration' : `notes: change ${i}`);
    shas.push(git('rev-parse', 'HEAD'));
  }
});

afterAll(async () => {
  await resetBisection(repo).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
  for (const [key, value] of [['KBISECT_CACHE_DIR', savedEnv.cache], ['KBISECT_DATA_DIR', savedEnv.data]] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

describe('generic mode (--cmd)', () => {
  it('finds the commit where the command\'s number dropped, with reference runs of GOOD and BAD among the others', async () => {
    await startBisection({ repo, good: shas[0] as string, bad: shas[11] as string, command: 'bash bench.sh', minEffect: 0.05 });
    const { result } = await runBisection({ repo });
    expect(result.outcome).toBe('culprit');
    expect(result.culprit?.commit).toBe(shas[CULPRIT]);
    expect(result.culprit?.probability).toBeGreaterThanOrEqual(0.95);
    expect(result.change?.ratio).toBeCloseTo(0.8, 1);
    // once bisecting, GOOD or BAD is run again after every 2 runs of other commits
    const log = readFileSync(join(repo, '.git', 'kbisect', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event?: { commit: string } });
    const order = log.flatMap((l) => (l.event ? [l.event.commit] : []));
    const firstOther = order.findIndex((c) => c !== shas[0] && c !== shas[11]);
    let run = 0;
    for (const c of order.slice(firstOther)) {
      run = c === shas[0] || c === shas[11] ? 0 : run + 1;
      expect(run).toBeLessThanOrEqual(2);
    }
    await resetBisection(repo);
  });

  it.each([
    [{ referenceEvery: -1 }, /--reference-every option to be an integer ≥ 0/],
    [{ minEffect: 5 }, /--min-effect option to be a number in \(0, 1\)/],
    [{ confidence: 0.3 }, /--confidence option to be a number in \(0.5, 1\)/],
  ])('refuses %j before anything starts, naming the option', async (settings, message) => {
    const error = await startBisection({ repo, good: shas[0] as string, bad: shas[11] as string, command: 'bash bench.sh', ...settings }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(message);
    await expect(resetBisection(repo)).resolves.toMatchObject({ hadSession: false });
  });
});
