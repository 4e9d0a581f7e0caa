// Data shapes of a sweep: what is stored per boot, what a series and an alert
// look like once built from the store, and the input of the reports. Plain
// JSON throughout, so the report renderers are pure functions of one value.
import type { Alert, AlertState } from './alerts.ts';
import type { ChangeDirection, ChangeKind } from './detect.ts';

export type SweepMode = 'kernel' | 'command';
/** 'none': generic mode, no guest. */
export type SweepAccel = 'kvm' | 'tcg' | 'none';

export interface SweepTest {
  readonly name: string;
  readonly metric: string;
  readonly unit: string;
  readonly higherIsBetter: boolean;
}

/** The host a series was measured on (kernel mode: measureKernel's fingerprint; command mode: the same facts, accel 'none'). */
export interface SweepHost {
  /** The fingerprint: hashes CPU model, host kernel, QEMU, netperf and the accelerator; a new one starts an epoch. */
  readonly id: string;
  /** The machine (its hostname): a series is per machine, its epochs per fingerprint. */
  readonly machine: string;
  readonly cpuModel: string;
  readonly hostKernel: string;
  readonly qemuVersion: string;
  readonly accel: SweepAccel;
}

/** One line of results/HOST/SHA.jsonl: a boot (or one command run), or why there is none. */
export interface SweepBootRecord {
  readonly v: 1;
  /** 'point': the commit measured as a point of the series; 'reference': a drift reference boot. */
  readonly role: 'point' | 'reference';
  readonly sha: string;
  /** Id of the sweep run that took it (runs are numbered in the sweep's runs.jsonl). */
  readonly run: number;
  /** Position in time across the whole sweep: run × 1e6 + order within the run. */
  readonly seq: number;
  readonly at: string;
  readonly host: SweepHost;
  readonly outcome:
    | { readonly kind: 'boot'; readonly runs: readonly number[]; readonly value: number }
    | { readonly kind: 'build-failed' | 'boot-failed' | 'skip'; readonly reason: string };
}

export interface SeriesBoot {
  /** The boot's median of its runs. */
  readonly value: number;
  readonly seq: number;
  readonly run: number;
  readonly at: string;
}

export interface SeriesPoint {
  readonly sha: string;
  readonly subject: string;
  readonly author: string;
  readonly date: string;
  /** Position in the series (commit order, oldest first). */
  readonly index: number;
  readonly epoch: number;
  readonly boots: readonly SeriesBoot[];
  /** Median of the boot medians, raw units; null when nothing was measured. */
  readonly raw: number | null;
  /** raw × (reference level overall / reference level nearest in time); what detection uses (log). */
  readonly adjusted: number | null;
  /** The reference level (median of the nearest reference boots) this point was divided by; null without reference boots. */
  readonly referenceLevel: number | null;
  /** Build or boot failures that left no number (after three tries the commit is skipped). */
  readonly failures: readonly string[];
  /** True when the commit is given up on (three failures). */
  readonly skipped: boolean;
  /** Set aside by the spike screen. */
  readonly excluded: boolean;
  /** True for the series' reference commit. */
  readonly isReference: boolean;
}

export interface SeriesEpoch {
  /** Point indices [start, end). */
  readonly start: number;
  readonly end: number;
  readonly reason: 'first' | 'host' | 'history';
  readonly host: SweepHost;
  /** For a history epoch: the first commit after the rewrite. */
  readonly note: string;
}

export interface SeriesChangePoint {
  readonly kind: ChangeKind;
  readonly direction: ChangeDirection;
  readonly index: number;
  readonly lastBeforeIndex: number;
  readonly firstAfterIndex: number;
  readonly relativeChange: number;
  readonly relativeChangeCi: readonly [number, number];
  readonly pValue: number;
}

/** How one host's reference boots adjusted its points (series.ts chooseDriftModel). */
export interface SeriesDrift {
  readonly hostId: string;
  /** none: the host's overall reference level; per-run: each run's own; interpolated: the level nearest in time. */
  readonly model: 'none' | 'per-run' | 'interpolated';
  /** One-sided p of the drift test on the reference boots (rank von Neumann); ≥ 0.05: none. */
  readonly driftP: number;
  /** Median |log residual| of a reference boot predicted from the others, per model (NaN: no drift, not computed). */
  readonly spread: { readonly none: number; readonly perRun: number; readonly interpolated: number };
  readonly referenceBoots: number;
}

