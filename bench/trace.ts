// `npm run bench:trace`: kbisect and the two baselines of bench:sim on real
// recorded boots instead of a noise model. The trace (bench/trace/*.json,
// recorded once on this project's host by `npm run bench:trace:record`) holds
// every commit of a kernel range booted several times in randomized order,
// with each boot's time, judged runs and warm-up. A replay draws each boot
// from that commit's recorded boots, nearest in time first (bench/trace/host.ts),
// so the methods meet real boot-to-boot noise, real failed boots and the
// host's real drift. Seeded and deterministic. A replay that wants more boots
// of a commit than the trace holds ends there ("ran out"): it is left out of
// the row's accuracy, boots and wall, and counted in its own column; a row
// where many replays ran out describes the trace's depth, not the method
// (--redraw draws recorded boots again instead, as before).
//
// kbisect replays with the app's configuration for the recorded profile and
// with 1..k judged runs per boot (the first k of each recorded boot): what
// fewer runs per boot cost in accuracy and boots and save in wall time. The
// baselines use every recorded run. Wall time is modelled from the trace:
// a boot costs its recorded overhead (everything but netperf) plus
// (warm-up + k) runs.
//
//   npm run bench:trace -- [--trace bench/trace/quiet-udelay50.json] [--seeds 200] [--step=-0.3] [--redraw] [--json]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRng } from '../src/core/rng.ts';
import { resolveBisectConfig } from '../src/core/session-settings.ts';
import { netperfNoise, type History } from './sim/history.ts';
import { runGitBisectFixed } from './sim/git-bisect-fixed.ts';
import { runKbisect } from './sim/run-kbisect.ts';
import { runPinpointStyle } from './sim/pinpoint-style.ts';
import { aggregate, type BenchRow, type MethodName } from './sim/report.ts';
import type { MethodOutcome } from './sim/outcome.ts';
import { createAdaptiveHost, createFixedHost } from './trace/adaptive.ts';
import { DECIDE_AFTER_BOOTS, EARLY_DECIDE_BOOTS, probeRunsPerBoot } from '../src/core/measure/runs-per-boot.ts';
import { TraceExhausted, type ExhaustedPolicy } from './trace/host.ts';
import type { RunsPerBootDecision } from '../src/core/measure/runs-per-boot.ts';
import { describeTrace, type TraceFacts } from './trace/facts.ts';
import { addStep, parseTrace, type Trace } from './trace/trace.ts';

const { values: opts } = parseArgs({
  options: {
    trace: { type: 'string', default: join(process.cwd(), 'bench', 'trace', 'quiet-udelay50.json') },
    seeds: { type: 'string', default: '200' },
    json: { type: 'boolean', default: false },
    // a synthetic relative step on the culprit and after (-0.3: 30% slower), for a trace whose own step is not visible
    step: { type: 'string' },
    // draw a commit's recorded boots again when a replay wants more than were recorded
    redraw: { type: 'boolean', default: false },
  },
});

// The configuration `kbisect start` resolves for the recorded profile
// (bench/trace/profile.yaml ← demo-guest-tx ← tcp-stream-guest-to-host):
// minEffect 5%, sampling.maxBoots 12, sampling.referenceEvery 2.
const APP_PROFILE_DEFAULTS = { minEffect: 0.05, maxBoots: 12, referenceEvery: 2 };

export interface TraceRow extends BenchRow {
  /** Judged runs per boot; 'auto': the profile's until the decision (sampling.adaptive), then the decided number. */
  readonly runsPerBoot: number | 'auto';
  /** Modelled wall time of one bisection's boots, seconds (builds not included). */
  readonly meanWallS: number;
  /** Share of draws that re-used a recorded boot already drawn in the same replay (--redraw only; else 0). */
  readonly redrawRate: number;
  /** Share of replays that wanted more boots of a commit than the trace holds and ended without a verdict (0 with --redraw); the other fields describe the replays that finished. */
  readonly exhaustedRate: number;
  /** Where those replays ran out: GOOD or BAD, the culprit or its parent, another commit. */
  readonly exhaustedAt: { readonly endpoint: number; readonly culpritPair: number; readonly other: number };
  /** Share of replays that named no culprit (kbisect: "no confirmed regression"). */
  readonly noClaimRate: number;
  /** auto only: mean runs per boot and share of replays that dropped the warm-up, after the decision. */
  readonly decidedRuns?: number;
  /** auto only: mean boots a side (the fewer of GOOD's and BAD's) the decision was taken on. */
  readonly decidedAfterBoots?: number;
  readonly warmupDropRate?: number;
}

