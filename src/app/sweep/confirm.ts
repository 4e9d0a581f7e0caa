// Confirmation, then bisection, of a sweep's alerts. Each alert gets its own
// bisection session of L..F (under the sweep's bisections/), so the fresh
// interleaved boots of L and F that confirm it are the bisection's own
// calibration (same α, effect size with CI), and a confirmed regression goes
// on to bisect without measuring anything twice. Not reproduced: the alert
// says so and stays, so that the range is never raised again. A confirmed
// improvement stops there unless --bisect-improvements. Killed, the session
// resumes from its log at the next `sweep run`.
import { join } from 'node:path';
import { InternalError } from '../../core/errors.ts';
import type { BisectState } from '../../core/bisect/types.ts';
import { renderReportHtml } from '../../core/report/html.ts';
import { formatReportText } from '../../core/report/text.ts';
import { transitionAlert, type AlertState } from '../../core/sweep/alerts.ts';
import type { AlertRecord, SweepDefinition } from '../../core/sweep/store-schema.ts';
import type { ExecutorKind } from '../../core/host-config.ts';
import type { AlertBisection, AlertConfirmation } from '../../core/sweep/types.ts';
import { sha256Hex } from '../../adapters/digest.ts';
import { readSession, sessionPathsIn } from '../../adapters/session-store.ts';
import { writeFileAtomic } from '../../adapters/store.ts';
import { bisectionDirOf, readAlerts, writeAlerts, type SweepPaths } from '../../adapters/sweep-store.ts';
import { runBisection, type RunOutcome } from '../bisect/run.ts';
import type { BisectProgress, StageOptions } from '../bisect/stage.ts';
import { startBisection } from '../bisect/start.ts';
import type { ResolvedMeasurement } from './context.ts';

export type ConfirmProgress =
  | { kind: 'alert'; alertId: string; state: AlertState; note: string }
  | { kind: 'step'; alertId: string; progress: BisectProgress };

export interface ConfirmOptions {
  paths: SweepPaths;
  def: SweepDefinition;
  measurement: ResolvedMeasurement;
  /** Only this host's series: a confirmation must run where the step was seen. */
  seriesKey: string;
  bisectImprovements: boolean;
  stageOptions: StageOptions;
  // the sweep's own executor: a confirmation runs where the step was seen
  executor: ExecutorKind;
  onProgress?: (p: ConfirmProgress) => void;
}

const ACTIVE: ReadonlySet<AlertState> = new Set(['candidate', 'confirming', 'bisecting']);

// Moves an alert along and notes why (the history the report shows).
function move(a: AlertRecord, to: AlertState, note: string, fields: Partial<AlertRecord> = {}): AlertRecord {
  const now = new Date().toISOString();
  const moved = a.state === to ? a : transitionAlert(a, to);
  return { ...a, ...fields, state: moved.state, updatedAt: now, history: [...a.history, { at: now, state: moved.state, note }] };
}

// Confirms (and bisects) every open alert of the series; returns the alert list as stored after.
export async function confirmAlerts(o: ConfirmOptions): Promise<AlertRecord[]> {
  let alerts = await readAlerts(o.paths);
  const save = async (a: AlertRecord): Promise<void> => {
    alerts = alerts.map((x) => (x.id === a.id ? a : x));
    await writeAlerts(o.paths, alerts);
    o.onProgress?.({ kind: 'alert', alertId: a.id, state: a.state, note: a.history[a.history.length - 1]?.note ?? '' });
  };
  for (const original of [...alerts]) {
    if (original.seriesKey !== o.seriesKey) continue;
    const wantsBisect = original.evidence.direction === 'regression' || o.bisectImprovements;
    if (!(ACTIVE.has(original.state) || (original.state === 'confirmed' && wantsBisect))) continue;
    await confirmOne(o, original, wantsBisect, save);
  }
  return alerts;
}

