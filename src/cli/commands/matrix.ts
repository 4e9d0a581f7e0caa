// `kbisect matrix (REV | --kernel IMAGE) [--axes ...] [--compare A B]`: every
// combination of the KVM networking test matrix, a short measurement each,
// one table. Thin: parse, call app/matrix.ts, print; exit 0 when every
// available cell works, 1 when one fails, 3 when no cell could run here.
import type { Argv, CommandModule } from 'yargs';
import { checkOutputPath, writeOutputFile } from '../../app/bisect.ts';
import { DEFAULT_MATRIX_PROFILE, runMatrix, type MatrixProgress, type MatrixSubject } from '../../app/matrix.ts';
import { UserError } from '../../core/errors.ts';
import { AXIS_NAMES, AXIS_VALUES, DEFAULT_AXES, describeCell, formatAxes, parseAxes } from '../../core/matrix/axes.ts';
import { renderMatrixHtml } from '../../core/matrix/html.ts';
import { matrixExitKind } from '../../core/matrix/result.ts';
import { formatChange, formatChangeFlag, formatCv, formatMatrixText, formatMedian } from '../../core/matrix/text.ts';
import { formatMeasurement } from '../../core/format.ts';
import type { CommandContext, GlobalArgs } from '../context.ts';
import { executorArg, withExecutorOption } from '../executor.ts';
import { formatBuildProgress } from './build.ts';

type Cmd = CommandModule<GlobalArgs, GlobalArgs & Record<string, unknown>>;

// --compare keeps a side's boots to the same count as the other's: fewer than 5 per side can never show a difference at α 0.02
export const DEFAULT_BOOTS = 2;
export const DEFAULT_COMPARE_BOOTS = 5;

// One progress line: which cell, which kernel, which boot and run.
export function formatMatrixProgress(p: MatrixProgress, boots: number): string | null {
  switch (p.kind) {
    case 'note':
      return null;
    case 'build':
      return `build ${p.side.toUpperCase()} ${p.rev}: ${formatBuildProgress(p.build)}`;
    case 'cell-done': {
      const r = p.result;
      const value = r.b ? `${formatChange(r.change)} ${formatChangeFlag(r.change)}` : `${formatMedian(r.a)}, CV ${formatCv(r.a)}`;
      return `[${p.index + 1}/${p.total}] ${describeCell(r.cell)}: ${r.status}${r.status === 'works' ? ` ${value}` : ''}${r.reason ? ` (${r.reason})` : ''}`;
    }
    case 'measure': {
      const head = `[${p.index + 1}/${p.total}] ${describeCell(p.cell)}${p.side ? ` ${p.side.toUpperCase()}` : ''}`;
      const e = p.event;
      switch (e.kind) {
        case 'boot-start':
          return `${head}: boot ${e.bootIndex + 1}/${boots}: starting QEMU`;
        case 'ready':
          return `${head}: boot ${e.bootIndex + 1}/${boots}: ready`;
        case 'run':
          return `${head}: boot ${e.bootIndex + 1}/${boots}: ${e.test} run ${e.rep}/${e.reps}${e.warmup ? ' (warm-up)' : ''}: ${e.value === null ? 'no value' : formatMeasurement(e.value, e.unit)}`;
        default:
          return null;
      }
    }
  }
}

// Which kernel(s): REV, --kernel IMAGE, --compare A B or --kernel A --kernel B; anything else is a usage error.
export function chooseSubjects(rev: string | undefined, kernels: readonly string[], compare: readonly string[] | undefined): [MatrixSubject] | [MatrixSubject, MatrixSubject] {
  const usage = 'kbisect -C ~/linux matrix v6.1, kbisect matrix --kernel bzImage, or kbisect -C ~/linux matrix --compare v6.1 v6.2';
  if (compare !== undefined) {
    if (compare.length !== 2) throw new UserError(`--compare: expected two revisions A B, got ${compare.length === 0 ? 'none' : compare.join(' ')}`, usage);
    if (rev !== undefined || kernels.length > 0) throw new UserError(`--compare A B names both kernels: expected no REV and no --kernel beside it, got ${rev ?? `--kernel ${kernels.join(' ')}`}`, usage);
    return [
      { kind: 'rev', rev: compare[0] as string },
      { kind: 'rev', rev: compare[1] as string },
    ];
  }
  if (kernels.length > 2) throw new UserError(`--kernel: expected one image (or two, to compare), got ${kernels.length}`, usage);
  if ((rev === undefined) === (kernels.length === 0)) {
    throw new UserError(`matrix: expected either a revision to build or --kernel IMAGE, got ${rev === undefined ? 'neither' : `both (${rev} and --kernel ${kernels.join(' ')})`}`, usage);
  }
  if (rev !== undefined) return [{ kind: 'rev', rev }];
  const [a, b] = kernels as [string, string | undefined];
  return b === undefined ? [{ kind: 'image', path: a }] : [{ kind: 'image', path: a }, { kind: 'image', path: b }];
}

function listOf(value: unknown): string[] {
  return value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String);
}

const AXES_HELP = `axes to combine, NAME=V1,V2 each (axes left out keep their default): ${AXIS_NAMES.map((n) => `${n} (${AXIS_VALUES[n].join('|')})`).join(', ')}; default ${formatAxes(DEFAULT_AXES)}`;

