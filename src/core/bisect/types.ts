// Data shapes of the bisection state machine. Everything here is plain JSON:
// a state survives JSON.stringify/parse unchanged, and an event log replays.

import type { Verdict, VerdictKind } from '../verdict.ts';
import type { BisectConfig } from './config.ts';

export type Phase = 'calibrate' | 'bisect' | 'verify';

export type BisectEvent =
  /**
   * One boot's k netperf values on the judged metric; summarised as their
   * median. `host`: the measurement host it ran on, required when the
   * bisection has several (BisectInput.hosts), ignored with one.
   */
  | { readonly kind: 'boot'; readonly commit: string; readonly runs: readonly number[]; readonly host?: string }
  | { readonly kind: 'build-failed'; readonly commit: string; readonly reason: string }
  | { readonly kind: 'boot-failed'; readonly commit: string; readonly reason: string }
  /** The user's `kbisect skip`: never measure this commit. */
  | { readonly kind: 'skip'; readonly commit: string; readonly reason: string }
  /** The user's `kbisect good|bad`: a verdict taken as certain. */
  | { readonly kind: 'mark'; readonly commit: string; readonly as: 'good' | 'bad' };

export type Action =
  /**
   * `reference`: a boot of GOOD or BAD taken among the tested commits' boots
   * to follow the host's drift. `host` (several hosts only): the host that
   * must run it; each host gets at most one measure action at a time.
   */
  | { readonly kind: 'measure'; readonly commit: string; readonly boots: number; readonly phase: Phase; readonly reference?: boolean; readonly host?: string }
  /** A hint: this commit will probably be measured soon, build it now if a builder is idle. */
  | { readonly kind: 'build'; readonly commit: string; readonly speculative: boolean }
  | { readonly kind: 'done'; readonly result: BisectResult };

export interface CommitRecord {
  /** Median of each boot's runs, in arrival order. */
  readonly boots: number[];
  /** When each boot arrived: the state's event count then (a clock for drift). */
  readonly times: number[];
  /** Runs received over all boots (k per boot). */
  runs: number;
  /** Build or boot failures since the last successful boot. */
  failureStreak: number;
  failures: number;
  lastFailure: string | null;
  skipped: string | null;
  mark: 'good' | 'bad' | null;
  /** Sequential tests started on this commit (a commit can be re-examined). */
  rounds: number;
}

export interface CurrentTest {
  readonly index: number;
  /** Boots the commit had when this round began; the round's SPRT uses the rest. */
  readonly bootsAtStart: number;
}

export interface CalibrationRecord {
  /** Index into computeCalibrationSchedule(config) (under rules 1, computeCalibrationLooks). */
  look: number;
  status: 'running' | 'confirmed';
  /** Once confirmed: boots per endpoint needed to pin their levels down before bisecting. */
  precisionBoots: number | null;
}

export interface VerifyTarget {
  readonly before: number;
  readonly after: number;
  /** Fresh interleaved pairs required before the next sandwich evaluation. */
  target: number;
  /** Boots per side when verification began (fresh boots follow). */
  readonly startBefore: number;
  readonly startAfter: number;
  /** Rules 2: fresh pairs per side the sandwich may take at most (its budget). */
  readonly cap?: number;
  /** Result of the sandwich once decided; then the residual check runs. */
  sandwich: { readonly confirmed: boolean; readonly p: number } | null;
  /** Extra interleaved boots of an endpoint and the culprit's neighbour on its side. */
  residual: {
    readonly side: 'before' | 'after';
    readonly first: number;
    readonly second: number;
    readonly startFirst: number;
    readonly startSecond: number;
    readonly target: number;
  } | null;
  /**
   * Per side, whether the culprit leaves part of GOOD→BAD unexplained (null:
   * not looked at yet). 'not-shown' (rules 2): a residual that looked
   * material stopped within its budget without a finding either way.
   */
  residualFound: { before: ResidualFinding; after: ResidualFinding };
}

export type ResidualFinding = boolean | 'not-shown' | null;

export interface VerificationRecord {
  readonly before: number;
  readonly after: number;
  readonly confirmed: boolean;
  readonly p: number;
  /** null (rules 2): a residual that looked material was not shown either way. */
  readonly explainsFullChange: boolean | null;
  readonly explainedFraction: number;
}

export type Outcome = 'culprit' | 'range' | 'no-regression' | 'inconclusive';

export interface FinalRecord {
  readonly outcome: Outcome;
  /** Candidate block (commit indices) the result names, if any. */
  readonly first: number | null;
  readonly last: number | null;
  readonly probability: number | null;
}

export interface Step {
  readonly index: number;
  readonly commit: string;
  readonly phase: Phase;
  readonly verdict: VerdictKind;
  readonly boots: number;
  /** Median of the commit's boots; calibration: ratio BAD/GOOD, verification: culprit/parent. */
  readonly estimate: number | null;
  readonly ci: readonly [number, number] | null;
  readonly llr: number | null;
  /** One-sided p-value, for calibration and verification steps. */
  readonly p: number | null;
  readonly leader: string | null;
  /** Posterior of the leading candidate after this step. */
  readonly leaderProbability: number | null;
  readonly note: string;
}

