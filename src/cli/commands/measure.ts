// `kbisect measure --kernel <bzImage> --profile P [--boots N]`: boot a kernel N
// times, run the profile's netperf tests, print per boot and per test the runs
// and their median, and a summary (median, MAD, CV, boot-to-ready).
import type { CommandModule } from 'yargs';
import { formatMigrationRun } from '../../core/conditions/migration.ts';
import { kernelFromImage, measureKernel, measureRevision, type BootOutcome, type MeasureProgress, type MeasureResult } from '../../app/measure.ts';
import { UserError } from '../../core/errors.ts';
import { formatBuildProgress, formatBuildResult } from './build.ts';
import { loadProfile } from '../../app/profiles.ts';
import { median } from '../../core/stats/descriptive.ts';
import { summarizeBoots, type TestSummary } from '../../core/measure/summary.ts';
import type { AccelChoice } from '../../core/measure/types.ts';
import type { CommandContext, GlobalArgs } from '../context.ts';
import { formatTable, type Output } from '../output.ts';
import { formatDuration, formatMeasurement, formatNumber, formatPercent } from '../../core/format.ts';
import { normalizeUnit } from '../../core/units.ts';

interface MeasureArgs extends GlobalArgs {
  rev: string | undefined;
  kernel: string | undefined;
  toolchain: string | undefined;
  vmlinux: string | undefined;
  profile: string;
  boots: number | undefined;
  accel: AccelChoice | undefined;
  store: boolean;
}

// Renders one boot: its timings, then per test the runs (warm-up apart) and their median.
export function formatBoot(b: BootOutcome, boots: number): string {
  const head = `boot ${b.bootIndex + 1}/${boots}`;
  if (b.kind === 'boot-failed') {
    const tail = b.consoleTail.trim() ? `\n${b.consoleTail.trim().split('\n').slice(-8).map((l) => `    | ${l}`).join('\n')}` : '';
    return `${head}: FAILED (${b.phase}): ${b.reason}${tail}`;
  }
  const t = b.timings;
  const lines = [`${head}: ready ${formatDuration(t.readyMs)}, total ${formatDuration(t.totalMs)}, overhead beyond netperf ${formatDuration(t.overheadMs)}`];
  const rows = b.tests.map((s) => [
    s.test,
    `${s.metric} (${normalizeUnit(s.unit) || '?'})`,
    s.runs.map(formatNumber).join(' '),
    s.runs.length > 0 ? `median ${formatNumber(median(s.runs))}` : '',
    s.warmup.length > 0 ? `warm-up ${s.warmup.map(formatNumber).join(' ')}` : '',
  ]);
  lines.push(formatTable(rows, '    '));
  for (const m of b.migration ?? []) lines.push(`    ${formatMigrationRun(m)}`);
  return lines.join('\n');
}

// Renders the summary over all boots of one measurement.
export function formatSummary(result: MeasureResult, summaries: readonly TestSummary[]): string {
  const ok = result.boots.filter((b) => b.kind === 'ok');
  const failed = result.boots.length - ok.length;
  const lines = [
    `summary: ${result.profileName} (profile ${result.profileHash.slice(0, 12)}), ${ok.length}/${result.boots.length} boots ok` +
      `${failed ? `, ${failed} failed` : ''}, accel ${result.accel.toUpperCase()}, kernel ${result.kernel.pvh ? 'vmlinux (PVH)' : 'bzImage'}`,
  ];
  const rows = summaries.map((s) => [
    s.test,
    s.metric,
    `median ${formatMeasurement(s.median, s.unit)}`,
    `MAD ${formatNumber(s.mad)} (${formatPercent(s.median ? s.mad / s.median : Number.NaN)})`,
    `CV ${formatPercent(s.cv)}`,
    `within-boot ${formatPercent(s.withinBootCv)}`,
    `boot-to-boot ${formatPercent(s.bootToBootCv)}`,
    `${s.runs} runs / ${s.boots} boots`,
  ]);
  if (rows.length) lines.push(formatTable(rows));
  if (ok.length > 0) {
    const ready = ok.map((b) => b.timings.readyMs);
    const overhead = ok.map((b) => b.timings.overheadMs);
    lines.push(`  boot-to-ready median ${formatDuration(median(ready))} (min ${formatDuration(Math.min(...ready))}, max ${formatDuration(Math.max(...ready))}); overhead per boot median ${formatDuration(median(overhead))}`);
  }
  lines.push(`  host ${result.hostFingerprint.id}: ${result.hostFingerprint.cpuModel}, ${result.hostFingerprint.qemuVersion}, accel ${result.accel} (${result.accelReason})`);
  if (result.resultsPath) lines.push(`  results appended to ${result.resultsPath}`);
  return lines.join('\n');
}