function historyOf(trace: Trace, runsPerBoot: number): History {
  const commits = trace.commits.map((_, i) => `c${i.toString().padStart(5, '0')}`);
  return {
    commits,
    culprits: [{ index: trace.answer, drop: 0 }],
    answer: trace.answer,
    brokenBuilds: new Set(),
    noise: { ...netperfNoise, runsPerBoot },
    logLevel: () => 0,
  };
}

function replay(trace: Trace, facts: TraceFacts, method: MethodName, runsPerBoot: number | 'auto', seeds: number, exhausted: ExhaustedPolicy): TraceRow {
  const k = runsPerBoot === 'auto' ? trace.run.runsPerBoot : runsPerBoot;
  const history = historyOf(trace, k);
  const { config } = resolveBisectConfig({}, false, true, APP_PROFILE_DEFAULTS);
  const runs: { history: History; outcome: MethodOutcome }[] = [];
  const decisions: RunsPerBootDecision[] = [];
  let draws = 0;
  let redraws = 0;
  let wallS = 0;
  let ranOut = 0;
  const exhaustedAt = { endpoint: 0, culpritPair: 0, other: 0 };
  for (let seed = 1; seed <= seeds; seed++) {
    // auto replays draw as the fixed 5-run rows do (same seed, same clock): only the runs taken differ
    const rng = createRng(seed * 7919 + k);
    const host =
      runsPerBoot === 'auto'
        ? createAdaptiveHost(trace, rng, { overheadS: facts.overheadS, minEffect: APP_PROFILE_DEFAULTS.minEffect, rounds: { minBoots: config.minBootsPerCommit, errorRate: config.verdictErrorRate }, exhausted })
        : createFixedHost(trace, runsPerBoot, rng, facts.overheadS, exhausted);
    let outcome: MethodOutcome;
    try {
      outcome =
        method === 'kbisect'
          ? runKbisect(history, { ...config, seed }, rng, host)
          : method === 'pinpoint-style'
            ? runPinpointStyle(history, rng, host)
            : runGitBisectFixed(history, rng, host);
    } catch (e) {
      if (!(e instanceof TraceExhausted)) throw e;
      ranOut++;
      if (e.commit === 0 || e.commit === trace.commits.length - 1) exhaustedAt.endpoint++;
      else if (e.commit === trace.answer || e.commit === trace.answer - 1) exhaustedAt.culpritPair++;
      else exhaustedAt.other++;
      continue;
    }
    runs.push({ history, outcome });
    draws += outcome.boots;
    redraws += host.redraws();
    wallS += host.wallS();
    const d = host.decision();
    if (d !== null) decisions.push(d);
  }
  const row = aggregate(trace.profile, method, trace.commits.length, facts.stepSigmas, runs);
  const noClaimRate = runs.filter((r) => r.outcome.claim === null).length / runs.length;
  const auto =
    runsPerBoot === 'auto' && decisions.length > 0
      ? {
          decidedRuns: decisions.reduce((a, d) => a + d.runsPerBoot, 0) / decisions.length,
          warmupDropRate: decisions.filter((d) => d.warmupRuns < trace.run.warmupRuns).length / decisions.length,
          decidedAfterBoots: decisions.reduce((a, d) => a + Math.min(...d.boots), 0) / decisions.length,
        }
      : {};
  return { ...row, runsPerBoot, meanWallS: wallS / runs.length, redrawRate: draws === 0 ? 0 : redraws / draws, exhaustedRate: ranOut / seeds, exhaustedAt, noClaimRate, ...auto };
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : ' '.repeat(width - text.length) + text;
}