export interface BisectState {
  readonly version: 1;
  readonly commits: readonly string[];
  readonly config: BisectConfig;
  phase: Phase | 'done';
  /** Keyed by commit index (as a string, JSON's only key type). */
  records: Record<string, CommitRecord>;
  calibration: CalibrationRecord;
  current: CurrentTest | null;
  verify: VerifyTarget | null;
  verification: VerificationRecord | null;
  /** Commits whose sequential test hit maxBootsPerCommit undecided; not chosen again. */
  exhausted: number[];
  steps: Step[];
  warnings: string[];
  final: FinalRecord | null;
  events: number;
  /** Boots of GOOD or BAD taken to follow drift while bisecting or verifying (references.ts). */
  referenceBoots: number;
  /** Boots of other commits before the next reference boot is due (rules 2; references.ts). */
  referenceSpacing: number;
  /** Several measurement hosts (hosts.ts); absent with one, whose state is as it always was. */
  hosts?: HostsState;
}

/** One host's boots of one commit. */
export interface HostBoots {
  /** Median of each boot's runs, in arrival order. */
  readonly boots: number[];
  /** The state's event count at each boot. */
  readonly times: number[];
  runs: number;
}

export interface HostsState {
  /** Measurement hosts, in the order the caller listed them. */
  readonly names: readonly string[];
  /** Per host, its boots by commit index: the only values ever compared, and only within the host. */
  boots: Record<string, Record<string, HostBoots>>;
  /** Per host, the sequential test it runs now (bisect phase), or null. */
  tests: Record<string, CurrentTest | null>;
  /** Per host, the reference spacing of references.ts (its own drift). */
  referenceSpacing: Record<string, number>;
  /** The host verification runs on, once it started. */
  verifyHost: string | null;
  /** A sandwich started on one host while the others still bisect (hosts-early-verify.ts), or null. */
  early: EarlyVerify | null;
}

/** The parent/culprit pair a host boots, interleaved, before the posterior is confident of it. */
export interface EarlyVerify {
  readonly host: string;
  readonly before: number;
  readonly after: number;
  /** The host's boots of `before` and `after` when the pair was named: later ones are fresh. */
  readonly startBefore: number;
  readonly startAfter: number;
}

/**
 * One host's GOOD→BAD gap, measured on that host alone: its boots of GOOD
 * and BAD and, once calibrated, of the commits the posterior places firmly
 * on either side.
 */
export interface HostGap {
  readonly host: string;
  /** Ratio BAD/GOOD (exp of the Hodges–Lehmann log shift) and its CI. */
  readonly ratio: number;
  readonly ci: readonly [number, number];
  /** Boots on the GOOD side and on the BAD side the gap rests on. */
  readonly goodBoots: number;
  readonly badBoots: number;
}

export interface HostsSummary {
  readonly names: readonly string[];
  /** Every host's own GOOD→BAD gap. */
  readonly gaps: readonly HostGap[];
  /** Host × commit interaction: do the hosts' gaps differ by more than their noise? */
  readonly interaction: {
    /** p-value of the heterogeneity F-test (Cochran's Q; stats/stratified.ts). */
    readonly p: number;
    readonly found: boolean;
    /** The host whose gap lies furthest from the others' (null without a finding). */
    readonly host: string | null;
  };
  /** Where verification ran. */
  readonly verifyHost: string | null;
}

export interface ChangeEstimate {
  /** Median of the first side (GOOD, or the culprit's parent). */
  readonly good: number;
  /** Median of the second side (BAD, or the culprit). */
  readonly bad: number;
  readonly ratio: number;
  /** Bootstrap CI of the ratio of medians. */
  readonly ci: readonly [number, number];
  readonly goodBoots: number;
  readonly badBoots: number;
}

export interface BisectResult {
  readonly outcome: Outcome | 'running';
  readonly culprit: { readonly commit: string; readonly probability: number } | null;
  readonly range?: { readonly first: string; readonly last: string; readonly commits: readonly string[]; readonly probability: number };
  readonly change: ChangeEstimate | null;
  readonly culpritChange: ChangeEstimate | null;
  readonly explainsFullChange: boolean | null;
  readonly steps: readonly Step[];
  readonly boots: number;
  /** Of those boots, the reference boots of GOOD or BAD taken to follow drift. */
  readonly referenceBoots?: number;
  readonly builds: number;
  /** Per candidate commits[1..], the probability of being the first bad commit. */
  readonly posterior: readonly number[];
  readonly warnings: readonly string[];
  readonly powerEstimate?: { readonly bootsNeeded: number; readonly bootsPerEndpoint: number; readonly forEffect: number; readonly power: number };
  readonly seed: number;
  /** Several hosts only: each host's gap and whether they disagree. */
  readonly hosts?: HostsSummary;
}

export interface PosteriorRow {
  readonly index: number;
  readonly commit: string;
  readonly probability: number;
  readonly status: 'measured' | 'skipped' | 'marked' | 'unmeasured';
  readonly boots: number;
  /** What the evidence says about this commit so far; null if never attempted. */
  readonly verdict: Verdict | null;
}
