// A bisection's report and its JSON, assembled from the session, the engine's
// final state and the log: pure, so that status, run and replay say the same.
import type { BisectSession, LoggedEvent, LoggedSampling } from '../session.ts';
import { configOf, judgedTestOf } from '../session-settings.ts';
import type { ReportInput, ReportSampling } from '../report/types.ts';
import { LEGACY_RULES, type BisectConfig } from './config.ts';
import { viewVerifyHost } from './hosts.ts';
import { apply, createBisection } from './index.ts';
import { posteriorTable, summarize } from './summary.ts';
import type { BisectResult, BisectState } from './types.ts';

// The engine's input for a session: its commits and settings. Settings
// stored before the engine had `rules` were recorded under the first ones,
// and a log replays under the rules it was recorded with.
export function engineInput(session: BisectSession): { commits: string[]; config: ReturnType<typeof configOf>; hosts?: string[] } {
  const config = configOf(session);
  // absent from settings stored before it existed, whatever the type says
  const rules = (config as Partial<BisectConfig>).rules ?? LEGACY_RULES;
  return { commits: session.commits.map((c) => c.sha), config: { ...config, rules }, ...(session.hosts === undefined ? {} : { hosts: [...session.hosts] }) };
}

// Where the guests ran, from the last boot that says so; with several
// measurement hosts, each host's fingerprint (its boots never mix machines).
export function hostOfSession(session: BisectSession, events: readonly LoggedEvent[]): ReportInput['host'] {
  if (session.mode === 'command') return { fingerprint: 'n/a', accel: 'n/a' };
  if (session.hosts !== undefined) {
    const seen = new Map<string, { host: string; accel: string }>();
    for (const e of events) if (e.event.kind === 'boot' && e.event.host !== undefined && e.detail?.source === 'boot' && !seen.has(e.event.host)) seen.set(e.event.host, { host: e.detail.host, accel: e.detail.accel });
    if (seen.size > 0) {
      const accels = [...new Set([...seen.values()].map((v) => v.accel))];
      return { fingerprint: [...seen].map(([name, v]) => `${name} ${v.host}`).join(', '), accel: accels.join('/') };
    }
  }
  for (let i = events.length - 1; i >= 0; i--) {
    const d = events[i]?.detail;
    if (d?.source === 'boot') return { fingerprint: d.host, accel: d.accel };
  }
  return { fingerprint: 'not measured yet', accel: session.accel };
}

function profileOf(session: BisectSession): ReportInput['profile'] {
  switch (session.mode) {
    case 'kernel':
      return {
        name: session.profile.name,
        hash: session.profile.hash,
        ...(session.profile.sourceUrl === undefined ? {} : { sourceUrl: session.profile.sourceUrl, sourceCommit: session.profile.sourceCommit ?? 'unknown' }),
      };
    case 'command':
      return { name: `command: ${session.command}`, hash: '' };
    case 'pending':
      return { name: 'not chosen yet (kbisect run --cmd SCRIPT or --profile NAME)', hash: '' };
  }
}

function metricName(session: BisectSession): string {
  switch (session.mode) {
    case 'kernel':
      return `netperf.${session.test.name}.${session.test.metric}`;
    case 'command':
      return 'command.value';
    case 'pending':
      return 'not chosen yet';
  }
}

// The logged decision that measured the boots after it (the first one counts, as when measuring).
function samplingOf({ decision: d }: LoggedSampling): ReportSampling {
  return { runsPerBoot: d.runsPerBoot, warmupRuns: d.warmupRuns, endpointBoots: d.boots, reason: d.reason };
}

// The report's ingredients: commits, boots per commit, posterior after each step.
export function buildReportInput(session: BisectSession, finalState: BisectState, events: readonly LoggedEvent[], now: string, sampling: readonly LoggedSampling[] = []): ReportInput {
  let state = createBisection(engineInput(session));
  const posteriorHistory: number[][] = [];
  const bootsByCommit: Record<string, number[]> = {};
  for (const logged of events) {
    const before = state.steps.length;
    state = apply(state, logged.event);
    if (state.steps.length > before) posteriorHistory.push(posteriorTable(state).map((r) => r.probability));
  }
  // several hosts: the boots of the host the change is reported from (summary.ts), never a mix of machines
  const shown = finalState.hosts === undefined ? finalState : viewVerifyHost(finalState);
  session.commits.forEach((c, i) => {
    const boots = shown.records[String(i)]?.boots;
    if (boots && boots.length > 0) bootsByCommit[c.sha] = [...boots];
  });
  const firstAt = events[0]?.at;
  const lastAt = events[events.length - 1]?.at;
  const test = judgedTestOf(session);
  return {
    repo: session.repo,
    mode: session.mode === 'command' ? 'command' : 'kernel',
    commits: session.commits,
    profile: profileOf(session),
    metric: { name: metricName(session), unit: test.unit, higherIsBetter: test.higherIsBetter },
    host: hostOfSession(session, events),
    result: summarize(finalState),
    bootsByCommit,
    posteriorHistory,
    wallMs: firstAt && lastAt ? Date.parse(lastAt) - Date.parse(firstAt) : null,
    generatedAt: now,
    ...(sampling[0] === undefined ? {} : { sampling: samplingOf(sampling[0]) }),
  };
}

// The JSON every result-printing command ends with.
export function toJsonResult(session: BisectSession, result: BisectResult, report: ReportInput): Record<string, unknown> {
  const subjectOf = (sha: string): string => session.commits.find((c) => c.sha === sha)?.subject ?? '';
  const change = (c: BisectResult['change']) => (c ? { good: c.good, bad: c.bad, ratio: c.ratio, ci: c.ci, goodBoots: c.goodBoots, badBoots: c.badBoots } : null);
  return {
    outcome: result.outcome,
    culprit: result.culprit ? { sha: result.culprit.commit, subject: subjectOf(result.culprit.commit), probability: result.culprit.probability } : null,
    range: result.range ? { ...result.range, subjects: result.range.commits.map(subjectOf) } : null,
    change: change(result.change),
    culpritChange: change(result.culpritChange),
    explainsFullChange: result.explainsFullChange,
    steps: result.steps,
    boots: result.boots,
    referenceBoots: result.referenceBoots ?? 0,
    builds: result.builds,
    warnings: result.warnings,
    powerEstimate: result.powerEstimate ?? null,
    good: session.commits[0]?.sha,
    bad: session.commits[session.commits.length - 1]?.sha,
    mode: session.mode,
    profile: report.profile,
    metric: report.metric,
    host: report.host,
    terms: session.terms,
    wallMs: report.wallMs,
    sampling: report.sampling ?? null,
    seed: result.seed,
    ...(result.hosts === undefined ? {} : { hosts: result.hosts }),
  };
}
