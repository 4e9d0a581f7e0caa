// `npm run bench:detect`: kbisect's sweep change-point detector against an
// LKP-style rule, a fixed 5% threshold and plain E-divisive, side by side on
// the same seeded synthetic series (bench/detect/series.ts), each run nightly
// through the alert matching of src/core/sweep/alerts.ts. Deterministic.
// `-- --json` prints one JSON array of rows; `-- --trials N` sets the series
// per step size; `-- --reference-boots N` the reference boots per run.

import { aggregate, evaluateSweep, CONFIRM_ALPHA, CONFIRM_BOOTS, type BenchRow, type SeriesOutcome } from './detect/evaluate.ts';
import { MIN_EFFECT, methodNames } from './detect/methods.ts';
import { calibrateCommitSigma, createSweepSeries, sweepNoise, type SweepNoise, type SweepSeries } from './detect/series.ts';

const COMMITS = 200;
const STEP_SIZES = [1.5, 2, 3, 4] as const;
const DEFAULT_TRIALS = 200;

interface Condition {
  readonly name: string;
  readonly pick: (series: SweepSeries) => SweepSeries['raw'];
}

// Same series, same boots: the drifting host's values as measured, and less
// each run's reference boots.
const conditions: readonly Condition[] = [
  { name: 'drift+ref', pick: (s) => s.adjusted },
  { name: 'drift,no-ref', pick: (s) => s.raw },
];

// `--name N` or `--name=N`, a positive integer.
function parseCount(argv: readonly string[], name: string, fallback: number): number {
  const at = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (at < 0) return fallback;
  const arg = argv[at] as string;
  const raw = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[at + 1];
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1) {
    process.stderr.write(`Expected the \`--${name}\` option to be a positive integer, got \`${String(raw)}\`.\n`);
    process.exit(2);
  }
  return count;
}

const formatPercent = (x: number): string => (Number.isNaN(x) ? '-' : `${(100 * x).toFixed(1)}%`);
const formatNumber = (x: number, digits = 1): string => (Number.isNaN(x) ? '-' : x.toFixed(digits));

function formatTable(rows: readonly BenchRow[]): string {
  const header = ['d', 'host', 'method', 'steps', 'recall', 'recall✓', 'false/1k', 'false✓/1k', 'delay med', 'delay p90', 'range'];
  const body = rows.map((r) => [
    String(r.d),
    r.condition,
    r.method,
    String(r.steps),
    formatPercent(r.recall),
    formatPercent(r.recallConfirmed),
    formatNumber(r.falsePer1000, 2),
    formatNumber(r.falseConfirmedPer1000, 2),
    formatNumber(r.delayMedian, 0),
    formatNumber(r.delayP90, 0),
    formatNumber(r.meanWidth),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => (row[c] as string).length)));
  const line = (cells: readonly string[]): string => cells.map((cell, c) => (c < 3 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number))).join('  ');
  return [line(header), ...body.map(line)].join('\n');
}

// The brief's targets, checked on kbisect's rows with the drift and the reference boots.
function checkTargets(rows: readonly BenchRow[]): string[] {
  const row = (d: number): BenchRow | undefined => rows.find((r) => r.d === d && r.condition === 'drift+ref' && r.method === 'kbisect');
  const d3 = row(3);
  const d2 = row(2);
  const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  const lines: string[] = [];
  if (d3 !== undefined) {
    lines.push(`d = 3: recall ${formatPercent(d3.recall)} (≥ 95%: ${verdict(d3.recall >= 0.95)}), false alerts after confirmation ${formatNumber(d3.falseConfirmedPer1000, 2)}/1000 commits (≤ 1: ${verdict(d3.falseConfirmedPer1000 <= 1)})`);
  }
  if (d2 !== undefined) lines.push(`d = 2: recall ${formatPercent(d2.recall)} (≥ 80%: ${verdict(d2.recall >= 0.8)})`);
  return lines;
}

function main(argv: readonly string[]): void {
  const json = argv.includes('--json');
  const trials = parseCount(argv, 'trials', DEFAULT_TRIALS);
  const noise: SweepNoise = { ...sweepNoise, referenceBoots: parseCount(argv, 'reference-boots', sweepNoise.referenceBoots) };
  const started = performance.now();
  const sigma = calibrateCommitSigma(noise, 424242);
  const rows: BenchRow[] = [];
  for (const [di, d] of STEP_SIZES.entries()) {
    const t0 = performance.now();
    const series = Array.from({ length: trials }, (_, t) => createSweepSeries({ commits: COMMITS, d, maxSteps: 3, drift: true }, noise, sigma, 1_000_003 * (di + 1) + t));
    for (const condition of conditions) {
      for (const [mi, method] of methodNames.entries()) {
        const outcomes: SeriesOutcome[] = series.map((s, t) => evaluateSweep(s, condition.pick(s), method, noise, 7919 * (di + 1) + 101 * t + mi));
        rows.push(aggregate(d, condition.name, method, outcomes));
      }
    }
    if (!json) process.stderr.write(`  d = ${d}: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const n = noise;
  process.stdout.write(
    [
      'kbisect sweep detector benchmark (seeded, deterministic)',
      `${trials} series × ${COMMITS} commits per step size; 0–${3} regressions each of d × σ_commit (σ_commit = ${formatPercent(sigma)}: median of ${n.bootsPerCommit} boots,`,
      `  boot σ ${formatPercent(n.sigmaBoot)}, run σ ${formatPercent(n.sigmaRun)} × ${n.runsPerBoot}); ${formatPercent(n.outlierRate)} of commits measured ×${n.outlierFactor}; ${n.spikesPer100} spike/100 commits of ±${n.spikeSigmas[0]}–${n.spikeSigmas[1]} σ;`,
      `  ${n.commitsPerRun} commits per nightly run, host drift ${n.driftPerRun} σ_commit per run (random walk), ${n.referenceBoots} reference boots per run.`,
      `Detection after every run, alerts matched by overlapping range; min effect ${formatPercent(MIN_EFFECT)}. recall = a regression lies in (L, F] of an accepted alert;`,
      `✓ = after confirmation (re-test of L vs F: ${CONFIRM_BOOTS} fresh boots each, ${CONFIRM_BOOTS} more if undecided; one-sided Mann–Whitney, α = ${CONFIRM_ALPHA} in all);`,
      'false/1k = alerts holding no regression per 1000 commits; delay = commits measured from the step to the alert; range = mean F − L of true alerts.',
      '',
      formatTable(rows),
      '',
      ...checkTargets(rows),
      `\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`,
    ].join('\n') + '\n',
  );
}

main(process.argv.slice(2));
