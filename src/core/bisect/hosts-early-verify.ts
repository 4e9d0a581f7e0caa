// Verification started early, with several hosts. Verification runs on one
// host (phase-hosts.ts): its verdict comes from that host's fresh boots of
// the culprit's parent and the culprit alone. Once the posterior's leading
// block is likely (EARLY_START_PROBABILITY), one idle host starts those
// fresh interleaved boots while the others go on bisecting; when the
// posterior reaches the confidence asked for on the same block, the
// verify phase starts with the pairs already booted. Without this the other
// hosts would bisect to the end and then idle while one host verifies.
//
// Sound as the single-host sandwich is: the pair is named before any of its
// fresh boots, so only boots after the naming count (selection bias), and
// the sandwich is evaluated only once the posterior holds the block at the
// confidence asked for, as it is when verification starts late (the
// sandwich's fresh boots weigh in the posterior either way; phase-verify.ts
// sends the bisection on when they move it). When the leader moves or
// weakens (below EARLY_KEEP_PROBABILITY), the early pair is dropped and its
// boots stay what every boot is: evidence in the posterior. Pure.

import type { Block } from './posterior.ts';
import type { BisectState, EarlyVerify, HostsState } from './types.ts';

/** Leading-block probability from which one host starts the sandwich early. */
export const EARLY_START_PROBABILITY = 0.2;
/** Below this the early sandwich is dropped (hysteresis: a leader at the start's threshold is not dropped by one boot). */
export const EARLY_KEEP_PROBABILITY = 0.1;
/** With two hosts, one verifying early would halve the bisection; from three on the others keep most of it. */
export const EARLY_MIN_HOSTS = 3;

// Fresh pairs an early sandwich has on its host.
export function countEarlyPairs(hosts: HostsState, early: EarlyVerify): number {
  const count = (index: number) => hosts.boots[early.host]?.[String(index)]?.boots.length ?? 0;
  return Math.min(count(early.before) - early.startBefore, count(early.after) - early.startAfter);
}

// Whether the early sandwich still stands for `block`.
export function isEarlyFor(early: EarlyVerify | null, block: Block): early is EarlyVerify {
  return early !== null && early.before === block.first - 1 && early.after === block.last;
}

// Keeps, drops or starts the early sandwich for the leading block; called
// while bisecting, after the hosts' tests were advanced and before idle
// hosts get new ones. A host testing a commit is never taken off its test:
// the sandwich starts on an idle host (the verify host once there is one),
// the one with the most boots of GOOD and BAD, ties to the first listed,
// which becomes the verify host: verification runs on one host only.
export function updateEarlyVerification(state: BisectState, hosts: HostsState, block: Block): void {
  const early = hosts.early;
  if (early !== null) {
    const keep = isEarlyFor(early, block) && block.probability >= EARLY_KEEP_PROBABILITY && countEarlyPairs(hosts, early) < state.config.maxVerifyBoots;
    if (keep) return;
    hosts.early = null;
  }
  if (hosts.names.length < EARLY_MIN_HOSTS || block.probability < EARLY_START_PROBABILITY || block.first < 1) return;
  const idle = hosts.names.filter((h) => hosts.tests[h] === null || hosts.tests[h] === undefined);
  const candidates = hosts.verifyHost === null ? idle : idle.filter((h) => h === hosts.verifyHost);
  if (candidates.length === 0) return;
  const last = state.commits.length - 1;
  const endpointBoots = (h: string) => (hosts.boots[h]?.['0']?.boots.length ?? 0) + (hosts.boots[h]?.[String(last)]?.boots.length ?? 0);
  const host = candidates.reduce((best, h) => (endpointBoots(h) > endpointBoots(best) ? h : best));
  const before = block.first - 1;
  const after = block.last;
  const count = (index: number) => hosts.boots[host]?.[String(index)]?.boots.length ?? 0;
  hosts.early = { host, before, after, startBefore: count(before), startAfter: count(after) };
  // every sandwich from now on, early or not, runs on this host
  hosts.verifyHost = host;
}
