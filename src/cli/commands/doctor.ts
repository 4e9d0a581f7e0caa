// `kbisect doctor`: what this host lacks for the pipeline, and the command that fixes it.
import type { Argv, CommandModule } from 'yargs';
import { cleanupLeftovers, runBootProbe, runDoctor, type CleanupReport, type ProbeReport } from '../../app/doctor.ts';
import { runSlurmDoctor } from '../../app/doctor-slurm.ts';
import type { SlurmDoctorReport } from '../../core/slurm/doctor.ts';
import { UserError } from '../../core/errors.ts';
import type { DoctorReport } from '../../core/doctor.ts';
import { formatDuration } from '../../core/format.ts';
import { formatTable } from '../output.ts';
import type { CommandContext, GlobalArgs } from '../context.ts';

// Renders the doctor's report as a table with a fix line under each problem.
export function formatDoctorReport(report: DoctorReport): string {
  const rows: string[][] = [];
  for (const c of report.checks) {
    const mark = c.status === 'ok' ? 'ok' : c.status === 'warn' ? 'warn' : 'MISSING';
    rows.push([mark, c.label, c.detail]);
    if (c.fix && c.status !== 'ok') rows.push(['', '', `fix: ${c.fix}`]);
  }
  const missing = report.checks.filter((c) => c.required && c.status !== 'ok').length;
  const accel =
    report.accel === 'kvm'
      ? 'guests: KVM (hardware virtualization)'
      : `guests: TCG (${report.kvm === 'unavailable' ? 'no usable /dev/kvm' : 'KVM here is nested/software'})`;
  return [
    formatTable(rows),
    '',
    accel,
    missing === 0 ? 'host ready: every required item is present' : `host NOT ready: ${missing} required item(s) missing`,
  ].join('\n');
}

// Renders `doctor --probe`: what each accelerator did with the kernel.
export function formatProbeReport(r: ProbeReport): string {
  const line = (name: string, b: ProbeReport['tcg'] | null): string[] =>
    b === null
      ? [name, 'not tried', '/dev/kvm cannot be opened']
      : b.ready
        ? [name, 'ok', `ready marker after ${formatDuration(b.readyMs)}`]
        : [name, 'FAILED', b.why];
  return [
    `boot probe of ${r.kernelImage} (${r.pvh ? 'PVH vmlinux' : 'bzImage'}):`,
    formatTable([line('KVM', r.kvm), line('TCG', r.tcg)]),
    '',
    `accel auto → ${r.accel.toUpperCase()}: ${r.reason} (cached for this host and kernel)`,
  ].join('\n');
}

// Renders `doctor --cleanup`: what was removed and what was left alone.
export function formatCleanupReport(r: CleanupReport): string {
  const rows: string[][] = [];
  for (const n of r.removedNamespaces) rows.push(['removed', n.name, `${n.why}${n.killedPids.length ? `; killed pid ${n.killedPids.join(', ')}` : ''}`]);
  for (const d of r.removedRunDirs) rows.push(['removed', d, 'run directory of a dead run']);
  for (const c of r.removedCgroups) rows.push(['removed', c.name, `qos cgroup: ${c.why}`]);
  for (const k of r.kept) rows.push(['kept', k.name, k.why]);
  for (const e of r.errors) rows.push(['ERROR', e, '']);
  return rows.length === 0 ? 'nothing to clean up: no kbisect namespaces, cgroups or run directories on this host' : formatTable(rows);
}

// Renders `doctor --executor slurm`: one row per check, a fix line under each problem.
export function formatSlurmDoctorReport(report: SlurmDoctorReport): string {
  const rows: string[][] = [];
  for (const c of report.checks) {
    rows.push([c.status === 'ok' ? 'ok' : c.status === 'warn' ? 'warn' : 'MISSING', c.label, c.detail]);
    if (c.fix && c.status !== 'ok') rows.push(['', '', `fix: ${c.fix}`]);
  }
  const missing = report.checks.filter((c) => c.required && c.status !== 'ok').length;
  return [formatTable(rows), '', missing === 0 ? 'Slurm executor ready' : `Slurm executor NOT ready: ${missing} check(s) failed`].join('\n');
}

interface DoctorArgs extends GlobalArgs {
  executor: 'local' | 'slurm' | undefined;
  probe: boolean;
  cleanup: boolean;
  kernel: string | undefined;
}

export function doctorCommand(ctx: CommandContext): CommandModule<GlobalArgs, DoctorArgs> {
  return {
    command: 'doctor',
    describe: 'check this host for KVM, tun, vhost-net, QEMU, netperf, busybox, kernel build tools and privileges',
    builder: (y) =>
      y
        .option('probe', { type: 'boolean', default: false, describe: 'boot --kernel under KVM and TCG; record which accelerator `auto` uses here' })
        .option('kernel', { type: 'string', requiresArg: true, describe: 'guest kernel (bzImage) for --probe' })
        .option('cleanup', { type: 'boolean', default: false, describe: 'remove network namespaces, QEMU processes and run directories left by crashed runs' })
        .option('executor', { choices: ['local', 'slurm'] as const, describe: "slurm: check the cluster in host.yaml's slurm: block instead (controller, partitions, nodes, shared directory from a test job, ccache remote storage)" })
        .example('$0 doctor --executor slurm', 'is the Slurm cluster ready for kbisect run --executor slurm?')
        .example('$0 doctor', 'table of checks; exit 0 only when every required item is present')
        .example('$0 doctor --json', 'the same as JSON: {ok, kvm, accel, checks: [{id, label, required, status, detail, fix}]}')
        .example('$0 doctor --probe --kernel build/arch/x86/boot/bzImage', 'does a guest boot under KVM here, or only under TCG?')
        .example('$0 doctor --cleanup', "remove leftovers of crashed runs (kbisect-<pid>-* namespaces whose pid is gone)") as unknown as Argv<DoctorArgs>,
    handler: async (argv) => {
      const out = ctx.output(argv);
      if (argv.executor === 'slurm') {
        const report = await runSlurmDoctor();
        if (out.json) out.printJson(report);
        else out.print(formatSlurmDoctorReport(report));
        ctx.setOutcome(report.ok ? 'ok' : 'processFailure');
        return;
      }
      if (argv.cleanup) {
        const report = await cleanupLeftovers();
        if (out.json) out.printJson(report);
        else out.print(formatCleanupReport(report));
        ctx.setOutcome(report.errors.length === 0 ? 'ok' : 'processFailure');
        return;
      }
      if (argv.probe) {
        if (!argv.kernel) throw new UserError('doctor --probe boots a guest kernel: give it with --kernel', 'kbisect doctor --probe --kernel <build dir>/arch/x86/boot/bzImage');
        const report = await runBootProbe(argv.kernel, ctx.cwd(argv));
        if (out.json) out.printJson(report);
        else out.print(formatProbeReport(report));
        ctx.setOutcome(report.tcg.ready || report.kvm?.ready === true ? 'ok' : 'processFailure');
        return;
      }
      const report = await runDoctor();
      if (out.json) out.printJson(report);
      else out.print(formatDoctorReport(report));
      ctx.setOutcome(report.ok ? 'ok' : 'processFailure');
    },
  };
}