function describeProgress(e: MeasureProgress, boots: number): string | null {
  switch (e.kind) {
    case 'boot-start':
      return `boot ${e.bootIndex + 1}/${boots}: starting QEMU`;
    case 'ready':
      return `boot ${e.bootIndex + 1}/${boots}: ready in ${formatDuration(e.readyMs)}`;
    case 'run':
      return `boot ${e.bootIndex + 1}/${boots}: ${e.test} run ${e.rep}/${e.reps}${e.warmup ? ' (warm-up)' : ''}: ${e.value === null ? 'no value' : formatMeasurement(e.value, e.unit)}`;
    default:
      return null;
  }
}

function reportProgress(out: Output, boots: number): (e: MeasureProgress) => void {
  return (e) => {
    switch (e.kind) {
      case 'warning':
        out.info(`warning: ${e.message}`);
        return;
      case 'accel':
        out.debug(`accelerator: ${e.accel} (${e.reason})`);
        return;
      case 'guest-image':
        out.debug(`guest image: ${e.cached ? 'cached' : 'built'} in ${formatDuration(e.buildMs)}`);
        return;
      case 'boot-done':
        out.endProgress();
        if (!out.json) out.print(formatBoot(e.outcome, boots));
        return;
      default: {
        const text = describeProgress(e, boots);
        if (text) out.progress(text);
      }
    }
  };
}

export function measureCommand(ctx: CommandContext): CommandModule<GlobalArgs, MeasureArgs> {
  return {
    command: 'measure [rev]',
    describe: "build (or take) a guest kernel, boot it N times under QEMU and run a profile's netperf tests",
    builder: (y) =>
      y
        .positional('rev', { type: 'string', describe: "a revision of the kernel tree (-C), built with the profile's kernel fragment (or found in the kernel cache)" })
        .option('kernel', { type: 'string', requiresArg: true, describe: 'instead of a revision: a built bzImage (a vmlinux beside it in the build dir is booted via PVH when it can be)' })
        .option('toolchain', { type: 'string', requiresArg: true, describe: 'compiler for building <rev> (default: $CC or gcc)' })
        .option('vmlinux', { type: 'string', requiresArg: true, describe: 'uncompressed vmlinux to boot via PVH (default: found from the bzImage path)' })
        .option('profile', { alias: 'p', type: 'string', demandOption: true, requiresArg: true, describe: 'built-in profile name (kbisect profile list) or a YAML file' })
        .option('boots', { alias: 'n', type: 'number', requiresArg: true, describe: "number of boots (default: the profile's sampling.minBoots)" })
        .option('accel', { choices: ['auto', 'kvm', 'tcg'] as const, describe: 'accelerator (default: host.yaml, else auto = KVM boot probe, TCG fallback)' })
        .option('store', { type: 'boolean', default: true, describe: 'append each boot to the results store (--no-store: do not)' })
        .example('$0 -C ~/linux measure v6.1 --profile tcp-rr', 'build v6.1 (or take it from the cache), then measure it')
        .example('$0 measure --kernel build/arch/x86/boot/bzImage --profile tcp-rr --boots 3', 'three boots, TCP_RR from the guest')
        .example('$0 measure --kernel bzImage --profile my.yaml --json', 'every boot and run as JSON'),
    handler: async (argv) => {
      const out = ctx.output(argv);
      const loaded = await loadProfile(argv.profile, ctx.cwd(argv));
      for (const w of loaded.warnings) out.info(`warning: ${w}`);
      const boots = argv.boots ?? loaded.profile.sampling.minBoots;
      if ((argv.rev === undefined) === (argv.kernel === undefined)) {
        throw new UserError('measure: give either a revision to build or --kernel <bzImage>, not both or neither', 'kbisect -C ~/linux measure v6.1 --profile tcp-rr, or kbisect measure --kernel bzImage --profile tcp-rr');
      }
      const common = {
        profile: loaded.profile,
        profileHash: loaded.hash,
        boots,
        ...(argv.accel ? { accel: argv.accel } : {}),
        ...(argv.store ? {} : { resultsPath: null }),
        onProgress: reportProgress(out, boots),
      };
      let result: MeasureResult;
      if (argv.rev !== undefined) {
        const toolchain = argv.toolchain ?? process.env.CC;
        const { build, result: measured } = await measureRevision({
          ...common,
          repo: ctx.cwd(argv),
          rev: argv.rev,
          ...(toolchain === undefined ? {} : { toolchain }),
          onBuildProgress: (p) => out.progress(formatBuildProgress(p)),
        });
        out.endProgress();
        if (!measured) {
          if (out.json) out.printJson({ build });
          else out.print(formatBuildResult(build));
          ctx.setOutcome('processFailure');
          return;
        }
        out.info(formatBuildResult(build));
        result = measured;
      } else {
        result = await measureKernel({ ...common, kernel: await kernelFromImage(argv.kernel ?? '', argv.vmlinux, ctx.cwd(argv)) });
      }
      out.endProgress();
      const summaries = summarizeBoots(result.boots);
      if (out.json) out.printJson({ ...result, summary: summaries });
      else out.print(formatSummary(result, summaries));
      ctx.setOutcome(result.boots.some((b) => b.kind === 'ok') ? 'ok' : 'processFailure');
    },
  };
}
