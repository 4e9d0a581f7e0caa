// Aggregates per-history outcomes into the benchmark's rows and prints them.

import { quantile } from '../../src/core/stats/index.ts';
import type { History } from './history.ts';
import type { MethodOutcome } from './outcome.ts';

export type MethodName = 'kbisect' | 'git-bisect-fixed' | 'pinpoint-style';

export interface BenchRow {
  readonly scenario: string;
  readonly method: MethodName;
  readonly commits: number;
  readonly d: number;
  readonly histories: number;
  readonly accuracy: number;
  readonly meanBoots: number;
  readonly p95Boots: number;
  readonly meanBuilds: number;
  readonly medianBuilds: number;
  readonly confidentWrongRate: number;
  /** Boots per distinct commit measured (all boots ÷ builds). */
  readonly bootsPerCommit: number;
  /** Boots of the per-commit tests ÷ candidate commits tested (no calibration, no verification). */
  readonly testBootsPerCommit: number;
  /** Share of histories where the method said the change is not fully explained. */
  readonly partialWarningRate: number;
  /** kbisect only (else null): mean boots of calibration, of verification, and reference boots of GOOD/BAD. */
  readonly meanCalibrationBoots: number | null;
  readonly meanVerificationBoots: number | null;
  readonly meanReferenceBoots: number | null;
  /** kbisect, one host (else null): mean speculative builds of commits never measured (what a spare build slot builds in vain). */
  readonly meanUnusedPrefetches: number | null;
  /** kbisect, one host (else null): mean builds that failed; builds less these can reach ⌈log2 N⌉ + 2 at best (each build that boots tells at most one bit). */
  readonly meanFailedBuilds: number | null;
  /** Measurement hosts the method used (1 for every sequential method). */
  readonly hosts: number;
  /** Mean boot slots until done, every host booting at most once per slot (one host: meanBoots). */
  readonly meanWallBoots: number;
  /** Several hosts: share of histories whose result reported a host × commit interaction (else null). */
  readonly interactionRate: number | null;
}

// A claim is right when its range holds the answer; with no regression, right is no claim.
export function isCorrect(history: History, outcome: MethodOutcome): boolean {
  if (history.answer === null) return outcome.claim === null;
  return outcome.claim !== null && outcome.claim.first <= history.answer && history.answer <= outcome.claim.last;
}

export function isConfidentlyWrong(history: History, outcome: MethodOutcome): boolean {
  return outcome.claim !== null && outcome.claim.confident && !isCorrect(history, outcome);
}

// No runs (every bench:trace replay of a row ran out of recorded boots): the means and shares are NaN.
export function aggregate(scenario: string, method: MethodName, commits: number, d: number, runs: readonly { history: History; outcome: MethodOutcome }[], hosts = 1): BenchRow {
  const n = runs.length;
  const q = (values: number[], p: number): number => (n === 0 ? Number.NaN : quantile(values, p));
  const boots = runs.map((r) => r.outcome.boots);
  const builds = runs.map((r) => r.outcome.builds);
  const share = (f: (r: { history: History; outcome: MethodOutcome }) => boolean) => runs.filter(f).length / n;
  const phaseMean = (phase: 'calibrate' | 'verify' | 'reference'): number | null =>
    runs.every((r) => r.outcome.phaseBoots !== undefined) ? runs.reduce((a, r) => a + (r.outcome.phaseBoots?.[phase] ?? 0), 0) / n : null;
  const meanBoots = boots.reduce((a, b) => a + b, 0) / n;
  return {
    scenario,
    method,
    commits,
    d,
    histories: n,
    accuracy: share((r) => isCorrect(r.history, r.outcome)),
    meanBoots,
    p95Boots: q(boots, 0.95),
    meanBuilds: builds.reduce((a, b) => a + b, 0) / n,
    medianBuilds: q(builds, 0.5),
    confidentWrongRate: share((r) => isConfidentlyWrong(r.history, r.outcome)),
    bootsPerCommit: boots.reduce((a, b) => a + b, 0) / builds.reduce((a, b) => a + b, 0),
    testBootsPerCommit: runs.reduce((a, r) => a + r.outcome.testBoots, 0) / Math.max(1, runs.reduce((a, r) => a + r.outcome.testedCommits, 0)),
    partialWarningRate: share((r) => r.outcome.warnedPartial),
    meanCalibrationBoots: phaseMean('calibrate'),
    meanVerificationBoots: phaseMean('verify'),
    meanReferenceBoots: phaseMean('reference'),
    meanFailedBuilds: runs.every((r) => r.outcome.failedBuilds !== undefined) ? runs.reduce((a, r) => a + (r.outcome.failedBuilds ?? 0), 0) / n : null,
    meanUnusedPrefetches: runs.every((r) => r.outcome.unusedPrefetches !== undefined) ? runs.reduce((a, r) => a + (r.outcome.unusedPrefetches ?? 0), 0) / n : null,
    hosts,
    meanWallBoots: hosts === 1 ? meanBoots : runs.reduce((a, r) => a + (r.outcome.wallBoots ?? r.outcome.boots), 0) / n,
    interactionRate: hosts === 1 ? null : share((r) => r.outcome.interactionReported === true),
  };
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : ' '.repeat(width - text.length) + text;
}