export interface SeriesView {
  /** (machine, profile hash, test, metric), as alerts name it. */
  readonly key: string;
  /** The newest fingerprint of the series' machine (each epoch names its own). */
  readonly host: SweepHost;
  readonly test: SweepTest;
  readonly referenceSha: string;
  readonly referenceBoots: readonly SeriesBoot[];
  /** Per host fingerprint: which reference adjustment its points got. */
  readonly drift: readonly SeriesDrift[];
  readonly points: readonly SeriesPoint[];
  readonly epochs: readonly SeriesEpoch[];
  readonly changePoints: readonly SeriesChangePoint[];
  /** Robust σ of one point on the log scale, per the detector. */
  readonly noiseSigma: number;
}

export interface SideSummary {
  readonly sha: string;
  readonly subject: string;
  readonly mean: number;
  /** Sample standard deviation as % of the mean (LKP's %stddev). */
  readonly stddevPercent: number;
  readonly n: number;
}

export interface AlertHistoryEntry {
  readonly at: string;
  readonly state: AlertState;
  readonly note: string;
}

export interface AlertConfirmation {
  /** F/L ratio of medians with its CI, and the one-sided p of the calibration test. */
  readonly ratio: number;
  readonly ci: readonly [number, number];
  readonly p: number | null;
  readonly bootsBefore: number;
  readonly bootsAfter: number;
  readonly confirmed: boolean;
}

export interface AlertBisection {
  readonly outcome: 'running' | 'culprit' | 'range' | 'no-regression' | 'inconclusive';
  readonly culprit: { readonly sha: string; readonly subject: string; readonly author: string; readonly probability: number } | null;
  readonly range: { readonly first: string; readonly last: string; readonly count: number; readonly probability: number } | null;
  /** Culprit's parent → culprit (or L → F): ratio with CI. */
  readonly change: { readonly ratio: number; readonly ci: readonly [number, number]; readonly before: number; readonly after: number } | null;
  readonly boots: number;
  readonly builds: number;
  /** Directory of the bisection session (session.json, events.jsonl, report.json, report.html). */
  readonly sessionDir: string;
  /** Its text report, as `kbisect report` prints it. */
  readonly summaryText: string;
}

/** An alert with what the report needs to show it. */
export interface AlertView extends Alert {
  readonly raisedAt: string;
  readonly updatedAt: string;
  readonly lastGood: { readonly sha: string; readonly subject: string };
  readonly firstBad: { readonly sha: string; readonly subject: string; readonly author: string };
  /** Commits in (L, F]. */
  readonly commitsInRange: number;
  /** `ignore --why` text, or why it was not reproduced. */
  readonly why: string | null;
  readonly history: readonly AlertHistoryEntry[];
  readonly confirmation: AlertConfirmation | null;
  readonly bisection: AlertBisection | null;
  /** LKP's "%stddev %change %stddev": the fresh L and F boots when confirmed, else the series points' boots. */
  readonly before: SideSummary | null;
  readonly after: SideSummary | null;
  /** Shell commands that reproduce the finding (kbisect start/run, or the sweep's confirmation). */
  readonly reproduce: readonly string[];
}

export interface SweepRunSummary {
  readonly run: number;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly mode: 'new' | 'range';
  readonly measured: number;
  readonly hostId: string | null;
  readonly head: string | null;
}

export interface SweepReportInput {
  readonly generatedAt: string;
  readonly sweep: {
    readonly id: string;
    readonly repo: string;
    readonly branch: string;
    readonly mode: SweepMode;
    readonly profile: { readonly name: string; readonly hash: string } | null;
    readonly command: string | null;
    readonly test: SweepTest;
    readonly bootsPerCommit: number;
  };
  readonly series: readonly SeriesView[];
  readonly alerts: readonly AlertView[];
  readonly runs: readonly SweepRunSummary[];
}
