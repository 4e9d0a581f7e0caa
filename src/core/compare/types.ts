// Data shapes of `kbisect compare A B`: its settings, the state its log of
// boots folds into, and the report. Plain JSON throughout, like the bisection's.
import type { Direction } from '../bisect/config.ts';
import type { ChangeEstimate } from '../bisect/types.ts';

export type CompareOutcome = 'different' | 'same' | 'inconclusive';
export type CompareSide = 'a' | 'b';
// Which way B moved from A on the judged metric, when it differs.
export type CompareVerdict = 'worse' | 'better';

export interface CompareSettings {
  /** Seed of the order of each interleaved pair and of the bootstrap CIs. */
  readonly seed: number;
  /** Family-wise chance of calling A and B different when they are not (both directions together). */
  readonly alpha: number;
  /** Smallest relative change that matters: a CI inside ±minEffect means "same". */
  readonly minEffect: number;
  /** Boots per side at the first look (later looks: ×1.5 each): the bisection config field it sets. */
  readonly calibrationBoots: number;
  /** Boots per side after which the comparison gives up: inconclusive. */
  readonly maxBootsPerSide: number;
  /** "Worse" for the judged metric: lower-is-worse for throughput, higher-is-worse for latency. */
  readonly direction: Direction;
  /** Level of the change CIs in the report. */
  readonly confidence: number;
}

export interface SideRecord {
  /** Median of each boot's judged runs, in arrival order. */
  readonly boots: number[];
  failures: number;
  failureStreak: number;
  lastFailure: string | null;
  /** The user's command asked to skip this side (exit 125): it cannot be measured. */
  skipped: string | null;
}

export interface LookRecord {
  /** Index into the looks, from 0. */
  readonly look: number;
  readonly bootsA: number;
  readonly bootsB: number;
  readonly status: 'different' | 'same' | 'continue' | 'inconclusive';
  /** Two-sided p-value (twice the smaller one-sided Mann–Whitney p). */
  readonly p: number;
  /** Two-sided level of this look. */
  readonly alpha: number;
  /** Hodges–Lehmann log-shift A→B and its CI (level 1 − α of the look). */
  readonly logShift: number;
  readonly logCi: readonly [number, number];
  readonly sigma: number;
}

export interface CompareFinal {
  readonly outcome: CompareOutcome;
  readonly verdict: CompareVerdict | null;
  readonly reason: string;
}

export interface CompareInput {
  /** The ids boot events name: commit shas, or image hashes for --kernel. */
  readonly a: string;
  readonly b: string;
  readonly settings: CompareSettings;
}

export interface CompareState {
  readonly input: CompareInput;
  a: SideRecord;
  b: SideRecord;
  look: number;
  looks: LookRecord[];
  final: CompareFinal | null;
  events: number;
}

export type CompareAction =
  | { readonly kind: 'measure'; readonly side: CompareSide; readonly id: string }
  | { readonly kind: 'done'; readonly final: CompareFinal };

// One of the two things compared, as reports name it.
export interface CompareSubject {
  /** What the user typed: a revision, or an image path. */
  readonly rev: string;
  /** Commit sha, or sha256 of the image. */
  readonly id: string;
  readonly subject: string;
  readonly kind: 'commit' | 'image';
}

export interface MetricChange {
  /** `netperf.TEST.METRIC`, or `command.value`. */
  readonly name: string;
  readonly unit: string;
  readonly higherIsBetter: boolean;
  /** The metric the outcome was decided on. */
  readonly judged: boolean;
  readonly a: readonly number[];
  readonly b: readonly number[];
  /** good = A, bad = B; null while a side has no boots. */
  readonly change: ChangeEstimate | null;
  /** The LKP-style line, or null without a change. */
  readonly line: string | null;
}

export interface CompareReport {
  readonly outcome: CompareOutcome | 'running';
  readonly verdict: CompareVerdict | null;
  readonly reason: string;
  readonly mode: 'kernel' | 'command' | 'image';
  readonly a: CompareSubject;
  readonly b: CompareSubject;
  readonly profile: { readonly name: string; readonly hash: string };
  readonly host: { readonly fingerprint: string; readonly accel: string };
  readonly settings: CompareSettings;
  readonly looks: readonly LookRecord[];
  /** Every look's boots per side, for "look k of n". */
  readonly lookPlan: readonly number[];
  readonly changes: readonly MetricChange[];
  readonly boots: { readonly a: number; readonly b: number };
  readonly failures: { readonly a: number; readonly b: number };
  readonly powerEstimate: { readonly bootsPerEndpoint: number; readonly bootsNeeded: number; readonly forEffect: number; readonly power: number } | null;
  readonly warnings: readonly string[];
  readonly logDir: string;
  readonly wallMs: number | null;
  readonly generatedAt: string;
}
