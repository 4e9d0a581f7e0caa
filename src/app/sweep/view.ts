// What the read-only sweep commands show (status, alerts, report) and the two
// that change an alert or the whole sweep (ignore, reset). The report input
// is built from the store alone: series re-detected, alerts as stored, the
// confirmation boots read from each alert's bisection log.
import { UserError } from '../../core/errors.ts';
import { mean, standardDeviation } from '../../core/stats/descriptive.ts';
import { transitionAlert } from '../../core/sweep/alerts.ts';
import { buildSeries } from '../../core/sweep/series.ts';
import type { AlertRecord, SweepDefinition } from '../../core/sweep/store-schema.ts';
import type { AlertView, SeriesView, SideSummary, SweepReportInput, SweepRunSummary } from '../../core/sweep/types.ts';
import { acquireLock } from '../../adapters/lock.ts';
import { readEvents, readSession, sessionPaths, sessionPathsIn } from '../../adapters/session-store.ts';
import { archiveSweep, readAlerts, readBootRecords, readCommits, readRuns, readState, writeAlerts, type SweepPaths } from '../../adapters/sweep-store.ts';
import { DEFAULT_SWEEP, locateSweep, requireDefinition, resolveSweepMeasurement } from './context.ts';

export interface SweepView {
  paths: SweepPaths;
  def: SweepDefinition;
  input: SweepReportInput;
  warnings: string[];
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function summarizeSide(sha: string, subject: string, values: readonly number[]): SideSummary | null {
  if (values.length === 0) return null;
  const m = mean(values);
  return { sha, subject, mean: m, stddevPercent: values.length > 1 && m !== 0 ? (standardDeviation(values) / Math.abs(m)) * 100 : 0, n: values.length };
}

function reproduceCommands(def: SweepDefinition, a: AlertRecord): string[] {
  const k = `kbisect -C ${shellQuote(def.repo)}`;
  const how = def.mode === 'kernel' ? `--profile ${shellQuote(def.profile ?? '')}` : `--cmd ${shellQuote(def.command ?? '')}`;
  const improvement = a.evidence.direction === 'improvement' ? ' --improvement' : '';
  return [`${k} start ${a.lastGoodSha.slice(0, 12)} ${a.firstBadSha.slice(0, 12)} ${how}${improvement}`, `${k} run`, `${k} report`];
}

// Boot values of L and F from an alert's bisection log (the fresh interleaved boots), if it has one.
async function confirmationBoots(paths: SweepPaths, a: AlertRecord): Promise<{ before: number[]; after: number[] } | null> {
  if (a.bisectionDir === null) return null;
  const files = sessionPathsIn(`${paths.bisections}/${a.bisectionDir}`);
  const session = await readSession(files);
  if (session === null) return null;
  const { events } = await readEvents(files, session);
  const valuesOf = (sha: string): number[] =>
    events.flatMap((e) => (e.event.kind === 'boot' && e.event.commit === sha ? [[...e.event.runs].sort((x, y) => x - y)[e.event.runs.length >> 1] as number] : []));
  return { before: valuesOf(a.lastGoodSha), after: valuesOf(a.firstBadSha) };
}

// Everything the reports show, from the store.
export async function loadSweepView(repo: string, name = DEFAULT_SWEEP): Promise<SweepView> {
  const paths = await locateSweep(repo, name);
  const def = await requireDefinition(paths, name);
  const warnings: string[] = [];
  const [runs, commits, records, state, alerts] = await Promise.all([readRuns(paths, warnings), readCommits(paths, warnings), readBootRecords(paths, warnings), readState(paths), readAlerts(paths)]);
  const measurement = await resolveSweepMeasurement(def);
  const series: SeriesView[] = buildSeries({ commits, records, test: measurement.test, measurementHash: measurement.hash, references: state.references, detect: { minEffect: measurement.session.config.minEffect } });
  const commitOf = new Map(commits.map((c) => [c.sha, c] as const));
  const views: AlertView[] = [];
  for (const a of alerts) {
    const s = series.find((x) => x.key === a.seriesKey);
    const L = commitOf.get(a.lastGoodSha);
    const F = commitOf.get(a.firstBadSha);
    const fresh = await confirmationBoots(paths, a).catch(() => null);
    const pointBoots = (sha: string): number[] => s?.points.find((p) => p.sha === sha)?.boots.map((b) => b.value) ?? [];
    const before = fresh && fresh.before.length > 0 ? fresh.before : pointBoots(a.lastGoodSha);
    const after = fresh && fresh.after.length > 0 ? fresh.after : pointBoots(a.firstBadSha);
    let inRange = 0;
    if (a.bisectionDir !== null) {
      const session = await readSession(sessionPathsIn(`${paths.bisections}/${a.bisectionDir}`)).catch(() => null);
      inRange = session ? session.commits.length - 1 : 0;
    }
    views.push({
      ...a,
      lastGood: { sha: a.lastGoodSha, subject: L?.subject ?? '' },
      firstBad: { sha: a.firstBadSha, subject: F?.subject ?? '', author: F?.author ?? '' },
      commitsInRange: inRange,
      before: summarizeSide(a.lastGoodSha, L?.subject ?? '', before),
      after: summarizeSide(a.firstBadSha, F?.subject ?? '', after),
      reproduce: reproduceCommands(def, a),
    });
  }
  const runViews: SweepRunSummary[] = [];
  for (const r of runs) {
    if (r.kind === 'start') runViews.push({ run: r.run, startedAt: r.at, finishedAt: null, mode: r.mode, measured: 0, hostId: null, head: r.head });
    else {
      const i = runViews.findIndex((x) => x.run === r.run);
      if (i >= 0) runViews[i] = { ...(runViews[i] as SweepRunSummary), finishedAt: r.at, measured: r.measured, hostId: r.hostId };
    }
  }
  const input: SweepReportInput = {
    generatedAt: new Date().toISOString(),
    sweep: {
      id: name,
      repo: def.repo,
      branch: def.branch,
      mode: def.mode,
      profile: measurement.profileName === null ? null : { name: measurement.profileName, hash: measurement.hash },
      command: def.command,
      test: measurement.test,
      bootsPerCommit: def.bootsPerCommit,
    },
    series,
    alerts: views,
    runs: runViews,
  };
  return { paths, def, input, warnings };
}

// Finds an alert by its id, an unambiguous prefix of it, or its 1-based number in the list.
export function findAlert(alerts: readonly AlertRecord[], raw: string): AlertRecord {
  const n = /^#?(\d{1,4})$/.exec(raw);
  if (n) {
    const a = alerts[Number(n[1]) - 1];
    if (a) return a;
  }
  const exact = alerts.find((a) => a.id === raw);
  if (exact) return exact;
  const matches = alerts.filter((a) => a.id.includes(raw) && raw.length >= 4);
  if (matches.length === 1) return matches[0] as AlertRecord;
  throw new UserError(
    matches.length > 1 ? `alert ${JSON.stringify(raw)} is ambiguous: it matches ${matches.length} alerts` : `no alert ${JSON.stringify(raw)} in this sweep`,
    alerts.length === 0 ? 'this sweep has no alerts' : `kbisect sweep alerts lists them; give the number (1..${alerts.length}) or a part of the id such as the first-bad sha`,
  );
}

// `sweep ignore`: the alert is closed for good, and its range never raised again.
export async function ignoreAlert(repo: string, raw: string, why: string | undefined, name = DEFAULT_SWEEP): Promise<AlertRecord> {
  const paths = await locateSweep(repo, name);
  await requireDefinition(paths, name);
  const lock = await acquireLock((await sessionPaths(repo)).lock, 'kbisect sweep ignore');
  try {
    const alerts = await readAlerts(paths);
    const a = findAlert(alerts, raw);
    if (a.state === 'ignored') return a;
    const moved = transitionAlert(a, 'ignored');
    const now = new Date().toISOString();
    const reason = why ?? 'ignored by the user';
    const updated: AlertRecord = { ...a, state: moved.state, why: reason, updatedAt: now, history: [...a.history, { at: now, state: 'ignored', note: `ignored: ${reason}` }] };
    await writeAlerts(paths, alerts.map((x) => (x.id === a.id ? updated : x)));
    return updated;
  } finally {
    await lock.release();
  }
}

// `sweep reset`: moves the sweep's directory aside (nothing measured is deleted).
export async function resetSweep(repo: string, name = DEFAULT_SWEEP): Promise<string | null> {
  const paths = await locateSweep(repo, name);
  const lock = await acquireLock((await sessionPaths(repo)).lock, 'kbisect sweep reset');
  try {
    return await archiveSweep(paths);
  } finally {
    await lock.release();
  }
}
