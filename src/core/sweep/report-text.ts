// The sweep's mail: one message body per alert worth a maintainer's time (a
// culprit, a range, a bisection under way, a confirmed step), laid out like the
// kernel test robot's (Intel LKP/0-day) regression reports, whose
// "%stddev %change %stddev" table kernel engineers already know how to read.
import { formatNumber, formatPercent } from '../report/text.ts';
import { formatQemuVersion } from '../format.ts';
import type { AlertView, SeriesView, SweepHost, SweepReportInput, SweepTest } from './types.ts';

export interface SweepTextOptions {
  /** Only these alerts (by id); all alerts when absent. */
  readonly alertIds?: readonly string[];
}

/** States whose alert is news to a maintainer; 'confirmed' is a string so that a state added later needs no change here. */
const MAILED_STATES: ReadonlySet<string> = new Set(['culprit', 'range', 'bisecting', 'confirmed']);

const RULE = '-'.repeat(72);
const INDENT = '        ';

// The value columns of an LKP compare line: integers from 1000 on, 4 significant digits past 8 digits, 2 decimals below 1000.
export function formatLkpValue(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (Math.abs(value) < 1000) return value.toFixed(2);
  const whole = Math.round(value).toString();
  if (whole.replace('-', '').length <= 8) return whole;
  const [mantissa = '', exponent = '0'] = value.toExponential(3).split('e');
  const sign = exponent.startsWith('-') ? '-' : '+';
  return `${mantissa.replace(/\.?0+$/, '')}e${sign}${exponent.replace(/^[+-]/, '').padStart(2, '0')}`;
}

// LKP's "± 3%" cell; the robot leaves spreads under 2% blank, so the eye goes to the noisy rows.
function formatLkpSpread(stddevPercent: number, n: number): string {
  const pct = Math.round(stddevPercent);
  return n >= 2 && Number.isFinite(pct) && pct >= 2 ? ` ±${String(pct).padStart(3)}%` : '      ';
}

export interface LkpSide {
  readonly mean: number;
  readonly stddevPercent: number;
  readonly n: number;
}

// One row of LKP's compare table: `      9375 ±  2%     -53.1%       4397 ±  3%  netperf.throughput`.
export function formatLkpCompareRow(before: LkpSide, after: LkpSide, metric: string): string {
  const ratio = after.mean / before.mean;
  const change = Number.isFinite(ratio) ? `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}%` : '—';
  return `${formatLkpValue(before.mean).padStart(10)}${formatLkpSpread(before.stddevPercent, before.n)}${change.padStart(11)}${formatLkpValue(after.mean).padStart(11)}${formatLkpSpread(after.stddevPercent, after.n)}  ${metric}`;
}

// LKP's compare table for one metric: the two shas, the column heads and the row.
export function formatLkpTable(before: LkpSide & { readonly sha: string }, after: LkpSide & { readonly sha: string }, metric: string): string[] {
  return [
    `${before.sha.slice(0, 16).padEnd(16)} ${after.sha.slice(0, 27)}`,
    '---------------- ---------------------------',
    '         %stddev     %change         %stddev',
    '             \\          |                \\',
    formatLkpCompareRow(before, after, metric),
  ];
}

// The name a metric goes by in subjects and tables: netperf.TCP_STREAM.throughput, or command.value.
export function formatMetricPath(mode: SweepReportInput['sweep']['mode'], test: SweepTest): string {
  return mode === 'command' ? `command.${test.metric}` : `netperf.${test.name}.${test.metric}`;
}

// A p-value as people quote it: two significant digits, exponent form below 1e-4; '—' when there is none.
export function formatPValue(p: number | null): string {
  if (p === null || !Number.isFinite(p)) return '—';
  return p < 1e-4 ? p.toExponential(1) : String(Number(p.toPrecision(2)));
}

/** The best estimate of an alert's change: the bisection's, else the confirmation's, else the detector's. */
export interface AlertChange {
  readonly ratio: number;
  readonly ci: readonly [number, number];
  readonly source: 'bisection' | 'confirmation' | 'detector';
}

