// The git-bisect vocabulary: start, run, good, bad, skip, status, log,
// replay, reset, visualize, report. Thin: parse, call app/bisect.ts, print.
import type { Argv, CommandModule } from 'yargs';
import {
  checkOutputPath,
  writeOutputFile,
  exportLog,
  getPosterior,
  getStatus,
  markCommit,
  prepareEvidenceBundle,
  replayFromBundle,
  replayLog,
  reportFromBundle,
  resetBisection,
  runBisection,
  startBisection,
  toJsonResult,
  writeEvidenceBundle,
  type BisectProgress,
  type BundleInfo,
} from '../../app/bisect.ts';
import { UserError, type ExitKind } from '../../core/errors.ts';
import { formatReportText } from '../../core/report/text.ts';
import { renderReportHtml } from '../../core/report/html.ts';
import type { BisectResult } from '../../core/bisect/types.ts';
import { formatTable } from '../output.ts';
import { formatDuration, formatMeasurement, formatPercent } from '../../core/format.ts';
import type { CommandContext, GlobalArgs } from '../context.ts';
import { executorArg, formatExecutorSummary, withExecutorOption } from '../executor.ts';

type Cmd = CommandModule<GlobalArgs, GlobalArgs & Record<string, unknown>>;

// ok when a culprit (or a range) was named, or the bisection still runs; inconclusive when the evidence did not allow it.
export function exitKindOf(result: BisectResult): ExitKind {
  return result.outcome === 'culprit' || result.outcome === 'range' || result.outcome === 'running' ? 'ok' : 'inconclusive';
}

// One status line: step, commit, stage, the leading candidate, elapsed time.
export function formatProgress(p: BisectProgress): string {
  let stage: string;
  switch (p.stage) {
    case 'build':
      stage = p.build?.percent != null ? `building ${Math.floor(p.build.percent)}%` : p.build ? `building (${p.build.phase})` : 'building';
      break;
    case 'boot':
      stage = `booting ${(p.bootIndex ?? 0) + 1}/${p.bootsWanted ?? '?'}`;
      break;
    case 'sample':
      stage = `boot ${(p.bootIndex ?? 0) + 1}/${p.bootsWanted ?? '?'} run ${p.sample?.rep ?? '?'}/${p.sample?.reps ?? '?'}${p.sample?.value != null ? ` = ${formatMeasurement(p.sample.value, p.sample.unit)}` : ''}`;
      break;
    case 'command':
      stage = `sample ${(p.bootIndex ?? 0) + 1}/${p.bootsWanted ?? '?'}`;
      break;
  }
  const leader = p.leader && p.leaderProbability !== null ? ` · leader ${p.leader.slice(0, 10)} ${formatPercent(p.leaderProbability, { digits: 0 })}` : '';
  const on = p.host === undefined ? '' : ` on ${p.host}`;
  return `[${formatDuration(p.elapsedMs)}] step ${p.step} ${p.phase} ${p.commit.slice(0, 12)} ${p.subject.slice(0, 40)} · ${stage}${on}${leader}`;
}

const withRepo = (ctx: CommandContext, argv: GlobalArgs): string => ctx.cwd(argv);

// `bundle x.tar.gz: sha256 …, written … by kbisect …; 12 members, 7023 bytes; 1 of 2 kernel .config(s), 1 host fingerprint(s)`.
function describeBundle(b: BundleInfo): string {
  const configs = b.kernels.filter((k) => k.config !== null).length;
  return `bundle ${b.file}: sha256 ${b.setSha256}, written ${b.createdAt} by kbisect ${b.kbisectVersion}; ${b.members} members, ${b.bytes} bytes; ${configs} of ${b.kernels.length} kernel .config(s), ${b.hosts.length} host fingerprint(s)`;
}