// One table per scenario, one line per method (per host count for a scenario run on several hosts).
export function formatTables(rows: readonly BenchRow[]): string {
  const lines: string[] = [];
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  for (const scenario of scenarios) {
    const group = rows.filter((r) => r.scenario === scenario);
    const first = group[0] as BenchRow;
    if (group.some((r) => r.hosts > 1)) {
      lines.push(...formatHostsTable(scenario, group));
      continue;
    }
    lines.push(`\n${scenario}: N=${first.commits}, d=${first.d}, ${first.histories} histories`);
    lines.push(`  ${'method'.padEnd(17)}${pad('accuracy', 9)}${pad('boots', 8)}${pad('p95', 7)}${pad('builds', 8)}${pad('median', 8)}${pad('failed', 8)}${pad('boots/b', 9)}${pad('test/c', 8)}${pad('conf.wrong', 11)}${pad('partial', 9)}${pad('calib', 7)}${pad('verify', 8)}${pad('refs', 7)}${pad('unused', 8)}`);
    for (const r of group) {
      lines.push(
        `  ${r.method.padEnd(17)}${pad(`${(r.accuracy * 100).toFixed(1)}%`, 9)}${pad(r.meanBoots.toFixed(1), 8)}${pad(r.p95Boots.toFixed(0), 7)}${pad(r.meanBuilds.toFixed(1), 8)}${pad(r.medianBuilds.toFixed(0), 8)}${pad(r.meanFailedBuilds?.toFixed(2) ?? '-', 8)}${pad(r.bootsPerCommit.toFixed(2), 9)}${pad(r.testBootsPerCommit.toFixed(2), 8)}${pad(`${(r.confidentWrongRate * 100).toFixed(1)}%`, 11)}${pad(`${(r.partialWarningRate * 100).toFixed(0)}%`, 9)}${pad(r.meanCalibrationBoots?.toFixed(1) ?? '-', 7)}${pad(r.meanVerificationBoots?.toFixed(1) ?? '-', 8)}${pad(r.meanReferenceBoots?.toFixed(1) ?? '-', 7)}${pad(r.meanUnusedPrefetches?.toFixed(1) ?? '-', 8)}`,
      );
    }
  }
  return lines.join('\n');
}

// kbisect on 1, 2, 4, 8… hosts side by side: wall = boot slots until done,
// every host booting at most once per slot; wall÷1 against the one-host row.
function formatHostsTable(scenario: string, group: readonly BenchRow[]): string[] {
  const first = group[0] as BenchRow;
  const single = group.find((r) => r.hosts === 1);
  const lines = [`\n${scenario}: N=${first.commits}, d=${first.d}, ${first.histories} histories, kbisect on H hosts`];
  lines.push(`  ${'hosts'.padStart(5)}${pad('accuracy', 10)}${pad('boots', 8)}${pad('p95', 7)}${pad('wall', 8)}${pad('wall÷1', 8)}${pad('builds', 8)}${pad('conf.wrong', 11)}${pad('calib', 7)}${pad('verify', 8)}${pad('interaction', 12)}`);
  for (const r of group) {
    const ratio = single === undefined ? '-' : (r.meanWallBoots / single.meanWallBoots).toFixed(2);
    lines.push(
      `  ${String(r.hosts).padStart(5)}${pad(`${(r.accuracy * 100).toFixed(1)}%`, 10)}${pad(r.meanBoots.toFixed(1), 8)}${pad(r.p95Boots.toFixed(0), 7)}${pad(r.meanWallBoots.toFixed(1), 8)}${pad(ratio, 8)}${pad(r.meanBuilds.toFixed(1), 8)}${pad(`${(r.confidentWrongRate * 100).toFixed(1)}%`, 11)}${pad(r.meanCalibrationBoots?.toFixed(1) ?? '-', 7)}${pad(r.meanVerificationBoots?.toFixed(1) ?? '-', 8)}${pad(r.interactionRate === null ? '-' : `${(r.interactionRate * 100).toFixed(1)}%`, 12)}`,
    );
  }
  return lines;
}
