// `kbisect sweep`: measure new commits on a schedule, detect steps, confirm
// and bisect them. Thin: parse, call app/sweep, print.
import type { Argv, CommandModule } from 'yargs';
import { checkOutputPath, writeOutputFile } from '../../app/bisect/report-file.ts';
import { DEFAULT_SWEEP } from '../../app/sweep/context.ts';
import { DEFAULT_MAX_COMMITS, DEFAULT_SWEEP_BOOTS, DEFAULT_SWEEP_REFERENCE_EVERY, runSweep, type SweepProgress } from '../../app/sweep/run.ts';
import { ignoreAlert, loadSweepView, resetSweep } from '../../app/sweep/view.ts';
import { formatMeasurement, formatPercent } from '../../core/format.ts';
import { renderSweepHtml } from '../../core/sweep/report-html.ts';
import { renderSweepText } from '../../core/sweep/report-text.ts';
import { describeDrift } from '../../core/sweep/series.ts';
import type { AlertRecord } from '../../core/sweep/store-schema.ts';
import type { SweepReportInput } from '../../core/sweep/types.ts';
import { formatTable, type Output } from '../output.ts';
import type { CommandContext, GlobalArgs } from '../context.ts';
import { executorArg, formatExecutorSummary, withExecutorOption } from '../executor.ts';
import { sweepScheduleCommand } from './sweep-schedule.ts';

type Cmd = CommandModule<GlobalArgs, GlobalArgs & Record<string, unknown>>;

const sweepOption = (y: Argv<GlobalArgs>): Argv<GlobalArgs> =>
  y.option('sweep', { type: 'string', requiresArg: true, default: DEFAULT_SWEEP, describe: 'which sweep of this repository (one per measurement; stored under the data dir)' });

function formatSweepProgress(p: SweepProgress): string | null {
  switch (p.kind) {
    case 'plan':
      return `sweep run ${p.run} (${p.mode}): head ${p.head.slice(0, 12)}, ${p.commits} commit(s) chosen, ${p.toMeasure} to measure${p.newHistory ? ' — branch rewritten: new epoch' : ''}`;
    case 'measure':
      return `[${p.position}/${p.total}] ${p.role === 'reference' ? 'reference ' : ''}${p.sha.slice(0, 12)} ${p.subject.slice(0, 40)} · ${p.stage} ${p.detail}`;
    case 'recorded':
      return null;
    case 'alert':
      return `alert ${p.event.kind}: ${p.event.alertId}`;
    case 'confirm':
      return p.progress.kind === 'alert'
        ? `alert ${p.progress.alertId}: ${p.progress.state} — ${p.progress.note}`
        : `  ${p.progress.progress.phase} ${p.progress.progress.commit.slice(0, 12)} ${p.progress.progress.stage} ${(p.progress.progress.bootIndex ?? 0) + 1}/${p.progress.progress.bootsWanted ?? '?'}`;
    default:
      return null;
  }
}

function describeAlert(a: Pick<AlertRecord, 'state' | 'evidence' | 'lastGoodSha' | 'firstBadSha' | 'bisection' | 'why' | 'id'>, i: number, unit: string): string[] {
  const change = `${formatPercent(a.evidence.relativeChange, { signed: true })} (CI ${formatPercent(a.evidence.relativeChangeCi[0], { signed: true })}..${formatPercent(a.evidence.relativeChangeCi[1], { signed: true })})`;
  const lines = [`#${i + 1} ${a.state.padEnd(14)} ${a.evidence.direction} ${change}  ${a.lastGoodSha.slice(0, 12)}..${a.firstBadSha.slice(0, 12)}  p=${a.evidence.pValue.toPrecision(2)}`];
  if (a.bisection?.culprit) lines.push(`   culprit ${a.bisection.culprit.sha.slice(0, 12)} "${a.bisection.culprit.subject}" (${formatPercent(a.bisection.culprit.probability, { digits: 1 })})`);
  if (a.bisection?.change) {
    const c = a.bisection.change;
    lines.push(`   change ${formatMeasurement(c.before, unit)} → ${formatMeasurement(c.after, unit)} ${formatPercent(c.ratio - 1, { signed: true })} (CI ${formatPercent(c.ci[0] - 1, { signed: true })}..${formatPercent(c.ci[1] - 1, { signed: true })})`);
  }
  if (a.why) lines.push(`   ${a.why}`);
  lines.push(`   id: ${a.id}`);
  return lines;
}