function formatRows(rows: readonly TraceRow[], reference: TraceRow | undefined): string {
  const head = `  ${'method'.padEnd(17)}${pad('runs/boot', 10)}${pad('accuracy', 9)}${pad('boots', 8)}${pad('p95', 6)}${pad('calib', 7)}${pad('verify', 7)}${pad('refs', 6)}${pad('builds', 8)}${pad('wall s', 9)}${pad('÷wall', 7)}${pad('conf.wrong', 11)}${pad('no claim', 9)}${pad('ran out', 9)}${pad('redrawn', 9)}`;
  // a row whose replays all ran out has no finished replay to describe
  const opt = (v: number | null): string => (v === null || Number.isNaN(v) ? '-' : v.toFixed(1));
  const pct = (v: number, digits = 1): string => (Number.isNaN(v) ? '-' : `${(v * 100).toFixed(digits)}%`);
  const lines = rows.map((r) => {
    const runs = r.runsPerBoot === 'auto' ? `auto→${r.decidedRuns?.toFixed(1) ?? '-'}` : String(r.runsPerBoot);
    const gain = reference && Number.isFinite(reference.meanWallS / r.meanWallS) ? `${(reference.meanWallS / r.meanWallS).toFixed(2)}×` : '-';
    return `  ${r.method.padEnd(17)}${pad(runs, 10)}${pad(pct(r.accuracy), 9)}${pad(opt(r.meanBoots), 8)}${pad(Number.isNaN(r.p95Boots) ? '-' : r.p95Boots.toFixed(0), 6)}${pad(opt(r.meanCalibrationBoots), 7)}${pad(opt(r.meanVerificationBoots), 7)}${pad(opt(r.meanReferenceBoots), 6)}${pad(opt(r.meanBuilds), 8)}${pad(Number.isNaN(r.meanWallS) ? '-' : r.meanWallS.toFixed(0), 9)}${pad(gain, 7)}${pad(pct(r.confidentWrongRate), 11)}${pad(pct(r.noClaimRate, 0), 9)}${pad(pct(r.exhaustedRate, 0), 9)}${pad(pct(r.redrawRate, 0), 9)}`;
  });
  return [head, ...lines].join('\n');
}

// Where replays ran out of recorded boots, summed over the rows: which commits a deeper recording needs more of.
function ranOutLine(rows: readonly TraceRow[]): string[] {
  const sum = (f: (r: TraceRow) => number): number => rows.reduce((a, r) => a + f(r), 0);
  const total = sum((r) => r.exhaustedAt.endpoint + r.exhaustedAt.culpritPair + r.exhaustedAt.other);
  if (total === 0) return [];
  return [`replays that ran out, by where: GOOD or BAD ${sum((r) => r.exhaustedAt.endpoint)}, the culprit or its parent ${sum((r) => r.exhaustedAt.culpritPair)}, other commits ${sum((r) => r.exhaustedAt.other)}`];
}

// Same verdicts: accuracy and the share naming no culprit within 2 points (sampling error of 200 replays is ~1.5).
function compareAuto(auto: TraceRow | undefined, full: TraceRow | undefined): string {
  if (!auto || !full) return '';
  const same = Math.abs(auto.accuracy - full.accuracy) <= 0.02 + 1e-9 && Math.abs(auto.noClaimRate - full.noClaimRate) <= 0.02 + 1e-9;
  const gain = full.meanWallS / auto.meanWallS;
  return (
    `auto vs the profile's fixed ${full.runsPerBoot} runs: accuracy ${(auto.accuracy * 100).toFixed(1)}% vs ${(full.accuracy * 100).toFixed(1)}%, no claim ${(auto.noClaimRate * 100).toFixed(0)}% vs ${(full.noClaimRate * 100).toFixed(0)}% ` +
    `(${same ? 'same verdicts' : 'NOT the same verdicts'}), wall ${auto.meanWallS.toFixed(0)} s vs ${full.meanWallS.toFixed(0)} s: ${gain.toFixed(2)}× less (${same && gain >= 2 ? 'meets' : 'misses'} the ≥ 2× target); ` +
    `decided ${auto.decidedRuns?.toFixed(2) ?? '-'} runs/boot on average after ${auto.decidedAfterBoots?.toFixed(1) ?? '-'} boots a side, warm-up dropped in ${((auto.warmupDropRate ?? 0) * 100).toFixed(0)}% of replays` +
    (auto.exhaustedRate > 0.01 || full.exhaustedRate > 0.01
      ? `; replays that ran out of recorded boots: ${(auto.exhaustedRate * 100).toFixed(0)}% vs ${(full.exhaustedRate * 100).toFixed(0)}% (a deeper trace would tell more)`
      : '')
  );
}

