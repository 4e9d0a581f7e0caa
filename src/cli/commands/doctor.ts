// `kbisect doctor`: what this host lacks for the pipeline, and the command that fixes it.
import type { CommandModule } from 'yargs';
import { runDoctor } from '../../app/doctor.ts';
import type { DoctorReport } from '../../core/doctor.ts';
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

export function doctorCommand(ctx: CommandContext): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'doctor',
    describe: 'check this host for KVM, tun, vhost-net, QEMU, netperf, busybox, kernel build tools and privileges',
    builder: (y) =>
      y.example('$0 doctor', 'table of checks; exit 0 only when every required item is present').example(
        '$0 doctor --json',
        'the same as JSON: {ok, kvm, accel, checks: [{id, label, required, status, detail, fix}]}',
      ),
    handler: async (argv) => {
      const out = ctx.output(argv);
      const report = await runDoctor();
      if (out.json) out.printJson(report);
      else out.print(formatDoctorReport(report));
      ctx.setExitCode(report.ok ? 0 : 1);
    },
  };
}
