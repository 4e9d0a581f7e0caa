// Baseline (a): `git bisect run` with the script people write by hand — boot
// five times, average, call the commit bad below a threshold halfway between
// GOOD's and BAD's own five-boot means. A build that fails exits 125 (skip).

import { nextUniform, type Rng } from '../../src/core/rng.ts';
import { createSimHost, type History, type SimHost } from './history.ts';
import type { MethodOutcome } from './outcome.ts';

const BOOTS_PER_COMMIT = 5;

interface Measured {
  readonly mean: number | null;
  readonly boots: number;
}

// Mean of five boots' mean throughput; a boot that fails is retried once.
function measureFiveBoots(host: SimHost, index: number): Measured {
  const values: number[] = [];
  let boots = 0;
  while (values.length < BOOTS_PER_COMMIT) {
    let outcome = host.boot(index);
    if (outcome.kind === 'boot-failed') outcome = host.boot(index);
    if (outcome.kind !== 'boot') return { mean: null, boots };
    boots++;
    values.push(outcome.runs.reduce((a, b) => a + b, 0) / outcome.runs.length);
  }
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, boots };
}

// git's choice when the midpoint is skipped: a nearby testable commit.
function pickTestable(lo: number, hi: number, skipped: ReadonlySet<number>, rng: Rng): number | null {
  const mid = Math.floor((lo + hi) / 2);
  const open: number[] = [];
  for (let i = lo + 1; i < hi; i++) if (!skipped.has(i)) open.push(i);
  if (open.length === 0) return null;
  if (!skipped.has(mid)) return mid;
  // git bisect skips "away" from untestable commits with a PRNG bias; nearest with a coin flip is close enough.
  open.sort((a, b) => Math.abs(a - mid) - Math.abs(b - mid) || (nextUniform(rng) < 0.5 ? -1 : 1));
  return open[0] ?? null;
}

// `host`: where boots come from (default: the history's simulated host; bench:trace replays recorded boots).
export function runGitBisectFixed(history: History, rng: Rng, host: SimHost = createSimHost(history, rng)): MethodOutcome {
  const last = history.commits.length - 1;
  const good = measureFiveBoots(host, 0);
  const bad = measureFiveBoots(host, last);
  let boots = good.boots + bad.boots;
  let builds = 2;
  let testedCommits = 0;
  const threshold = ((good.mean ?? 0) + (bad.mean ?? 0)) / 2;
  const skipped = new Set<number>();
  let lo = 0;
  let hi = last;
  for (;;) {
    const next = pickTestable(lo, hi, skipped, rng);
    if (next === null) break;
    builds++;
    const m = measureFiveBoots(host, next);
    boots += m.boots;
    if (m.boots > 0) testedCommits++;
    if (m.mean === null) skipped.add(next);
    else if (m.mean < threshold) hi = next;
    else lo = next;
  }
  // "There are only 'skip'ped commits left to test": git names the range.
  const testBoots = boots - good.boots - bad.boots;
  return { claim: { first: lo + 1, last: hi, confident: true }, boots, builds, testBoots, testedCommits, warnedPartial: false };
}