function main(): void {
  const recorded = parseTrace(JSON.parse(readFileSync(opts.trace, 'utf8')) as unknown);
  const step = opts.step === undefined ? null : Number(opts.step);
  const trace = step === null ? recorded : addStep(recorded, step);
  const seeds = Number(opts.seeds);
  if (!Number.isInteger(seeds) || seeds < 1) throw new Error(`--seeds: expected an integer >= 1, got ${opts.seeds}`);
  const facts = describeTrace(trace);
  const policy: ExhaustedPolicy = opts.redraw ? 'redraw' : 'stop';
  const rows: TraceRow[] = [];
  for (let k = 1; k <= trace.run.runsPerBoot; k++) rows.push(replay(trace, facts, 'kbisect', k, seeds, policy));
  rows.push(replay(trace, facts, 'kbisect', 'auto', seeds, policy));
  rows.push(replay(trace, facts, 'pinpoint-style', trace.run.runsPerBoot, seeds, policy));
  rows.push(replay(trace, facts, 'git-bisect-fixed', trace.run.runsPerBoot, seeds, policy));
  const wall = { overheadS: facts.overheadS, warmupRuns: trace.run.warmupRuns, runS: trace.run.seconds };
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ trace: { file: opts.trace, syntheticStep: step, ...facts }, wallModel: wall, rows }, null, 2)}\n`);
    return;
  }
  const pinpoint = rows.find((r) => r.method === 'pinpoint-style');
  const full = rows.find((r) => r.method === 'kbisect' && r.runsPerBoot === trace.run.runsPerBoot);
  const auto = rows.find((r) => r.method === 'kbisect' && r.runsPerBoot === 'auto');
  // a setting counts only where (almost) every replay finished on recorded boots
  const best = [...rows].filter((r) => r.method === 'kbisect' && r.accuracy >= 0.99 && r.exhaustedRate <= 0.01).sort((a, b) => a.meanWallS - b.meanWallS)[0];
  process.stdout.write(
    [
      `kbisect trace benchmark: ${opts.trace}${step === null ? '' : ` with a synthetic step of ${(step * 100).toFixed(0)}% on commits ${trace.answer}.. (every recorded run scaled)`}`,
      `recorded ${trace.recordedAt} on ${trace.host.cpus} CPUs, ${trace.host.qemu}: ${trace.commits.length} commits × ${trace.spec.bootsPerCommit} boots${trace.spec.endpointBoots === undefined ? '' : ` (GOOD and BAD ${trace.spec.endpointBoots})`} in randomized order, culprit at ${trace.answer} (udelay(${trace.spec.delayUs}) per packet)`,
      `each boot: ${trace.run.warmupRuns} warm-up + ${trace.run.runsPerBoot} runs of ${trace.run.seconds} s; measured overhead beyond netperf ${facts.overheadS.toFixed(1)} s a boot; ${facts.failedBoots} failed boot(s)`,
      `step GOOD side → BAD side: ${(facts.step * 100).toFixed(1)}% (${facts.stepSigmas.toFixed(1)} boot σ); log-scale SD between boots ${facts.sigmaBetween.toFixed(3)}, within a boot ${facts.sigmaWithin.toFixed(3)}`,
      `Cochran's two-stage optimum runs per boot k* = sqrt(c_boot/c_run · σ²_within/σ²_between) = ${facts.optimalRuns.toFixed(2)}`,
      `${seeds} seeded replays per row; a boot is drawn from its commit's recorded boots nearest in time first; ` +
        (policy === 'stop'
          ? 'ran out = replays that wanted more boots of a commit than were recorded, ended without a verdict and left out of the other columns;'
          : 'redrawn = draws that re-used a boot already drawn (--redraw);'),
      `wall s = Σ over boots drawn of (${facts.overheadS.toFixed(1)} s overhead [the trace's median boot time less its netperf time] + (warm-up + runs) × ${trace.run.seconds} s [the trace's run length]), builds not included; ÷wall = the fixed ${trace.run.runsPerBoot}-run row's wall ÷ this row's.`,
      `auto = sampling.adaptive: the profile's ${trace.run.warmupRuns} warm-up + ${probeRunsPerBoot(trace.run.runsPerBoot)} of its ${trace.run.runsPerBoot} runs until each endpoint has ${DECIDE_AFTER_BOOTS} boots (${EARLY_DECIDE_BOOTS} when the shift already leaves one run a boot no worse; or calibration ends), then the decided runs and warm-up.`,
      '',
      formatRows(rows, full),
      ...ranOutLine(rows),
      '',
      compareAuto(auto, full),
      pinpoint && full ? `kbisect (${full.runsPerBoot} runs/boot) boots ÷ pinpoint-style boots: ${(full.meanBoots / pinpoint.meanBoots).toFixed(2)}×` : '',
      best && full ? `fastest kbisect setting at ≥ 99% accuracy: ${best.runsPerBoot} run(s)/boot, ${(full.meanWallS / best.meanWallS).toFixed(2)}× less boot wall time than ${full.runsPerBoot}` : 'no kbisect setting reached 99% accuracy on this trace with ≤ 1% of replays running out',
    ].join('\n') + '\n',
  );
}

main();
