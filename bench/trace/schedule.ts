// The order `bench:trace:record` boots a range in: rounds, each a seeded
// permutation of the commits, so that host drift spreads evenly over them.
// With `endpointBoots` above `bootsPerCommit`, GOOD (index 0) and BAD (the
// last) get their extra boots spread over the rounds (each round shuffled with
// its extra copies), not appended at the end: kbisect's calibration judges
// the endpoints' own boots, and a replay that runs out of them re-uses
// recorded boots, which tell nothing new.
import { createRng, nextInt } from '../../src/core/rng.ts';

export function recordSchedule(commits: number, bootsPerCommit: number, seed: number, endpointBoots = bootsPerCommit): number[] {
  const ints = [commits, bootsPerCommit, endpointBoots].every((n) => Number.isInteger(n));
  if (!ints || commits < 2 || bootsPerCommit < 1 || endpointBoots < bootsPerCommit) {
    throw new Error(`schedule: expected integers: ≥ 2 commits, ≥ 1 boot each and endpoint boots ≥ boots, got ${commits}, ${bootsPerCommit}, ${endpointBoots}`);
  }
  const rng = createRng(seed);
  const extra = endpointBoots - bootsPerCommit;
  const schedule: number[] = [];
  for (let round = 0; round < bootsPerCommit; round++) {
    const copies = Math.floor(((round + 1) * extra) / bootsPerCommit) - Math.floor((round * extra) / bootsPerCommit);
    const order = Array.from({ length: commits }, (_, i) => i);
    for (let k = 0; k < copies; k++) order.push(0, commits - 1);
    for (let i = order.length - 1; i > 0; i--) {
      const j = nextInt(rng, i + 1);
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    schedule.push(...order);
  }
  return schedule;
}