// The yargs module of `kbisect matrix`.
export function matrixCommand(ctx: CommandContext): Cmd {
  return {
    command: 'matrix [rev]',
    describe: 'run every combination of vhost, condition (plain, migration, hotplug, qos), topology and NIC, a short measurement each: works / fails (why) / unavailable (why); exit 0 when every available cell works',
    builder: (y: Argv<GlobalArgs>) =>
      withExecutorOption(y)
        .positional('rev', { type: 'string', describe: "a revision of the kernel tree (-C), built once with the base profile's kernel options plus what every chosen cell needs" })
        .option('kernel', { type: 'string', array: true, requiresArg: true, describe: 'instead of a revision: a built bzImage (it needs what the cells need: PCIe hotplug, 802.1Q, macvlan); twice to compare two images' })
        .option('profile', { alias: 'p', type: 'string', requiresArg: true, default: DEFAULT_MATRIX_PROFILE, describe: 'base profile of every cell (a built-in name or a YAML file); default: tcp-stream-host-to-guest with 3 s runs' })
        .option('axes', { type: 'string', array: true, requiresArg: true, describe: AXES_HELP })
        .option('boots', { alias: 'n', type: 'number', requiresArg: true, describe: `boots per cell (per kernel with --compare); default ${DEFAULT_BOOTS}, with --compare ${DEFAULT_COMPARE_BOOTS} (fewer cannot show a difference at compare's α 0.02)` })
        .option('compare', { type: 'string', array: true, requiresArg: true, describe: 'run the matrix for two revisions A B, boots interleaved per cell, and print A→B with its CI per cell, flagging the cells that differ' })
        .option('seed', { type: 'number', requiresArg: true, describe: 'with --compare: seed of the order within each pair of boots (default: random; recorded)' })
        .option('html', { type: 'string', requiresArg: true, describe: 'also write a heat-map table (self-contained HTML) to this file' })
        .option('out', { type: 'string', requiresArg: true, describe: "directory for the cells' profiles and matrix.json (default: a new one under the data dir)" })
        .option('accel', { choices: ['auto', 'kvm', 'tcg'] as const, describe: 'accelerator (default: host.yaml, else auto)' })
        .option('toolchain', { type: 'string', requiresArg: true, describe: 'compiler for building revisions (default: $CC or gcc)' })
        .option('store', { type: 'boolean', default: true, describe: 'append each boot to the results store (--no-store: do not)' })
        .example('$0 matrix --kernel bzImage', "the default matrix (16 cells) on a built kernel")
        .example('$0 -C ~/linux matrix v6.1 --axes vhost=off condition=plain,hotplug topology=host-to-guest', 'build v6.1 once, measure 2 cells')
        .example('$0 -C ~/linux matrix --compare v6.1 v6.2 --axes condition=plain,qos --html m.html', 'which cells got slower from v6.1 to v6.2')
        .example('$0 matrix --kernel bzImage --json > m.json', 'every cell as JSON (shape in the README)')
        .epilogue('--executor slurm: the kernels are built (or given) here and copied into the shared directory; the whole matrix then runs as one exclusive job on the measurement node (host.yaml\'s first node), which decides from its own vhost-net and cgroups which cells can run. Its jobs log is in --out: the same command after kill -9 re-attaches to the job.'),
    handler: async (argv) => {
      const out = ctx.output(argv);
      const { axes, errors } = parseAxes(listOf(argv.axes));
      if (errors.length > 0) throw new UserError(errors.join('\n'), `e.g. --axes vhost=on,off condition=plain,hotplug topology=host-to-guest (kbisect matrix --help lists every value)`);
      const compare = argv.compare === undefined ? undefined : listOf(argv.compare);
      const subjects = chooseSubjects(argv.rev === undefined ? undefined : String(argv.rev), listOf(argv.kernel), compare);
      const boots = argv.boots === undefined ? (subjects.length === 2 ? DEFAULT_COMPARE_BOOTS : DEFAULT_BOOTS) : Number(argv.boots);
      if (!Number.isInteger(boots) || boots < 1) throw new UserError(`--boots: expected an integer ≥ 1, got ${String(argv.boots)}`, 'e.g. --boots 2');
      if (argv.seed !== undefined && !Number.isInteger(Number(argv.seed))) throw new UserError(`--seed: expected an integer, got ${String(argv.seed)}`);
      if (argv.html !== undefined) await checkOutputPath(String(argv.html), '--html');
      const toolchain = argv.toolchain === undefined ? undefined : String(argv.toolchain);
      const report = await runMatrix({
        cwd: ctx.cwd(argv),
        subjects,
        profile: String(argv.profile),
        axes,
        boots,
        store: argv.store !== false,
        ...(argv.accel === undefined ? {} : { accel: argv.accel as 'auto' | 'kvm' | 'tcg' }),
        ...(toolchain === undefined ? {} : { toolchain }),
        ...(argv.seed === undefined ? {} : { seed: Number(argv.seed) }),
        ...(argv.out === undefined ? {} : { outDir: String(argv.out) }),
        ...executorArg(argv),
        onProgress: (p) => {
          if (p.kind === 'note') return out.note(p.text);
          const text = formatMatrixProgress(p, boots);
          if (text === null) return;
          if (p.kind === 'cell-done') {
            out.endProgress();
            out.info(text);
          } else out.progress(text);
        },
      });
      out.endProgress();
      if (out.json) out.printJson(report);
      else out.print(formatMatrixText(report));
      if (argv.html !== undefined) await writeOutputFile(String(argv.html), '--html', renderMatrixHtml(report));
      ctx.setOutcome(matrixExitKind(report.cells));
    },
  };
}
