// The facts that make a measurement comparable (or not) with another: CPU
// model, host kernel, QEMU and netperf versions. Gathered once per process.
import { readFile } from 'node:fs/promises';
import { hostname, release } from 'node:os';
import { runCommand } from './exec.ts';
import { QEMU_BINARY } from './qemu.ts';

export interface HostFacts {
  cpuModel: string;
  cpuCount: number;
  hostKernel: string;
  qemuVersion: string;
  netperfVersion: string;
}

// "model name : AMD EPYC ..." of the first processor in /proc/cpuinfo.
export function parseCpuModel(cpuinfo: string): string {
  const m = /^model name\s*:\s*(.+)$/m.exec(cpuinfo);
  return m?.[1]?.trim() ?? 'unknown';
}

function firstMatch(text: string, re: RegExp): string {
  return re.exec(text)?.[0]?.trim() ?? 'unknown';
}

let cached: Promise<HostFacts> | undefined;

// Gathers (once) the host facts stamped on every result.
export function gatherFingerprintFacts(): Promise<HostFacts> {
  cached ??= (async () => {
    const [cpuinfo, qemu, netperf] = await Promise.all([
      readFile('/proc/cpuinfo', 'utf8').catch(() => ''),
      runCommand({ file: QEMU_BINARY, args: ['--version'], timeoutMs: 10_000 }, { reject: false }).catch(() => null),
      runCommand({ file: 'netperf', args: ['-V'], timeoutMs: 10_000 }, { reject: false }).catch(() => null),
    ]);
    return {
      cpuModel: parseCpuModel(cpuinfo),
      cpuCount: (cpuinfo.match(/^processor\s*:/gm) ?? []).length,
      hostKernel: release(),
      qemuVersion: qemu ? firstMatch(qemu.stdout, /QEMU emulator version \S+/) : 'unknown',
      netperfVersion: netperf ? firstMatch(`${netperf.stdout}${netperf.stderr}`, /Netperf version \S+/) : 'unknown',
    };
  })();
  return cached;
}

// The machine's name: a sweep keeps one series per machine (its fingerprint may change under it: new host kernel, new QEMU).
export function machineName(): string {
  return hostname() || 'localhost';
}
