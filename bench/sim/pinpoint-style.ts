// Baseline (b): a Pinpoint-style bisector (Chromium catapult,
// dashboard/pinpoint/models). All runs of all attempts are pooled into one
// sample; p = min(p_KS, p_MWU); DIFFERENT at p ≤ 0.01, SAME above a high
// threshold that falls with sample size and magnitude, UNKNOWN in between →
// double the attempts (10 → 160). DIFFERENT neighbours get their midpoint
// inserted; at most 60 builds. A change whose build fails has only failed
// attempts and compares DIFFERENT from one that ran (functional comparison).
//
// Pinpoint's high-threshold table is simulated (1% false negatives); here the
// same criterion uses the normal approximation of the Mann–Whitney statistic.

import { interquartileRange, testKolmogorovSmirnov, testMannWhitney, median, normalQuantile, normalSurvival } from '../../src/core/stats/index.ts';
import type { Rng } from '../../src/core/rng.ts';
import { createSimHost, type History, type SimHost } from './history.ts';
import type { MethodOutcome } from './outcome.ts';

const INITIAL_ATTEMPTS = 10;
const MAX_ATTEMPTS = 160;
const MAX_BUILDS = 60;
const LOW_THRESHOLD = 0.01;
const FALSE_NEGATIVE_RATE = 0.01;
/** IQR of a normal distribution in σ units. */
const IQR_TO_SIGMA = 1.3489795003921634;

type Comparison = 'different' | 'same' | 'unknown';

interface Change {
  readonly index: number;
  attempts: number;
  values: number[];
  failed: boolean;
}

// p-value above which a shift of `magnitude` IQRs would have been seen 99% of the time.
export function computeHighThreshold(magnitudeIqr: number, sampleSize: number): number {
  const noncentrality = magnitudeIqr * IQR_TO_SIGMA * Math.sqrt(sampleSize / 2) * Math.sqrt(3 / Math.PI);
  const z = noncentrality - normalQuantile(1 - FALSE_NEGATIVE_RATE);
  return z <= 0 ? 1 : Math.min(1, 2 * normalSurvival(z));
}

function compare(a: Change, b: Change, magnitude: number): Comparison {
  if (a.failed || b.failed) return a.failed && b.failed ? 'same' : 'different';
  const p = Math.min(testKolmogorovSmirnov(a.values, b.values).p, testMannWhitney(a.values, b.values).p);
  if (p <= LOW_THRESHOLD) return 'different';
  const iqr = interquartileRange([...a.values, ...b.values]);
  const normalized = iqr > 0 ? magnitude / iqr : 1000;
  const high = computeHighThreshold(normalized, Math.min(a.values.length, b.values.length));
  return p > high ? 'same' : 'unknown';
}

// `host`: where boots come from (default: the history's simulated host; bench:trace replays recorded boots).
export function runPinpointStyle(history: History, rng: Rng, host: SimHost = createSimHost(history, rng)): MethodOutcome {
  let boots = 0;
  const bootsOf = new Map<number, number>();
  const addAttempts = (change: Change, count: number): void => {
    for (let i = 0; i < count; i++) {
      change.attempts++;
      const outcome = host.boot(change.index);
      if (outcome.kind === 'build-failed') {
        change.failed = true;
        return;
      }
      if (outcome.kind === 'boot') {
        boots++;
        bootsOf.set(change.index, (bootsOf.get(change.index) ?? 0) + 1);
        change.values.push(...outcome.runs);
      }
    }
  };
  const createChange = (index: number): Change => {
    const change: Change = { index, attempts: 0, values: [], failed: false };
    addAttempts(change, INITIAL_ATTEMPTS);
    return change;
  };
  const last = history.commits.length - 1;
  const changes: Change[] = [createChange(0), createChange(last)];
  // The comparison magnitude Pinpoint gets from the alert: the size of the regression.
  const magnitude = Math.abs(median(changes[0]?.values ?? [1]) - median(changes[1]?.values ?? [1]));
  const resolved = new Map<string, Comparison>();
  let progressed = true;
  while (progressed) {
    progressed = false;
    for (let i = 0; i + 1 < changes.length; i++) {
      const a = changes[i] as Change;
      const b = changes[i + 1] as Change;
      const key = `${a.index}:${b.index}`;
      if (resolved.has(key)) continue;
      let result = compare(a, b, magnitude);
      if (result === 'unknown') {
        const target = Math.min(MAX_ATTEMPTS, 2 * Math.max(a.attempts, b.attempts));
        if (target > Math.max(a.attempts, b.attempts) && !a.failed && !b.failed) {
          addAttempts(a, target - a.attempts);
          addAttempts(b, target - b.attempts);
          progressed = true;
          break;
        }
        result = 'same';
      }
      if (result === 'different' && b.index - a.index > 1 && changes.length < MAX_BUILDS) {
        changes.splice(i + 1, 0, createChange(Math.floor((a.index + b.index) / 2)));
        progressed = true;
        break;
      }
      resolved.set(key, result);
    }
  }
  const culprits: number[] = [];
  for (let i = 0; i + 1 < changes.length; i++) {
    const a = changes[i] as Change;
    const b = changes[i + 1] as Change;
    if (resolved.get(`${a.index}:${b.index}`) === 'different' && b.index - a.index === 1) culprits.push(b.index);
  }
  const candidates = [...bootsOf].filter(([index]) => index !== 0 && index !== last);
  const test = { testBoots: candidates.reduce((n, [, b]) => n + b, 0), testedCommits: candidates.length };
  return { ...scoreCulprits(history, culprits, boots, changes.length), ...test };
}

// Pinpoint lists every culprit it found; the claim is the true one if listed,
// else the first, so that a spurious extra culprit counts as confidently wrong
// only when the truth is missing.
function scoreCulprits(history: History, culprits: readonly number[], boots: number, builds: number): Omit<MethodOutcome, 'testBoots' | 'testedCommits'> {
  if (culprits.length === 0) return { claim: null, boots, builds, warnedPartial: false };
  const hit = culprits.find((c) => c === history.answer);
  const named = hit ?? (culprits[0] as number);
  return { claim: { first: named, last: named, confident: true }, boots, builds, warnedPartial: culprits.length > 1 };
}
