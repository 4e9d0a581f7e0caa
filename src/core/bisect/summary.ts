// Turns a bisection state into the answer users read: the culprit and how
// sure we are, the size of the change with confidence intervals, and every
// step that led there.

import { formatPercent } from '../format.ts';
import { createRng, forkRng, type Rng } from '../rng.ts';
import { bootstrapRatioOfMedians, estimatePooledSpread, median } from '../stats/index.ts';
import { estimateCalibrationPower } from './calibration.ts';
import { summarizeHosts, viewVerifyHost } from './hosts.ts';
import { judgeCommit } from './judge.ts';
import { getRecord, readLogBoots } from './model.ts';
import { commitAt, countAllBoots, countBuilds, findStateLeadingBlock, getDerived } from './queries.ts';
import type { BisectResult, BisectState, ChangeEstimate, PosteriorRow } from './types.ts';

// Ratio of medians second/first with a seeded bootstrap CI (Efron & Tibshirani 1993).
function estimateChange(first: readonly number[], second: readonly number[], rng: Rng, confidence: number): ChangeEstimate | null {
  if (first.length === 0 || second.length === 0) return null;
  const { ratio, ci } = bootstrapRatioOfMedians(first, second, { rng, confidence, resamples: 2000 });
  return { good: median(first), bad: median(second), ratio, ci, goodBoots: first.length, badBoots: second.length };
}

// Everything a report, `kbisect status` or the benchmark needs, from the state alone.
export function summarize(state: BisectState): BisectResult {
  if (state.hosts !== undefined) return summarizeMultiHost(state);
  const { posterior } = getDerived(state);
  const last = state.commits.length - 1;
  // Boot values as the engine judged them: with reference boots, at the
  // host's typical speed (drift.ts), so that drift does not widen the CIs.
  const boots = (index: number) => readLogBoots(state, index).map(Math.exp);
  const rng = createRng(state.config.seed);
  const change = estimateChange(boots(0), boots(last), forkRng(rng), state.config.confidence);
  const final = state.final;
  const outcome = final?.outcome ?? 'running';

  let culprit: BisectResult['culprit'] = null;
  let range: BisectResult['range'];
  let culpritChange: ChangeEstimate | null = null;
  const culpritRng = forkRng(rng);
  if (final !== null && final.first !== null && final.last !== null && final.probability !== null) {
    const commits = state.commits.slice(final.first, final.last + 1);
    if (final.outcome === 'culprit') culprit = { commit: commitAt(state, final.last), probability: final.probability };
    else range = { first: commitAt(state, final.first), last: commitAt(state, final.last), commits, probability: final.probability };
    if (final.outcome !== 'inconclusive') culpritChange = estimateChange(boots(final.first - 1), boots(final.last), culpritRng, state.config.confidence);
  } else if (final === null && state.calibration.status === 'confirmed') {
    const block = findStateLeadingBlock(state, posterior);
    if (block.first === block.last) culprit = { commit: commitAt(state, block.last), probability: block.probability };
  }

  const calibrationFailed = outcome === 'inconclusive' && state.calibration.status !== 'confirmed';
  const sigma = estimatePooledSpread([boots(0).map(Math.log), boots(last).map(Math.log)]);
  return {
    outcome,
    culprit,
    ...(range === undefined ? {} : { range }),
    change,
    culpritChange,
    explainsFullChange: state.verification?.explainsFullChange ?? null,
    steps: state.steps,
    boots: countAllBoots(state),
    referenceBoots: state.referenceBoots,
    builds: countBuilds(state),
    posterior,
    warnings: calibrationFailed ? [...state.warnings, describePower(state, sigma)] : state.warnings,
    ...(calibrationFailed ? { powerEstimate: estimateCalibrationPower(sigma, state.config) } : {}),
    seed: state.config.seed,
  };
}

// With several hosts: the sizes of the change as the verify host (or the
// first one) measured them, never a mix of hosts; counts over every host;
// each host's own gap, and a warning when the hosts disagree on it.
function summarizeMultiHost(state: BisectState): BisectResult {
  const view = viewVerifyHost(state);
  const single = summarize(view);
  const hosts = summarizeHosts(state);
  const interaction = hosts.interaction;
  const warnings = [...single.warnings];
  if (interaction.found && interaction.host !== null) {
    const own = hosts.gaps.find((g) => g.host === interaction.host);
    const others = hosts.gaps.filter((g) => g.host !== interaction.host).map((g) => `${g.host} ${formatPercent(g.ratio - 1, { signed: true })}`);
    if (own !== undefined) {
      warnings.push(
        `Host ${own.host} sees GOOD→BAD as ${formatPercent(own.ratio - 1, { signed: true })} (CI ${formatPercent(own.ci[0] - 1, { signed: true })} … ${formatPercent(own.ci[1] - 1, { signed: true })}), the other hosts ${others.join(', ')}: the size of the change depends on the host (host × commit interaction, heterogeneity F-test p=${interaction.p.toPrecision(3)}). Each host's boots were judged against its own GOOD and BAD; the change's size is reported per host.`,
      );
    }
  }
  return { ...single, boots: countAllBoots(state), builds: countBuilds(state), referenceBoots: state.referenceBoots, warnings, hosts };
}

function describePower(state: BisectState, sigma: number): string {
  const power = estimateCalibrationPower(sigma, state.config);
  return `To see a change of ${formatPercent(power.forEffect)} with ${formatPercent(power.power, { digits: 0 })} power at this noise (boot-to-boot ${formatPercent(Math.expm1(Number.isFinite(sigma) ? sigma : 0), { digits: 2 })}), measure about ${power.bootsPerEndpoint} boots each of GOOD and BAD (${power.bootsNeeded} in all).`;
}

// Candidates with their posterior, for `kbisect visualize`.
export function posteriorTable(rawState: BisectState): PosteriorRow[] {
  // several hosts: each commit's verdict as the verify host (or the first) judged it
  const state = rawState.hosts === undefined ? rawState : viewVerifyHost(rawState);
  const { model, posterior } = getDerived(state);
  return posterior.map((probability, k) => {
    const index = k + 1;
    const record = getRecord(state, index);
    const status = record?.mark ? 'marked' : record?.skipped ? 'skipped' : (record?.boots.length ?? 0) > 0 ? 'measured' : 'unmeasured';
    const verdict = record === undefined ? null : judgeCommit(state, index, model);
    return { index, commit: commitAt(state, index), probability, status, boots: record?.boots.length ?? 0, verdict };
  });
}