// One number per alert for subjects and headlines, from the strongest evidence there is.
export function pickAlertChange(alert: AlertView): AlertChange {
  if (alert.bisection?.change) return { ratio: alert.bisection.change.ratio, ci: alert.bisection.change.ci, source: 'bisection' };
  if (alert.confirmation) return { ratio: alert.confirmation.ratio, ci: alert.confirmation.ci, source: 'confirmation' };
  const e = alert.evidence;
  return { ratio: 1 + e.relativeChange, ci: [1 + e.relativeChangeCi[0], 1 + e.relativeChangeCi[1]], source: 'detector' };
}

function formatRatioWithCi(ratio: number, ci: readonly [number, number]): string {
  const pct = (r: number): string => (Number.isFinite(r) ? formatPercent(r) : '—');
  return `${pct(ratio)} [${pct(ci[0])}, ${pct(ci[1])}]`;
}

function repoName(repo: string): string {
  const last = repo.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? '';
  return last.replace(/\.git$/, '') || repo;
}

// LKP's "[sched/fair]": the culprit subject's subsystem prefix, else the repository's name.
function findArea(alert: AlertView, repo: string): string {
  const subject = alert.bisection?.culprit?.subject ?? '';
  const colon = subject.indexOf(':');
  const area = colon > 0 ? subject.slice(0, colon).trim() : '';
  return area || repoName(repo);
}

// The line an LKP mail carries as its subject: `[virtio_net] 37d8e787a9: netperf.TCP_STREAM.throughput -12.1% regression`.
export function formatAlertSubject(input: SweepReportInput, alert: AlertView): string {
  const test = input.series.find((s) => s.key === alert.seriesKey)?.test ?? input.sweep.test;
  const sha = alert.bisection?.culprit?.sha ?? alert.firstBadSha;
  return `[${findArea(alert, input.sweep.repo)}] ${sha.slice(0, 10)}: ${formatMetricPath(input.sweep.mode, test)} ${formatPercent(pickAlertChange(alert).ratio)} ${alert.evidence.direction}`;
}

function findSubject(series: SeriesView | undefined, sha: string): string {
  const point = series?.points.find((p) => p.sha === sha || p.sha.startsWith(sha) || sha.startsWith(p.sha));
  return point?.subject ?? '';
}

const commitRef = (sha: string, subject: string, width = 12): string => `${sha.slice(0, width)}${subject ? ` ("${subject}")` : ''}`;

// The host of the epoch that holds F: where the step was measured, not the machine's newest fingerprint.
function findAlertHost(series: SeriesView, alert: AlertView): SweepHost {
  const at = series.points.find((p) => p.sha === alert.firstBadSha)?.index;
  const epoch = at === undefined ? undefined : series.epochs.find((e) => e.start <= at && at < e.end);
  return epoch?.host ?? series.host;
}

function describeMachine(input: SweepReportInput, series: SeriesView | undefined, alert: AlertView): string {
  if (!series) return 'on test machine: unknown (the series is not in this report)';
  const h = findAlertHost(series, alert);
  const machine = h.machine ? `${h.machine}, ` : '';
  if (input.sweep.mode === 'command') return `on test machine: ${machine}${h.cpuModel}, host kernel ${h.hostKernel} (host id ${h.id})`;
  return `on test machine: ${machine}${h.cpuModel}, host kernel ${h.hostKernel}, ${formatQemuVersion(h.qemuVersion)}, accel ${h.accel} (host id ${h.id})`;
}

function describeTestcase(input: SweepReportInput, test: SweepTest): string {
  const { sweep } = input;
  if (sweep.mode === 'command') return `in testcase: command \`${sweep.command ?? ''}\``;
  const profile = sweep.profile ? `profile ${sweep.profile.name} @ ${sweep.profile.hash.slice(0, 8)}, ` : '';
  return `in testcase: netperf (${profile}test ${test.name})`;
}