async function confirmOne(o: ConfirmOptions, original: AlertRecord, wantsBisect: boolean, save: (a: AlertRecord) => Promise<void>): Promise<void> {
  let a = original;
  const dirId = a.bisectionDir ?? sha256Hex(a.id).slice(0, 16);
  const dir = bisectionDirOf(o.paths, dirId);
  const sessionFiles = sessionPathsIn(dir);
  const existing = await readSession(sessionFiles);
  // a run killed between starting the session and saving the alert finds the session here
  if (existing === null) {
    await startBisection({
      repo: o.def.repo,
      good: a.lastGoodSha,
      bad: a.firstBadSha,
      ...(o.def.mode === 'kernel' ? { profile: o.def.profile as string } : { command: o.def.command as string, timeoutS: o.def.commandTimeoutS }),
      ...(o.def.mode === 'command' && o.def.test !== null ? { higherIsBetter: o.def.test.higherIsBetter } : {}),
      improvement: a.evidence.direction === 'improvement',
      accel: o.def.accel,
      ...(o.def.toolchain === null ? {} : { toolchain: o.def.toolchain }),
      sessionDir: dir,
    });
  }
  if (a.state === 'candidate') {
    a = move(a, 'confirming', `confirming ${a.lastGoodSha.slice(0, 12)}..${a.firstBadSha.slice(0, 12)} with fresh interleaved boots of both`, { bisectionDir: dirId });
    await save(a);
  } else if (a.bisectionDir === null) {
    a = { ...a, bisectionDir: dirId };
    await save(a);
  }
  const session = await readSession(sessionFiles);
  if (session === null) throw new InternalError(`the bisection session of alert ${a.id} vanished`);
  const single = session.commits.length === 2;
  let last: BisectState | null = null;
  let pending = Promise.resolve();
  const calibrated = (s: BisectState): boolean => s.calibration.status === 'confirmed';
  const outcome: RunOutcome = await runBisection({
    repo: o.def.repo,
    sessionDir: dir,
    ...o.stageOptions,
    executor: o.executor,
    stopWhen: (s) => calibrated(s) && (!wantsBisect || single),
    onState: (s) => {
      last = s;
      if (calibrated(s) && a.state === 'confirming' && wantsBisect && !single) {
        a = move(a, 'bisecting', 'reproduced: bisecting with the bisection engine on this host');
        const snapshot = a;
        pending = pending.then(() => save(snapshot));
      }
    },
    onProgress: (p) => o.onProgress?.({ kind: 'step', alertId: a.id, progress: p }),
  });
  await pending;
  const state = last as BisectState | null;
  const reproduced = state === null ? outcome.result.steps.some((s) => s.phase !== 'calibrate') || outcome.result.outcome === 'culprit' || outcome.result.outcome === 'range' : calibrated(state);
  const change = outcome.result.change;
  const calibrationStep = [...outcome.result.steps].reverse().find((s) => s.phase === 'calibrate');
  const confirmation: AlertConfirmation | null =
    change === null
      ? null
      : { ratio: change.ratio, ci: change.ci, p: calibrationStep?.p ?? null, bootsBefore: change.goodBoots, bootsAfter: change.badBoots, confirmed: reproduced };
  const html = renderReportHtml(outcome.report);
  await writeFileAtomic(join(dir, 'report.html'), html);
  const subjectOf = (sha: string): { subject: string; author: string } => {
    const c = outcome.session.commits.find((x) => x.sha === sha);
    return { subject: c?.subject ?? '', author: c?.author ?? '' };
  };
  const r = outcome.result;
  const culpritSha = single && reproduced ? a.firstBadSha : (r.culprit?.commit ?? null);
  const bisection: AlertBisection = {
    outcome: single && reproduced ? 'culprit' : r.outcome,
    culprit: culpritSha === null ? null : { sha: culpritSha, ...subjectOf(culpritSha), probability: single ? 1 : (r.culprit?.probability ?? 0) },
    range: r.range ? { first: r.range.first, last: r.range.last, count: r.range.commits.length, probability: r.range.probability } : null,
    change: (() => {
      const c = r.culpritChange ?? r.change;
      return c === null ? null : { ratio: c.ratio, ci: c.ci, before: c.good, after: c.bad };
    })(),
    boots: r.boots,
    builds: r.builds,
    sessionDir: dir,
    summaryText: formatReportText(outcome.report),
  };
  if (!reproduced) {
    const why =
      r.outcome === 'no-regression'
        ? `not reproduced: fresh interleaved boots of L and F show no ${a.evidence.direction} (${confirmation ? `${((confirmation.ratio - 1) * 100).toFixed(1)}%, CI ${((confirmation.ci[0] - 1) * 100).toFixed(1)}%..${((confirmation.ci[1] - 1) * 100).toFixed(1)}%` : 'no estimate'})`
        : `not reproduced: the confirmation was inconclusive (${r.warnings[0] ?? r.outcome})`;
    await save(move(a, 'not-reproduced', why, { why, confirmation, bisection }));
    return;
  }
  if (!wantsBisect) {
    await save(move(a, 'confirmed', `reproduced (${((change?.ratio ?? 1) - 1) * 100 >= 0 ? '+' : ''}${(((change?.ratio ?? 1) - 1) * 100).toFixed(1)}%); an improvement is bisected only with --bisect-improvements`, { confirmation, bisection }));
    return;
  }
  if (a.state === 'confirming' || a.state === 'confirmed') a = move(a, 'bisecting', single ? `reproduced; ${a.firstBadSha.slice(0, 12)} is ${a.lastGoodSha.slice(0, 12)}'s child` : 'reproduced: bisecting', { confirmation });
  if (bisection.outcome === 'culprit' && bisection.culprit !== null) {
    await save(move(a, 'culprit', `culprit ${bisection.culprit.sha.slice(0, 12)} ("${bisection.culprit.subject}"), probability ${(bisection.culprit.probability * 100).toFixed(1)}%`, { confirmation, bisection }));
  } else {
    await save(move(a, 'range', `the bisection ended with ${bisection.outcome}${bisection.range ? `: ${bisection.range.count} commits ${bisection.range.first.slice(0, 12)}..${bisection.range.last.slice(0, 12)}` : ''}`, { confirmation, bisection }));
  }
}
