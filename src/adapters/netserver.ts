// netserver on the host side of a measurement's namespace (guest-to-host
// topology): started, probed until it answers, stopped.
import { InterruptedError, ProcessError } from '../core/errors.ts';
import { runCommand, startCommand, type RunningCommand } from './exec.ts';
import { inNetns, type NetworkPlan } from './net.ts';
import { buildNetperfProbeArgs, buildNetserverCommand } from './netperf.ts';

// Starts netserver on the host side of the namespace and waits until it answers.
export async function startHostNetserver(plan: Pick<NetworkPlan, 'ns' | 'hostIp'>, signal: AbortSignal | undefined): Promise<RunningCommand> {
  const server = startCommand(inNetns(plan.ns, buildNetserverCommand(plan.hostIp)));
  let exited = false;
  void server.done.then(() => {
    exited = true;
  });
  const deadline = performance.now() + 10_000;
  for (;;) {
    if (signal?.aborted) {
      server.kill('SIGKILL');
      throw new InterruptedError('interrupted');
    }
    const probe = await runCommand(inNetns(plan.ns, { file: 'netperf', args: buildNetperfProbeArgs(plan.hostIp), timeoutMs: 5000 }), { reject: false });
    if (probe.exitCode === 0) return server;
    if (exited || performance.now() > deadline) {
      server.kill('SIGKILL');
      const r = await server.done;
      throw new ProcessError({
        message: exited ? 'netserver exited before answering' : 'netserver did not answer within 10 s',
        command: server.command,
        exitCode: r.exitCode,
        stderrTail: `${r.stdout}\n${r.stderr}\n${probe.stdout}${probe.stderr}`.trim(),
        hint: 'run `kbisect doctor`; netperf/netserver 2.7 come from Debian non-free',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// SIGTERM, then SIGKILL after 3 s.
export async function stopNetserver(p: RunningCommand): Promise<void> {
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), 3000);
  await p.done;
  clearTimeout(timer);
}
