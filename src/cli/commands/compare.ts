// `kbisect compare A B`: is B slower than A, measured the team's way? Thin:
// parse, call app/compare.ts, print; exit 0 when different, 3 when same or
// inconclusive (like `run`).
import type { Argv, CommandModule } from 'yargs';
import { runCompare, toCompareJson, type CompareProgress } from '../../app/compare.ts';
import { checkOutputPath, writeOutputFile } from '../../app/bisect.ts';
import { renderCompareHtml } from '../../core/compare/html.ts';
import { formatCompareText } from '../../core/compare/text.ts';
import type { CompareReport } from '../../core/compare/types.ts';
import type { ExitKind } from '../../core/errors.ts';
import { UserError } from '../../core/errors.ts';
import { formatDuration, formatMeasurement } from '../../core/format.ts';
import type { CommandContext, GlobalArgs } from '../context.ts';
import { executorArg, formatExecutorSummary, withExecutorOption } from '../executor.ts';

type Cmd = CommandModule<GlobalArgs, GlobalArgs & Record<string, unknown>>;

// ok when A and B differ; inconclusive (exit 3) when they are the same or nothing could be shown.
export function exitKindOfCompare(report: CompareReport): ExitKind {
  return report.outcome === 'different' ? 'ok' : 'inconclusive';
}

// One status line: which side, which boot, the counts so far.
export function formatCompareProgress(p: CompareProgress): string {
  const side = `${p.side.toUpperCase()} ${p.rev.length > 24 ? `${p.rev.slice(0, 21)}...` : p.rev}`;
  let stage: string;
  switch (p.stage) {
    case 'build':
      stage = p.build?.percent != null ? `building ${Math.floor(p.build.percent)}%` : p.build ? `building (${p.build.phase})` : 'building';
      break;
    case 'boot':
      stage = 'booting';
      break;
    case 'sample':
      stage = `run ${p.sample?.rep ?? '?'}/${p.sample?.reps ?? '?'}${p.sample?.value != null ? ` = ${formatMeasurement(p.sample.value, p.sample.unit)}` : ''}`;
      break;
    case 'command':
      stage = 'running the command';
      break;
  }
  return `[${formatDuration(p.elapsedMs)}] ${side} · ${stage} · ${p.boots.a}+${p.boots.b} so far, next look at ${p.nextLook}+${p.nextLook}`;
}

function numberOption(argv: Record<string, unknown>, name: string): number | undefined {
  return argv[name] === undefined ? undefined : Number(argv[name]);
}