function printStatus(out: Output, input: SweepReportInput, notes: readonly string[]): void {
  const s = input.sweep;
  const lines = [
    `sweep ${s.id} of ${s.repo} (branch ${s.branch})`,
    `  measures: ${s.mode === 'kernel' ? `profile ${s.profile?.name} (${s.profile?.hash.slice(0, 12)})` : `\`${s.command}\``}, ${s.test.name} ${s.test.metric}, ${s.bootsPerCommit} boot(s) per commit`,
    `  runs: ${input.runs.length}${input.runs.length > 0 ? `, last #${input.runs[input.runs.length - 1]?.run} ${input.runs[input.runs.length - 1]?.finishedAt === null ? 'interrupted or running' : `finished ${input.runs[input.runs.length - 1]?.finishedAt}`}` : ''}`,
  ];
  for (const v of input.series) {
    const measured = v.points.filter((p) => p.raw !== null).length;
    lines.push(`  series ${v.key}: ${v.points.length} commit(s), ${measured} measured, ${v.epochs.length} epoch(s), ${v.changePoints.length} change point(s); host ${v.host.cpuModel}, accel ${v.host.accel}; reference ${v.referenceSha.slice(0, 12)} (${v.referenceBoots.length} boots; adjustment: ${describeDrift(v.drift)})`);
  }
  lines.push(`  alerts: ${input.alerts.length === 0 ? 'none' : ''}`);
  input.alerts.forEach((a, i) => lines.push(...describeAlert(a, i, s.test.unit).map((l) => `    ${l}`)));
  for (const n of notes) lines.push(`  note: ${n}`);
  out.print(lines.join('\n'));
}

export function sweepCommand(ctx: CommandContext): Cmd {
  const run: Cmd = {
    command: 'run',
    describe: 'measure the new commits of the branch (or a --range), detect steps, confirm and bisect them',
    builder: (y: Argv<GlobalArgs>) =>
      withExecutorOption(sweepOption(y))
        .option('profile', { alias: 'p', type: 'string', requiresArg: true, describe: 'kernel mode: measure each commit with this profile (first run; then fixed)' })
        .option('cmd', { type: 'string', requiresArg: true, describe: 'generic mode: one run of this shell command in the checked-out tree is one sample (its last line a number; exit 125 = skip)' })
        .option('timeout', { type: 'number', requiresArg: true, describe: 'with --cmd: seconds one run may take (default 1800)' })
        .option('lower-is-better', { type: 'boolean', default: false, describe: 'with --cmd (first run): smaller numbers are better' })
        .option('branch', { type: 'string', requiresArg: true, describe: 'the branch (any revision) to follow; default HEAD, then as first given' })
        .option('remote', { type: 'string', requiresArg: true, describe: 'git fetch this remote first' })
        .option('range', { type: 'string', requiresArg: true, describe: 'backfill: measure A..B (first-parent) instead of the new commits' })
        .option('stride', { type: 'number', requiresArg: true, describe: 'with --range: every K-th commit (B always)' })
        .option('max-commits', { type: 'number', requiresArg: true, describe: `new commits measured at most, spread evenly, the head always (default ${DEFAULT_MAX_COMMITS})` })
        .option('boots', { type: 'number', requiresArg: true, describe: `boots (command mode: runs) per commit (default ${DEFAULT_SWEEP_BOOTS})` })
        .option('reference-every', { type: 'number', requiresArg: true, describe: `a boot of the reference kernel after every N commits, against drift (default ${DEFAULT_SWEEP_REFERENCE_EVERY})` })
        .option('bisect-improvements', { type: 'boolean', default: false, describe: 'also bisect confirmed improvements (they are always detected and confirmed)' })
        // declared as `confirm`: yargs reads --no-confirm as confirm=false (an option named no-confirm is never set)
        .option('confirm', { type: 'boolean', default: true, describe: 'confirm and bisect new alerts; --no-confirm: raise alerts only, confirm and bisect them at a later run' })
        .option('jobs', { alias: 'j', type: 'number', default: 1, describe: 'build slots for the bisections' })
        .option('html', { type: 'string', requiresArg: true, describe: 'also write the HTML dashboard to this file (checked before anything runs)' })
        .option('accel', { choices: ['auto', 'kvm', 'tcg'] as const, default: 'auto' as const, describe: 'accelerator for the guests (first run)' })
        .option('toolchain', { type: 'string', requiresArg: true, describe: 'compiler for the kernel builds (first run)' })
        .example('$0 sweep run --profile tcp-stream-host-to-guest', 'nightly: the new first-parent commits of HEAD since the last run on this host')
        .example('$0 sweep run --range v6.0..v6.1 --stride 50', 'backfill history at a stride')
        .example("$0 sweep run --cmd './bench.sh' --range A..B --stride 10", 'any benchmark printing a number')
        .example('$0 sweep run --executor slurm', "every point, reference boot, confirmation and bisection as Slurm jobs on host.yaml's measurement node (the series is that node's)")
        .epilogue('Each run boots the reference kernel (the series\' first commit) among the commits it measures and judges every commit relative to it. A step is an alert; alerts are confirmed with fresh interleaved boots of the commits either side, and confirmed regressions are bisected. Two sweep runs (or a sweep run and kbisect run) never interleave on one repository: the second is refused, naming the pid of the first.'),
    handler: async (argv) => {
      const out = ctx.output(argv);
      const repo = ctx.cwd(argv);
      const controller = new AbortController();
      if (argv.html !== undefined) await checkOutputPath(String(argv.html), '--html');
      const outcome = await runSweep({
        repo,
        name: String(argv.sweep),
        ...(argv.profile === undefined ? {} : { profile: String(argv.profile) }),
        ...(argv.cmd === undefined ? {} : { command: String(argv.cmd) }),
        ...(argv.timeout === undefined ? {} : { timeoutS: Number(argv.timeout) }),
        lowerIsBetter: argv['lower-is-better'] === true,
        ...(argv.branch === undefined ? {} : { branch: String(argv.branch) }),
        ...(argv.remote === undefined ? {} : { remote: String(argv.remote) }),
        ...(argv.range === undefined ? {} : { range: String(argv.range) }),
        ...(argv.stride === undefined ? {} : { stride: Number(argv.stride) }),
        ...(argv['max-commits'] === undefined ? {} : { maxCommits: Number(argv['max-commits']) }),
        ...(argv.boots === undefined ? {} : { boots: Number(argv.boots) }),
        ...(argv['reference-every'] === undefined ? {} : { referenceEvery: Number(argv['reference-every']) }),
        bisectImprovements: argv['bisect-improvements'] === true,
        noConfirm: argv.confirm === false,
        jobs: Number(argv.jobs),
        accel: argv.accel as 'auto' | 'kvm' | 'tcg',
        ...(argv.toolchain === undefined ? {} : { toolchain: String(argv.toolchain) }),
        ...executorArg(argv),
        onNote: (t) => out.note(t),
        onProgress: (p) => {
          const line = formatSweepProgress(p);
          if (line === null) return;
          if (p.kind === 'measure' || (p.kind === 'confirm' && p.progress.kind === 'step')) out.progress(line);
          else out.info(line);
        },
        signal: controller.signal,
      });
      out.endProgress();
      const executor = outcome.executor;
      // before --json returns: the dashboard asked for is written whatever the output format
      if (argv.html !== undefined) {
        const view = await loadSweepView(repo, String(argv.sweep));
        await writeOutputFile(String(argv.html), '--html', renderSweepHtml(view.input));
        out.info(`dashboard written to ${String(argv.html)}`);
      }
      if (out.json) {
        out.printJson({
          run: outcome.run,
          mode: outcome.mode,
          head: outcome.head,
          host: outcome.host,
          referenceSha: outcome.referenceSha,
          measured: outcome.measured,
          alertEvents: outcome.alertEvents,
          alerts: outcome.alerts,
          notes: outcome.notes,
          ...(executor ? { executor } : {}),
        });
        return;
      }
      if (executor) out.info(formatExecutorSummary(executor));
      const lines = [`sweep run ${outcome.run}: measured ${outcome.measured.length} commit(s) on host ${outcome.host?.id ?? '?'} (${outcome.host?.accel ?? '?'})`];
      for (const m of outcome.measured) lines.push(`  ${m.sha.slice(0, 12)} ${m.subject.slice(0, 50).padEnd(50)} ${m.boots} boot(s)${m.failures > 0 ? `, ${m.failures} failure(s)` : ''}`);
      const unit = outcome.series[0]?.test.unit ?? '';
      if (outcome.alerts.length > 0) lines.push('alerts:');
      outcome.alerts.forEach((a, i) => lines.push(...describeAlert(a, i, unit).map((l) => `  ${l}`)));
      out.print(lines.join('\n'));
    },
  };

  const status: Cmd = {
    command: 'status',
    describe: 'what the sweep measured, its series and alerts',
    builder: (y: Argv<GlobalArgs>) => sweepOption(y),
    handler: async (argv) => {
      const out = ctx.output(argv);
      const view = await loadSweepView(ctx.cwd(argv), String(argv.sweep));
      for (const w of view.warnings) out.note(w);
      if (out.json) {
        out.printJson({ sweep: view.input.sweep, runs: view.input.runs, series: view.input.series.map((s) => ({ key: s.key, host: s.host, points: s.points.length, measured: s.points.filter((p) => p.raw !== null).length, epochs: s.epochs.length, changePoints: s.changePoints, referenceSha: s.referenceSha })), alerts: view.input.alerts.map(({ history: _h, ...a }) => a) });
        return;
      }
      printStatus(out, view.input, []);
    },
  };

  const report: Cmd = {
    command: 'report',
    describe: 'the sweep report: a summary, --text (LKP-style mail per confirmed alert), --html FILE (dashboard), or --json (everything)',
    builder: (y: Argv<GlobalArgs>) =>
      sweepOption(y)
        .option('html', { type: 'string', requiresArg: true, describe: 'write the self-contained HTML dashboard to this file' })
        .option('text', { type: 'boolean', default: false, describe: 'print one mail body per confirmed alert, as the 0-day robot writes them' })
        .example('$0 sweep report --html sweep.html', 'charts of every series, change points, epochs and alerts')
        .example('$0 sweep report --text | mail -s "kbisect: regressions" netdev-perf@example.org', 'the nightly mail'),
    handler: async (argv) => {
      const out = ctx.output(argv);
      if (argv.html !== undefined) await checkOutputPath(String(argv.html), '--html');
      const view = await loadSweepView(ctx.cwd(argv), String(argv.sweep));
      for (const w of view.warnings) out.note(w);
      if (argv.html !== undefined) {
        await writeOutputFile(String(argv.html), '--html', renderSweepHtml(view.input));
        out.info(`dashboard written to ${String(argv.html)}`);
      }
      if (out.json) out.printJson(view.input);
      else if (argv.text === true) out.print(renderSweepText(view.input));
      else if (argv.html === undefined) printStatus(out, view.input, []);
    },
  };

  const alerts: Cmd = {
    command: 'alerts',
    describe: 'list the alerts (number, state, range, change, culprit)',
    builder: (y: Argv<GlobalArgs>) => sweepOption(y),
    handler: async (argv) => {
      const out = ctx.output(argv);
      const view = await loadSweepView(ctx.cwd(argv), String(argv.sweep));
      if (out.json) {
        out.printJson(view.input.alerts);
        return;
      }
      if (view.input.alerts.length === 0) {
        out.print('no alerts');
        return;
      }
      out.print(
        formatTable([
          ['#', 'state', 'direction', 'change', 'range', 'culprit', 'id'],
          ...view.input.alerts.map((a, i) => [
            String(i + 1),
            a.state,
            a.evidence.direction,
            formatPercent(a.evidence.relativeChange, { signed: true }),
            `${a.lastGoodSha.slice(0, 10)}..${a.firstBadSha.slice(0, 10)}`,
            a.bisection?.culprit ? `${a.bisection.culprit.sha.slice(0, 10)} ${formatPercent(a.bisection.culprit.probability, { digits: 0 })}` : '',
            a.id,
          ]),
        ]),
      );
    },
  };

  const ignore: Cmd = {
    command: 'ignore <alert>',
    describe: 'close an alert for good (its range is never raised again); ALERT is its number, id, or a part of it',
    builder: (y: Argv<GlobalArgs>) =>
      sweepOption(y)
        .positional('alert', { type: 'string', describe: 'the alert: number in `sweep alerts`, its id, or a unique part (e.g. the first-bad sha)' })
        .option('why', { type: 'string', requiresArg: true, describe: 'the reason, kept with the alert and shown in reports' }),
    handler: async (argv) => {
      const out = ctx.output(argv);
      const a = await ignoreAlert(ctx.cwd(argv), String(argv.alert), argv.why === undefined ? undefined : String(argv.why), String(argv.sweep));
      if (out.json) out.printJson(a);
      else out.print(`alert ${a.id}: ignored${a.why ? ` (${a.why})` : ''}`);
    },
  };

  const reset: Cmd = {
    command: 'reset',
    describe: 'move the whole sweep aside (measurements, alerts, bisections are kept in an archive) to start again',
    builder: (y: Argv<GlobalArgs>) => sweepOption(y),
    handler: async (argv) => {
      const out = ctx.output(argv);
      const archived = await resetSweep(ctx.cwd(argv), String(argv.sweep));
      if (out.json) out.printJson({ archived });
      else out.print(archived === null ? 'no sweep to reset' : `sweep moved to ${archived}`);
    },
  };

  return {
    command: 'sweep',
    describe: 'scheduled sweeps: measure new commits, detect steps, confirm and bisect them (run, status, report, alerts, ignore, reset, schedule)',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .command(run as unknown as CommandModule)
        .command(status as unknown as CommandModule)
        .command(report as unknown as CommandModule)
        .command(alerts as unknown as CommandModule)
        .command(ignore as unknown as CommandModule)
        .command(reset as unknown as CommandModule)
        .command(sweepScheduleCommand(ctx) as unknown as CommandModule)
        .demandCommand(1, 'sweep: expected a subcommand (run, status, report, alerts, ignore, reset, schedule)') as unknown as Argv<GlobalArgs>,
    handler: () => {},
  };
}
