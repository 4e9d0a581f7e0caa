// The plain-text report: LKP-style change lines, the culprit, every step.
import { median, medianAbsoluteDeviation } from '../stats/descriptive.ts';
import type { ChangeEstimate, Step } from '../bisect/types.ts';
import type { CommitInfo, ReportInput } from './types.ts';
import { describeHost, describeSampling, wordsFor } from './wording.ts';

// Robust relative spread of boot summaries, as a percent (1.4826·MAD/median).
export function computeSpreadPercent(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const m = median(values);
  return m === 0 ? null : (100 * 1.4826 * medianAbsoluteDeviation(values)) / Math.abs(m);
}

export function formatNumber(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1000) return value.toFixed(0);
  if (abs >= 100) return value.toFixed(1);
  return value.toPrecision(4);
}

export function formatPercent(ratio: number): string {
  const pct = (ratio - 1) * 100;
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}%`;
}

// What a step's estimate is: a bisection step's is the median of the commit's
// boots; calibration's and verification's is after ÷ before (BAD/GOOD,
// culprit/parent), shown as the change it is, never as a median in the
// metric's unit.
export function describeStepEstimate(s: Pick<Step, 'phase' | 'estimate'>): { label: 'median' | 'change'; value: string } | null {
  if (s.estimate === null) return null;
  return s.phase === 'bisect' ? { label: 'median', value: formatNumber(s.estimate) } : { label: 'change', value: formatPercent(s.estimate) };
}

// `netperf.TCP_RR.transaction_rate  6799 ±4%  -7.1% [-9.0%, -5.2%]  6316 ±3%` (after Intel LKP's compare lines).
export function formatChangeLine(metric: string, change: ChangeEstimate, before: readonly number[], after: readonly number[]): string {
  const spread = (v: readonly number[]): string => {
    const s = computeSpreadPercent(v);
    return s === null ? '' : ` ±${s.toFixed(0)}%`;
  };
  return `${metric}  ${formatNumber(change.good)}${spread(before)}  ${formatPercent(change.ratio)} [${formatPercent(change.ci[0])}, ${formatPercent(change.ci[1])}]  ${formatNumber(change.bad)}${spread(after)}`;
}

function shortSha(sha: string): string {
  return sha.slice(0, 12);
}

function commitLine(c: CommitInfo | undefined, sha: string): string {
  return c ? `${shortSha(c.sha)} ${c.subject} (${c.author}, ${c.date.slice(0, 10)})` : shortSha(sha);
}

// Renders the whole report as text for the terminal.
export function formatReportText(input: ReportInput): string {
  const { result, commits } = input;
  const bySha = new Map(commits.map((c) => [c.sha, c]));
  const good = commits[0];
  const bad = commits[commits.length - 1];
  const metricName = input.metric.name;
  const words = wordsFor(input);
  const host = describeHost(input);
  const lines: string[] = [];
  const outcomeText: Record<typeof result.outcome, string> = {
    culprit: 'culprit found',
    range: 'culprit narrowed to a range (skipped commits hide the exact one)',
    'no-regression': 'no confirmed regression between GOOD and BAD',
    inconclusive: 'inconclusive',
    running: 'still running',
  };
  lines.push(`kbisect: ${outcomeText[result.outcome]}`);
  lines.push(`  ${input.profile.hash ? `profile ${input.profile.name} (${input.profile.hash.slice(0, 12)})` : input.profile.name}, metric ${input.metric.name} [${input.metric.unit}], ${input.metric.higherIsBetter ? 'higher' : 'lower'} is better`);
  if (input.profile.sourceUrl !== undefined) lines.push(`  profile source ${input.profile.sourceUrl} at commit ${input.profile.sourceCommit ?? 'unknown'}`);
  lines.push(`  host ${host.fingerprint}, accelerator ${host.accel}${host.accelNote ? ` (${host.accelNote})` : ''}`);
  if (input.sampling !== undefined) lines.push(`  ${describeSampling(input.sampling)}`);
  if (good && bad) {
    lines.push(`  GOOD ${commitLine(good, good.sha)}`);
    lines.push(`  BAD  ${commitLine(bad, bad.sha)}`);
  }
  if (result.change && good && bad) {
    lines.push('', 'GOOD → BAD');
    lines.push(`  ${formatChangeLine(metricName, result.change, input.bootsByCommit[good.sha] ?? [], input.bootsByCommit[bad.sha] ?? [])}`);
  }
  if (result.hosts !== undefined) lines.push('', ...formatHostsLines(result.hosts, words.samples));
  if (result.culprit) {
    const c = bySha.get(result.culprit.commit);
    lines.push('', `first bad commit (probability ${(result.culprit.probability * 100).toFixed(1)}%):`);
    lines.push(`  ${commitLine(c, result.culprit.commit)}`);
    if (result.culpritChange) {
      const idx = commits.findIndex((x) => x.sha === result.culprit?.commit);
      const parent = commits[idx - 1];
      lines.push(
        `  ${formatChangeLine(metricName, result.culpritChange, parent ? (input.bootsByCommit[parent.sha] ?? []) : [], input.bootsByCommit[result.culprit.commit] ?? [])}`,
      );
    }
    if (result.explainsFullChange !== null) {
      lines.push(result.explainsFullChange ? '  explains the full GOOD → BAD change' : '  does NOT explain the full GOOD → BAD change: there may be more than one culprit');
    }
  }
  if (result.range) {
    lines.push('', `first bad commit is one of (probability ${(result.range.probability * 100).toFixed(1)}%):`);
    for (const sha of result.range.commits) lines.push(`  ${commitLine(bySha.get(sha), sha)}`);
  }
  if (result.powerEstimate) {
    const p = result.powerEstimate;
    lines.push('', `to see a change of ${(p.forEffect * 100).toFixed(1)}% with power ${(p.power * 100).toFixed(0)}%: about ${p.bootsPerEndpoint} ${words.samples} of GOOD and of BAD (${p.bootsNeeded} in all)`);
  }
  if (result.steps.length > 0) {
    lines.push('', 'steps:');
    result.steps.forEach((s, i) => {
      const estimate = describeStepEstimate(s);
      const est = estimate === null ? '' : ` ${estimate.label} ${estimate.value}`;
      const lead = s.leader && s.leaderProbability !== null ? `  leader ${shortSha(s.leader)} ${(s.leaderProbability * 100).toFixed(0)}%` : '';
      lines.push(`  ${String(i + 1).padStart(3)} ${s.phase.padEnd(9)} ${shortSha(s.commit)} ${s.verdict.padEnd(9)} ${String(s.boots).padStart(3)} ${words.samples}${est}${lead}${s.note ? `  (${s.note})` : ''}`);
    });
  }
  for (const w of result.warnings) lines.push(`warning: ${w}`);
  const wall = input.wallMs === null ? '' : `, wall ${(input.wallMs / 60000).toFixed(1)} min`;
  const references = (result.referenceBoots ?? 0) > 0 ? ` (${result.referenceBoots} of them reference ${words.samples} of GOOD/BAD, to follow drift)` : '';
  lines.push('', `total: ${result.builds} ${words.builds}, ${result.boots} ${words.samples}${references}${wall}`);
  return lines.join('\n');
}

// Several measurement hosts: each host's own GOOD → BAD gap, and whether
// they disagree (host × commit interaction, reported, never averaged away).
export function formatHostsLines(hosts: NonNullable<ReportInput['result']['hosts']>, samples: string): string[] {
  const lines = [`measurement hosts (${hosts.names.length}, each judged against its own GOOD and BAD):`];
  for (const g of hosts.gaps) {
    lines.push(`  ${g.host.padEnd(12)} GOOD → BAD ${formatPercent(g.ratio)} [${formatPercent(g.ci[0])}, ${formatPercent(g.ci[1])}], ${g.goodBoots} + ${g.badBoots} ${samples}${g.host === hosts.verifyHost ? '  (verification ran here)' : ''}`);
  }
  const i = hosts.interaction;
  lines.push(
    i.found
      ? `  the hosts disagree on the size of the change (interaction p = ${i.p.toPrecision(2)}${i.host === null ? '' : `, furthest: ${i.host}`}): the regression depends on the machine`
      : `  the hosts agree on the size of the change (interaction p = ${Number.isFinite(i.p) ? i.p.toPrecision(2) : 'n/a'})`,
  );
  return lines;
}