// The yargs module of `kbisect compare`.
export function compareCommand(ctx: CommandContext): Cmd {
  return {
    command: 'compare [a] [b]',
    describe: 'is B slower than A? Interleaved boots of both until the difference (or sameness) is shown; exit 0 different, 3 same or inconclusive (resumable)',
    builder: (y: Argv<GlobalArgs>) =>
      withExecutorOption(y)
        .positional('a', { type: 'string', describe: 'the baseline revision (built like a bisection candidate)' })
        .positional('b', { type: 'string', describe: 'the revision compared with it' })
        .option('profile', { alias: 'p', type: 'string', requiresArg: true, describe: 'measurement profile: a built-in name (kbisect profile list) or a YAML file' })
        .option('kernel', { type: 'string', array: true, requiresArg: true, describe: 'compare two built kernel images instead of revisions: --kernel A --kernel B (with --profile)' })
        .option('cmd', { type: 'string', requiresArg: true, describe: 'generic mode: run this shell command in a checkout of each revision (one number on its last line per run; exit 125 = cannot be measured)' })
        .option('timeout', { type: 'number', requiresArg: true, describe: 'with --cmd: seconds one run may take (default 1800)' })
        .option('metric', { type: 'string', requiresArg: true, describe: "which of the profile's tests (name or metric) decides; default: its first test (every test is reported)" })
        .option('lower-is-better', { type: 'boolean', default: false, describe: 'with --cmd: smaller numbers are better (times, latencies)' })
        .option('min-effect', { type: 'number', requiresArg: true, describe: "smallest relative change that matters, e.g. 0.03: a change confidently inside ±this is \"same\" (default: the profile's)" })
        .option('alpha', { type: 'number', requiresArg: true, describe: 'chance of calling A and B different when they are not, both directions together (default 0.02: the bisection\'s calibration α, 0.01, each way)' })
        .option('max-boots', { type: 'number', requiresArg: true, describe: 'boots (or runs) per side after which the answer is "inconclusive" (default 96)' })
        .option('seed', { type: 'number', requiresArg: true, describe: 'seed of the order within each pair of boots (default: random; recorded in the report)' })
        .option('accel', { choices: ['auto', 'kvm', 'tcg'] as const, default: 'auto' as const, describe: 'accelerator for the guests' })
        .option('toolchain', { type: 'string', requiresArg: true, describe: 'compiler for the kernel builds (gcc-8, /opt/gcc/bin/gcc)' })
        .option('jobs', { alias: 'j', type: 'number', default: 1, describe: 'build slots: 2 builds A and B at once' })
        .option('html', { type: 'string', requiresArg: true, describe: 'also write the HTML report (distributions of A and B) to this file' })
        .option('restart', { type: 'boolean', default: false, describe: 'move the logged comparison of A and B aside and measure again' })
        .example('$0 compare v6.1 v6.2 --profile tcp-rr', 'is v6.2 slower than v6.1 on TCP_RR?')
        .example('$0 compare --kernel old/bzImage --kernel new/bzImage -p tcp-rr --html cmp.html', 'two built kernels, with a plot')
        .example("$0 compare HEAD~1 HEAD --cmd './bench.sh' --lower-is-better", 'any benchmark printing a number')
        .example('$0 compare v6.1 v6.2 -p tcp-rr  # again, after Ctrl-C', 'resumes: the logged boots are kept')
        .example("$0 compare HEAD~1 HEAD --cmd './bench.sh' --executor slurm", 'every run (or build and boot) a Slurm job; A and B interleaved as on this machine'),
    handler: async (argv) => {
      const out = ctx.output(argv);
      const jobs = Number(argv.jobs);
      if (!Number.isInteger(jobs) || jobs < 1) throw new UserError(`--jobs: expected an integer ≥ 1, got ${String(argv.jobs)}`);
      if (argv.html !== undefined) await checkOutputPath(String(argv.html), '--html');
      const kernels = argv.kernel === undefined ? undefined : (argv.kernel as unknown[]).map(String);
      const optional = (name: string): number | undefined => numberOption(argv, name);
      const run = await runCompare({
        repo: ctx.cwd(argv),
        ...(argv.a === undefined ? {} : { a: String(argv.a) }),
        ...(argv.b === undefined ? {} : { b: String(argv.b) }),
        ...(kernels === undefined ? {} : { kernels }),
        ...(argv.profile === undefined ? {} : { profile: String(argv.profile) }),
        ...(argv.cmd === undefined ? {} : { command: String(argv.cmd) }),
        ...(optional('timeout') === undefined ? {} : { timeoutS: optional('timeout') as number }),
        ...(argv.metric === undefined ? {} : { test: String(argv.metric) }),
        ...(argv['lower-is-better'] === true ? { higherIsBetter: false } : {}),
        ...(optional('min-effect') === undefined ? {} : { minEffect: optional('min-effect') as number }),
        ...(optional('alpha') === undefined ? {} : { alpha: optional('alpha') as number }),
        ...(optional('max-boots') === undefined ? {} : { maxBoots: optional('max-boots') as number }),
        ...(optional('seed') === undefined ? {} : { seed: optional('seed') as number }),
        accel: argv.accel as 'auto' | 'kvm' | 'tcg',
        ...(argv.toolchain === undefined ? {} : { toolchain: String(argv.toolchain) }),
        jobs,
        restart: argv.restart === true,
        ...executorArg(argv),
        onProgress: (p) => out.progress(formatCompareProgress(p)),
        onNote: (t) => out.note(`kbisect: ${t}`),
      });
      out.endProgress();
      const executor = run.executor;
      if (out.json) out.printJson({ ...toCompareJson(run.report), ...(executor ? { executor } : {}) });
      else out.print(formatCompareText(run.report));
      if (executor && !out.json) out.info(formatExecutorSummary(executor));
      ctx.setOutcome(exitKindOfCompare(run.report));
      if (argv.html !== undefined) await writeOutputFile(String(argv.html), '--html', renderCompareHtml(run.report));
    },
  };
}
