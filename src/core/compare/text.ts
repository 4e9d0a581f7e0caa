// The plain-text report of a comparison: the outcome in one line, the LKP
// change line of every metric, the looks that led there, and how to resume.
import { formatPercent } from '../format.ts';
import { describeHost, wordsFor, type ReportWords } from '../report/wording.ts';
import type { CompareReport, CompareSubject, LookRecord } from './types.ts';

// Kernel words for kernels and images, sample words for a user's command.
export function compareWords(report: Pick<CompareReport, 'mode'>): ReportWords {
  return wordsFor({ mode: report.mode === 'command' ? 'command' : 'kernel' });
}

function subjectLine(label: string, s: CompareSubject): string {
  const id = s.id.slice(0, 12);
  if (s.kind === 'image') return `${label}  ${s.rev} (image sha256 ${id})`;
  return `${label}  ${s.rev === s.id || s.id.startsWith(s.rev) ? id : `${s.rev} (${id})`} ${s.subject}`;
}

// "A→B -19.8% [-20.5%, -19.1%]" from a look's log-shift and CI.
export function formatLookChange(look: LookRecord): string {
  const pct = (v: number): string => formatPercent(Math.expm1(v), { signed: true });
  return `A→B ${pct(look.logShift)} [${pct(look.logCi[0])}, ${pct(look.logCi[1])}]`;
}

const HEADLINE: Record<CompareReport['outcome'], string> = {
  different: 'different',
  same: 'same',
  inconclusive: 'inconclusive',
  running: 'still running',
};

// Renders the whole report for the terminal.
export function formatCompareText(report: CompareReport): string {
  const words = compareWords(report);
  const judged = report.changes.find((c) => c.judged);
  const lines: string[] = [];
  const verdict = report.verdict === null ? '' : `: B is ${report.verdict} than A`;
  lines.push(`kbisect compare: ${HEADLINE[report.outcome]}${verdict}`);
  lines.push(`  ${subjectLine('A', report.a)}`);
  lines.push(`  ${subjectLine('B', report.b)}`);
  const profile = report.profile.hash ? `profile ${report.profile.name} (${report.profile.hash.slice(0, 12)})` : report.profile.name;
  if (judged) lines.push(`  ${profile}, judged on ${judged.name} [${judged.unit}], ${judged.higherIsBetter ? 'higher' : 'lower'} is better`);
  if (report.mode !== 'command') {
    const host = describeHost({ mode: 'kernel', host: report.host });
    lines.push(`  host ${host.fingerprint}, accelerator ${host.accel}${host.accelNote ? ` (${host.accelNote})` : ''}`);
  }
  const withChange = report.changes.filter((c) => c.line !== null);
  if (withChange.length > 0) {
    lines.push('', 'A → B');
    for (const c of withChange) lines.push(`  ${c.line ?? ''}${c.judged && report.changes.length > 1 ? '  (judged)' : ''}`);
  }
  lines.push('', report.reason);
  if (report.looks.length > 0) {
    lines.push('', `looks (${words.samples} per side: ${report.lookPlan.join(', ')}):`);
    for (const l of report.looks) {
      lines.push(`  ${String(l.look + 1).padStart(3)}  ${`${l.bootsA}+${l.bootsB}`.padEnd(7)} ${formatLookChange(l).padEnd(34)} p=${l.p.toPrecision(3).padEnd(9)} α=${l.alpha.toPrecision(3).padEnd(9)} ${l.status}`);
    }
  }
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  const s = report.settings;
  lines.push(
    '',
    `settings: α ${s.alpha} (both directions together), minimum effect ±${formatPercent(s.minEffect)}, at most ${s.maxBootsPerSide} ${words.samples} per side, seed ${s.seed} (the order within each pair)`,
  );
  const wall = report.wallMs === null ? '' : `, wall ${(report.wallMs / 60000).toFixed(1)} min`;
  lines.push(`total: ${report.boots.a}+${report.boots.b} ${words.samples}${report.failures.a + report.failures.b > 0 ? `, ${report.failures.a + report.failures.b} failed` : ''}${wall}`);
  lines.push(`log: ${report.logDir} (the same command resumes it; --restart starts over)`);
  return lines.join('\n');
}
