// Generic mode for real: `start --cmd` + `run` on a real git repository whose
// benchmark script prints a noisy number that drops by 20% at one commit.
// Real git, real worktrees, real processes; seconds, not minutes.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetBisection, runBisection, startBisection } from '../../src/app/bisect.ts';
import { countBuildSlots } from '../../src/app/build-cache.ts';
import { UserError } from '../../src/core/errors.ts';
import { isolateKbisectDirs, makeBenchRepo, type BenchRepo } from '../helpers/bench-repo.ts';

const CULPRIT = 8;
const gitWorktrees = (repo: string): number => execFileSync('git', ['-C', repo, 'worktree', 'list', '--porcelain'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('worktree ')).length;
let r: BenchRepo;
let restore: () => void;

beforeAll(() => {
  r = makeBenchRepo({ commits: 12, culprit: CULPRIT, prefix: 'kbisect-cmd-' });
  restore = isolateKbisectDirs(r.dir);
});

afterAll(async () => {
  await resetBisection(r.repo).catch(() => undefined);
  restore();
  r.remove();
});

describe('generic mode (--cmd)', () => {
  it("finds the commit where the command's number dropped, with reference runs of GOOD and BAD among the others", async () => {
    const { repo, shas } = r;
    await startBisection({ repo, good: shas[0] as string, bad: shas[11] as string, command: 'bash bench.sh', minEffect: 0.05 });
    const { result } = await runBisection({ repo });
    expect(result.outcome).toBe('culprit');
    expect(result.culprit?.commit).toBe(shas[CULPRIT]);
    expect(result.culprit?.probability).toBeGreaterThanOrEqual(0.95);
    expect(result.change?.ratio).toBeCloseTo(0.8, 1);
    // once bisecting, GOOD or BAD is run again among the other commits' runs:
    // after every 2 while the host may drift, spaced out (up to 32) while it shows none
    const log = readFileSync(join(repo, '.git', 'kbisect', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event?: { commit: string } });
    const order = log.flatMap((l) => (l.event ? [l.event.commit] : []));
    const firstOther = order.findIndex((c) => c !== shas[0] && c !== shas[11]);
    const isEndpoint = (c: string) => c === shas[0] || c === shas[11];
    expect(result.referenceBoots ?? 0).toBeLessThanOrEqual(order.slice(firstOther).filter(isEndpoint).length);
    let run = 0;
    for (const c of order.slice(firstOther)) {
      run = isEndpoint(c) ? 0 : run + 1;
      expect(run).toBeLessThanOrEqual(32);
    }
    // reset ends the bisection but keeps the tree's build slot (worktree), so the next bisection starts warm
    const slots = await countBuildSlots(repo);
    expect(slots).toBeGreaterThanOrEqual(1);
    await expect(resetBisection(repo)).resolves.toMatchObject({ hadSession: true, worktreesRemoved: 0, worktreesKept: slots });
    expect(await countBuildSlots(repo)).toBe(slots);
    expect(gitWorktrees(repo)).toBeGreaterThan(1);
    // --work removes them, and git forgets the worktrees
    await expect(resetBisection(repo, { work: true })).resolves.toMatchObject({ hadSession: false, worktreesRemoved: slots, worktreesKept: 0 });
    expect(await countBuildSlots(repo)).toBe(0);
    expect(gitWorktrees(repo)).toBe(1);
  }, 120_000);

  it.each([
    [{ referenceEvery: -1 }, /--reference-every option to be an integer ≥ 0/],
    [{ minEffect: 5 }, /--min-effect option to be a number in \(0, 1\)/],
    [{ confidence: 0.3 }, /--confidence option to be a number in \(0.5, 1\)/],
  ])('refuses %j before anything starts, naming the option', async (settings, message) => {
    const error = await startBisection({ repo: r.repo, good: r.shas[0] as string, bad: r.shas[11] as string, command: 'bash bench.sh', ...settings }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(message);
    await expect(resetBisection(r.repo)).resolves.toMatchObject({ hadSession: false });
  });
});