export function bisectCommands(ctx: CommandContext): Cmd[] {
  const start: Cmd = {
    command: 'start <good> <bad>',
    describe: 'start bisecting GOOD..BAD in this kernel git tree (or -C DIR); pathspecs after --',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .positional('good', { type: 'string', describe: 'a revision that performs well (the old state)' })
        .positional('bad', { type: 'string', describe: 'a later revision that performs badly (the new state)' })
        .option('profile', { alias: 'p', type: 'string', requiresArg: true, describe: 'measurement profile: a built-in name (kbisect profile list) or a YAML file. Or give it later: kbisect run --profile' })
        .option('metric', { type: 'string', describe: "which of the profile's tests (name or metric) decides; default: its first test" })
        .option('first-parent', { type: 'boolean', default: false, describe: 'follow only the first parent of merges' })
        .option('term-old', { type: 'string', describe: 'name of the old state in reports (default good)' })
        .option('term-new', { type: 'string', describe: 'name of the new state in reports (default bad)' })
        .option('improvement', { type: 'boolean', default: false, describe: 'bisect a speedup: find the commit that made it faster' })
        .option('cmd', { type: 'string', requiresArg: true, describe: 'generic mode: measure by running this shell command in the checked-out tree (one number on its last line per run; exit 125 = skip). Or give it later: kbisect run --cmd' })
        .option('timeout', { type: 'number', requiresArg: true, describe: 'with --cmd: seconds one run may take; then its whole process group is killed and the run counts as failed (default 1800)' })
        .option('lower-is-better', { type: 'boolean', default: false, describe: 'with --cmd: smaller numbers are better (times, latencies)' })
        .option('confidence', { type: 'number', requiresArg: true, describe: 'posterior probability the culprit must reach (default 0.95)' })
        .option('max-boots', { type: 'number', requiresArg: true, describe: "boots per commit before it is judged unknown (default: the profile's maxBoots)" })
        .option('min-effect', { type: 'number', requiresArg: true, describe: "smallest relative change that matters, e.g. 0.03 (default: the profile's)" })
        .option('reference-every', {
          type: 'number',
          requiresArg: true,
          describe: "while bisecting, boot GOOD or BAD again after this many boots of other commits, to follow a host whose speed drifts; 0 = never (default: the profile's sampling.referenceEvery, 2)",
        })
        .option('seed', { type: 'number', requiresArg: true, describe: 'seed of the random choices (recorded in the report)' })
        .option('accel', { choices: ['auto', 'kvm', 'tcg'] as const, default: 'auto' as const, describe: 'accelerator for the guests' })
        .option('toolchain', { type: 'string', requiresArg: true, describe: 'compiler for the kernel builds (gcc-8, /opt/gcc/bin/gcc); old kernels need old compilers' })
        .parserConfiguration({ 'populate--': true })
        .example('$0 start v6.1 HEAD --profile tcp-rr', 'bisect the TCP_RR regression between v6.1 and HEAD')
        .example('$0 start v6.0 v6.1 -p tcp-stream-host-to-guest -- drivers/net', 'only commits touching drivers/net')
        .example("$0 start GOOD BAD --cmd './bench.sh' --lower-is-better", 'bisect any numeric benchmark'),
    handler: async (argv) => {
      const out = ctx.output(argv);
      const repo = withRepo(ctx, argv);
      const session = await startBisection({
        repo,
        good: String(argv.good),
        bad: String(argv.bad),
        ...(argv.profile === undefined ? {} : { profile: String(argv.profile) }),
        ...(argv.metric === undefined ? {} : { test: String(argv.metric) }),
        firstParent: argv['first-parent'] === true,
        paths: ((argv['--'] as unknown[] | undefined) ?? []).map(String),
        ...(argv['term-old'] === undefined ? {} : { termOld: String(argv['term-old']) }),
        ...(argv['term-new'] === undefined ? {} : { termNew: String(argv['term-new']) }),
        improvement: argv.improvement === true,
        ...(argv.cmd === undefined ? {} : { command: String(argv.cmd) }),
        ...(argv['lower-is-better'] === true ? { higherIsBetter: false } : {}),
        ...(argv.timeout === undefined ? {} : { timeoutS: Number(argv.timeout) }),
        ...(argv.confidence === undefined ? {} : { confidence: Number(argv.confidence) }),
        ...(argv['max-boots'] === undefined ? {} : { maxBoots: Number(argv['max-boots']) }),
        ...(argv['min-effect'] === undefined ? {} : { minEffect: Number(argv['min-effect']) }),
        ...(argv['reference-every'] === undefined ? {} : { referenceEvery: Number(argv['reference-every']) }),
        ...(argv.seed === undefined ? {} : { seed: Number(argv.seed) }),
        accel: argv.accel as 'auto' | 'kvm' | 'tcg',
        ...(argv.toolchain === undefined ? {} : { toolchain: String(argv.toolchain) }),
        onNote: (t) => out.note(`kbisect: ${t}`),
      });
      const candidates = session.commits.length - 1;
      if (out.json) {
        out.printJson({ good: session.commits[0]?.sha, bad: session.commits[candidates]?.sha, candidates, profile: session.profile?.name ?? null, test: session.mode === 'pending' ? null : session.test, mode: session.mode });
      } else {
        const measuring =
          session.mode === 'kernel'
            ? `measuring profile ${session.profile.name} (${session.profile.hash.slice(0, 12)}), test ${session.test.name}, ${session.test.metric}\n  next: kbisect run`
            : session.mode === 'command'
              ? `measuring with the command: ${session.command}\n  next: kbisect run`
              : 'no measurement yet\n  next: kbisect run --cmd SCRIPT (a benchmark printing a number) or kbisect run --profile NAME (kernels)';
        out.print(
          `kbisect: bisecting ${candidates} candidate commit(s) between ${session.goodRev} (${session.commits[0]?.sha.slice(0, 12)}) and ${session.badRev} (${session.commits[candidates]?.sha.slice(0, 12)})\n  ${measuring}`,
        );
      }
    },
  };

  const run: Cmd = {
    command: 'run',
    describe: 'run the bisection to the end: confirm GOOD and BAD differ, then build, boot and measure until the culprit is known (resumable)',
    builder: (y: Argv<GlobalArgs>) =>
      withExecutorOption(y)
        .option('jobs', { alias: 'j', type: 'number', default: 1, describe: 'build slots: > 1 builds the next likely commits while one is measured, at nice 19 on the CPUs the guest does not get; a busy CPU can still shift guest throughput (+25..64% under TCG on a nested-virt host): keep 1 where boots must compare' })
        .option('cmd', { type: 'string', requiresArg: true, describe: 'generic mode: measure with this command (for a bisection started without one, or not measured yet)' })
        .option('profile', { alias: 'p', type: 'string', requiresArg: true, describe: 'measure kernels with this profile (for a bisection started without one)' })
        .option('timeout', { type: 'number', requiresArg: true, describe: 'with --cmd: seconds one run may take (default 1800; recorded)' })
        .option('html', { type: 'string', requiresArg: true, describe: 'also write the HTML report to this file (checked before anything runs)' })
        .example('$0 run', 'after kbisect start; Ctrl-C or a crash, then kbisect run again resumes')
        .example('$0 run --executor slurm', 'each sample of --cmd (each kernel build and measurement with --profile) is a Slurm job; kill -9 then run again re-attaches to its jobs; with several slurm.nodes in host.yaml every node measures at once, each judged against its own GOOD and BAD')
        .example('$0 run --json', 'ends with one JSON object: {outcome, culprit, change, steps, boots, builds, ...}'),
    handler: async (argv) => {
      const out = ctx.output(argv);
      const repo = withRepo(ctx, argv);
      const jobs = Number(argv.jobs);
      if (!Number.isInteger(jobs) || jobs < 1) throw new UserError(`--jobs: expected an integer ≥ 1, got ${String(argv.jobs)}`);
      if (argv.html !== undefined) await checkOutputPath(String(argv.html), '--html');
      const outcome = await runBisection({
        repo,
        jobs,
        ...(argv.cmd === undefined ? {} : { command: String(argv.cmd) }),
        ...(argv.profile === undefined ? {} : { profile: String(argv.profile) }),
        ...(argv.timeout === undefined ? {} : { timeoutS: Number(argv.timeout) }),
        ...executorArg(argv),
        onProgress: (p) => out.progress(formatProgress(p)),
        onNote: (t) => out.note(`kbisect: ${t}`),
      });
      out.endProgress();
      const executor = outcome.executor;
      if (out.json) out.printJson({ ...toJsonResult(outcome.session, outcome.result, outcome.report), ...(executor ? { executor } : {}) });
      else out.print(formatReportText(outcome.report));
      if (executor && !out.json) out.info(formatExecutorSummary(executor));
      ctx.setOutcome(exitKindOf(outcome.result));
      if (argv.html !== undefined) await writeOutputFile(String(argv.html), '--html', renderReportHtml(outcome.report));
    },
  };

  const mark = (as: 'good' | 'bad' | 'skip'): Cmd => ({
    command: `${as} [rev]`,
    describe:
      as === 'skip'
        ? 'never measure REV (default: the commit kbisect would measure next), like git bisect skip'
        : `mark REV (default: the commit kbisect would measure next) as ${as}, measured by hand: taken as certain`,
    builder: (y: Argv<GlobalArgs>) => y.positional('rev', { type: 'string', describe: 'a commit in the bisected range' }),
    handler: async (argv) => {
      const out = ctx.output(argv);
      const r = await markCommit(withRepo(ctx, argv), argv.rev === undefined ? undefined : String(argv.rev), as);
      if (out.json) out.printJson({ marked: as, sha: r.sha, subject: r.subject });
      else out.print(`kbisect: ${r.sha.slice(0, 12)} ${r.subject}: ${as}`);
    },
  });

  const status: Cmd = {
    command: 'status',
    describe: 'where the bisection stands: the leading candidate, its probability, what is measured next',
    handler: async (argv) => {
      const out = ctx.output(argv);
      const s = await getStatus(withRepo(ctx, argv));
      for (const w of s.warnings) out.note(`kbisect: ${w}`);
      const next = s.next.find((a) => a.kind === 'measure');
      if (out.json) {
        out.printJson({ ...toJsonResult(s.session, s.result, s.report), next: next ?? null });
        return;
      }
      out.print(formatReportText(s.report));
      if (next && next.kind === 'measure') out.print(`\nnext: ${next.phase} ${next.commit.slice(0, 12)} (${next.boots} boot(s)); continue with kbisect run`);
    },
  };

  const log: Cmd = {
    command: 'log',
    describe: 'print the bisection as JSON lines (the session, then every event); kbisect replay takes it back',
    handler: async (argv) => {
      process.stdout.write(await exportLog(withRepo(ctx, argv)));
    },
  };

  const replay: Cmd = {
    command: 'replay [file]',
    describe: 'restore a bisection from a kbisect log file or an evidence bundle (replaces the current one)',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .positional('file', { type: 'string', describe: 'written by kbisect log > FILE' })
        .option('from-bundle', {
          type: 'string',
          requiresArg: true,
          describe: 'restore from an evidence bundle (kbisect report --bundle) instead: it is verified whole, its statistics re-run from the samples, and the verdict compared with the one it records',
        })
        .option('trust', { type: 'boolean', default: false, describe: 'accept running the command or compiler the log carries (it is shown when you leave this out)' })
        .option('cmd', { type: 'string', requiresArg: true, describe: "consent by restating the log's command exactly" })
        .option('toolchain', { type: 'string', requiresArg: true, describe: "consent by restating the log's compiler exactly" })
        .example('$0 replay ada.log', 'refuses, showing the command the log would run')
        .example('$0 replay ada.log --trust', 'after reading it')
        .example('$0 replay --from-bundle ada.tar.gz', 'same verdict from the same samples, then continue with kbisect run'),
    handler: async (argv) => {
      const out = ctx.output(argv);
      const file = argv.file === undefined ? undefined : String(argv.file);
      const bundle = argv['from-bundle'] === undefined ? undefined : String(argv['from-bundle']);
      if ((file === undefined) === (bundle === undefined)) {
        throw new UserError(`expected a log file or --from-bundle FILE.tar.gz, got ${file === undefined ? 'neither' : 'both'}`, 'kbisect replay FILE (from kbisect log > FILE), or kbisect replay --from-bundle FILE.tar.gz');
      }
      const consent = {
        trust: argv.trust === true,
        ...(argv.cmd === undefined ? {} : { command: String(argv.cmd) }),
        ...(argv.toolchain === undefined ? {} : { toolchain: String(argv.toolchain) }),
      };
      const fromBundle = bundle === undefined ? null : await replayFromBundle(withRepo(ctx, argv), bundle, consent);
      const s = fromBundle ?? (await replayLog(withRepo(ctx, argv), String(file), consent));
      if (s.archived) out.note(`kbisect: the bisection it replaced was moved to ${s.archived}`);
      if (fromBundle !== null) {
        out.info(`kbisect: ${describeBundle(fromBundle.bundle)}`);
        out.note(`kbisect: ${fromBundle.verdict.text}`);
        if (!fromBundle.verdict.same) ctx.setOutcome('inconclusive');
      }
      if (out.json) out.printJson(toJsonResult(s.session, s.result, s.report));
      else out.print(formatReportText(s.report));
    },
  };

  const reset: Cmd = {
    command: 'reset',
    describe: 'end the bisection: its state moves to the archive; the kernel cache, measurements and build slots stay (--work removes the slots)',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .option('work', {
          type: 'boolean',
          default: false,
          describe: "also remove this tree's build slots (private worktrees and O= dirs); kept, the next bisection's first build is incremental (seconds, not minutes)",
        })
        .example('$0 reset', 'end the bisection; the next one of this tree builds incrementally')
        .example('$0 reset --work', 'end it and free the disk its build slots take (as `kbisect cache prune --work` does for every tree)'),
    handler: async (argv) => {
      const out = ctx.output(argv);
      const r = await resetBisection(withRepo(ctx, argv), { work: argv.work === true });
      if (out.json) out.printJson(r);
      else if (!r.hadSession) out.print('kbisect: no bisection was in progress');
      else {
        const slots =
          argv.work === true
            ? `${r.worktreesRemoved} build slot(s) removed`
            : `${r.worktreesKept} build slot(s) kept for the next bisection of this tree (kbisect reset --work or kbisect cache prune --work removes them)`;
        out.print(`kbisect: bisection reset; its files were moved to ${r.archivedTo}; ${slots}`);
      }
    },
  };

  const visualize: Cmd = {
    command: 'visualize',
    describe: 'the candidate commits with their probability of being the first bad one',
    handler: async (argv) => {
      const out = ctx.output(argv);
      const { session, rows } = await getPosterior(withRepo(ctx, argv));
      if (out.json) {
        out.printJson(rows.map((r) => ({ ...r, subject: session.commits[r.index]?.subject ?? '' })));
        return;
      }
      const width = 30;
      out.print(
        formatTable(
          rows.map((r) => [
            r.commit.slice(0, 12),
            formatPercent(r.probability).padStart(6),
            '█'.repeat(Math.round(r.probability * width)).padEnd(width, '·'),
            `${r.status}${r.boots ? ` (${r.boots} boots)` : ''}`,
            (session.commits[r.index]?.subject ?? '').slice(0, 60),
          ]),
        ),
      );
    },
  };

  const report: Cmd = {
    command: 'report [file]',
    describe: 'the report of the bisection: culprit, change with CI, every step (--html FILE for a self-contained page with plots; --bundle FILE.tar.gz to hand the evidence over; FILE.tar.gz to read such a bundle anywhere)',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .positional('file', { type: 'string', describe: 'an evidence bundle (from report --bundle) to report on instead: no repository needed' })
        .option('html', { type: 'string', requiresArg: true, describe: 'write the HTML report here' })
        .option('bundle', {
          type: 'string',
          requiresArg: true,
          describe: 'also write the evidence bundle here (.tar.gz): session, event log, profile, host fingerprints, the .config of every kernel measured, the reports, with sha256 sums',
        })
        .example('$0 report --bundle tcp-rr-regression.tar.gz', 'hand the whole evidence to another team')
        .example('$0 report tcp-rr-regression.tar.gz', 'read it on any machine: the same report, from the same samples'),
    handler: async (argv) => {
      const out = ctx.output(argv);
      const file = argv.file === undefined ? undefined : String(argv.file);
      const bundleOut = argv.bundle === undefined ? undefined : String(argv.bundle);
      if (file !== undefined && bundleOut !== undefined) {
        throw new UserError(`expected a bundle to read (kbisect report FILE.tar.gz) or one to write (--bundle FILE.tar.gz), got both`, 'write it from the repository that holds the bisection; read it anywhere');
      }
      if (argv.html !== undefined) await checkOutputPath(String(argv.html), '--html');
      if (bundleOut !== undefined) await checkOutputPath(bundleOut, '--bundle');
      const prepared = bundleOut === undefined ? null : await prepareEvidenceBundle(withRepo(ctx, argv));
      const read = file === undefined ? null : await reportFromBundle(file);
      const s = read ?? prepared?.status ?? (await getStatus(withRepo(ctx, argv)));
      if (read !== null) out.info(`kbisect: ${describeBundle(read.bundle)}`);
      for (const w of s.warnings) out.note(`kbisect: ${w}`);
      // a bundle's report is printed as it was rendered (byte for byte the writer's when the samples agree)
      if (read !== null) out.print(out.json ? read.rendered.json : read.rendered.text);
      else if (out.json) out.printJson(toJsonResult(s.session, s.result, s.report));
      else out.print(formatReportText(s.report));
      ctx.setOutcome(exitKindOf(s.result));
      if (argv.html !== undefined) {
        await writeOutputFile(String(argv.html), '--html', read?.rendered.html ?? renderReportHtml(s.report));
        out.info(`kbisect: wrote ${String(argv.html)}`);
      }
      if (bundleOut !== undefined && prepared !== null) {
        const info = await writeEvidenceBundle(bundleOut, prepared);
        out.info(`kbisect: wrote ${describeBundle(info)}`);
        for (const k of info.kernels) if (k.missing !== null) out.note(`kbisect: kernel ${k.imageHash.slice(0, 12)} (${k.commit.slice(0, 12)}): no .config in the bundle: ${k.missing}`);
      }
    },
  };

  return [start, run, mark('good'), mark('bad'), mark('skip'), status, log, replay, reset, visualize, report];
}