function renderAlertMail(input: SweepReportInput, alert: AlertView): string[] {
  const series = input.series.find((s) => s.key === alert.seriesKey);
  const test = series?.test ?? input.sweep.test;
  const metric = formatMetricPath(input.sweep.mode, test);
  const words = input.sweep.mode === 'command' ? { samples: 'samples', builds: 'checkouts' } : { samples: 'boots', builds: 'builds' };
  const change = pickAlertChange(alert);
  const noticed = `FYI, we noticed a ${formatPercent(change.ratio)} ${alert.evidence.direction} of ${metric}`;
  const b = alert.bisection;
  const lines: string[] = [formatAlertSubject(input, alert), '', 'Greeting,', ''];
  if (b?.outcome === 'culprit' && b.culprit) {
    lines.push(`${noticed} due to commit:`, '', `commit: ${commitRef(b.culprit.sha, b.culprit.subject)}`);
  } else if (b?.outcome === 'range' && b.range) {
    lines.push(
      `${noticed} due to one of ${b.range.count} commits (build or boot failures hide which one):`,
      '',
      `first: ${commitRef(b.range.first, findSubject(series, b.range.first))}`,
      `last:  ${commitRef(b.range.last, findSubject(series, b.range.last))}`,
    );
  } else {
    const status = b?.outcome === 'running' || alert.state === 'bisecting' ? 'bisection running' : 'confirmed, not yet bisected';
    lines.push(
      `${noticed} between these commits (${alert.commitsInRange} commits in range, ${status}):`,
      '',
      `last good: ${commitRef(alert.lastGood.sha, alert.lastGood.subject)}`,
      `first bad: ${commitRef(alert.firstBad.sha, alert.firstBad.subject)}`,
    );
  }
  lines.push(`repo: ${input.sweep.repo}  branch: ${input.sweep.branch}`, '', describeTestcase(input, test), describeMachine(input, series, alert), '');
  lines.push(`alert: ${alert.id} (${alert.state}, raised ${alert.raisedAt}, updated ${alert.updatedAt})`);
  if (b) {
    const probability = b.culprit ? `, probability ${(b.culprit.probability * 100).toFixed(1)}%` : b.range ? `, probability ${(b.range.probability * 100).toFixed(1)}%` : '';
    lines.push(`bisection: ${b.outcome}${probability}, ${b.boots} ${words.samples}, ${b.builds} ${words.builds}`);
    if (b.change) {
      const sides = b.culprit ? ['parent', 'culprit'] : ['L', 'F'];
      lines.push(`change: ${formatRatioWithCi(b.change.ratio, b.change.ci)} (${sides[0]} ${formatNumber(b.change.before)} → ${sides[1]} ${formatNumber(b.change.after)} ${test.unit})`);
    }
  }
  const c = alert.confirmation;
  if (c) {
    lines.push(`confirmation: F/L ${formatRatioWithCi(c.ratio, c.ci)}, p = ${formatPValue(c.p)}, ${c.bootsBefore} + ${c.bootsAfter} ${words.samples}${c.confirmed ? '' : ', not confirmed'}`);
  }
  if (!b?.change && !c) lines.push(`change: ${formatRatioWithCi(change.ratio, change.ci)} (detector, p = ${formatPValue(alert.evidence.pValue)})`);
  if (alert.before && alert.after) {
    const { before, after } = alert;
    lines.push(
      '',
      'commit:',
      `  ${commitRef(before.sha, before.subject, 10)}`,
      `  ${commitRef(after.sha, after.subject, 10)}`,
      '',
      ...formatLkpTable(before, after, metric),
    );
  }
  lines.push('', 'To reproduce:', '');
  if (alert.reproduce.length === 0) lines.push(`${INDENT}(no commands recorded)`);
  for (const command of alert.reproduce) lines.push(`${INDENT}${command}`);
  return lines;
}

function countStates(alerts: readonly AlertView[]): string {
  if (alerts.length === 0) return 'no alerts';
  const counts = new Map<string, number>();
  for (const a of alerts) counts.set(a.state, (counts.get(a.state) ?? 0) + 1);
  const parts = [...counts].map(([state, n]) => `${n} ${state}`);
  return `${alerts.length} alert${alerts.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

// The mail bodies for the alerts a maintainer should hear about, one LKP-style block each.
export function renderSweepText(input: SweepReportInput, opts?: SweepTextOptions): string {
  const wanted = opts?.alertIds ? new Set(opts.alertIds) : null;
  const considered = wanted ? input.alerts.filter((a) => wanted.has(a.id)) : input.alerts;
  const mailed = considered.filter((a) => MAILED_STATES.has(a.state));
  if (mailed.length === 0) return `No confirmed alerts to report (${countStates(considered)}).`;
  return mailed.map((a) => renderAlertMail(input, a).join('\n')).join(`\n\n${RULE}\n\n`);
}
