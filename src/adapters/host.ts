// Gathers the facts `kbisect doctor` judges: devices, CPU flags, privileges,
// tools and their versions, headers. Reads files and runs `--version`; decides nothing.
import { constants } from 'node:fs';
import { access, open, readFile, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { toolNames, type DeviceFact, type HostFacts, type ToolFact, type ToolName } from '../core/doctor.ts';
import { isStaticElf } from './elf.ts';
import { runCommand } from './exec.ts';
import { exists } from './store.ts';
import { locateCpuCgroupRoot } from './conditions/qos.ts';
import { parseAllowedCpus } from '../core/cpu-partition.ts';

// How each tool tells its version (first matching line of its output).
const versionCommands: Record<ToolName, { args: string[]; pattern: RegExp }> = {
  'qemu-system-x86_64': { args: ['--version'], pattern: /QEMU emulator version \S+/ },
  netperf: { args: ['-V'], pattern: /Netperf version \S+/ },
  netserver: { args: ['-V'], pattern: /Netperf version \S+/ },
  busybox: { args: [], pattern: /BusyBox v\S+/ },
  make: { args: ['--version'], pattern: /GNU Make \S+/ },
  gcc: { args: ['--version'], pattern: /gcc.*\d+\.\d+\.\d+/ },
  flex: { args: ['--version'], pattern: /flex \S+/ },
  bison: { args: ['--version'], pattern: /bison.* \d+\.\d+(\.\d+)?/ },
  bc: { args: ['--version'], pattern: /bc \S+/ },
  ccache: { args: ['--version'], pattern: /ccache version \S+/ },
  git: { args: ['--version'], pattern: /git version \S+/ },
  ip: { args: ['-V'], pattern: /iproute2-[\w.]+/ },
};

// Finds an executable on PATH the way a shell does, without spawning anything.
export async function findExecutable(name: string, pathEnv = process.env.PATH ?? ''): Promise<string | null> {
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      const s = await stat(candidate);
      if (!s.isFile()) continue;
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return null;
}

// Whether a device node exists and can be opened read-write (what QEMU needs).
export async function probeDevice(path: string): Promise<DeviceFact> {
  try {
    await stat(path);
  } catch {
    return { exists: false, openable: false };
  }
  try {
    const fh = await open(path, constants.O_RDWR);
    await fh.close();
    return { exists: true, openable: true };
  } catch (error) {
    return { exists: true, openable: false, error: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
}

async function probeTool(name: ToolName): Promise<ToolFact> {
  const path = await findExecutable(name);
  if (!path) return { path: null, version: null };
  const how = versionCommands[name];
  try {
    const r = await runCommand({ file: path, args: how.args, timeoutMs: 5000 }, { reject: false });
    const match = `${r.stdout}\n${r.stderr}`.match(how.pattern);
    return { path, version: match ? match[0] : null };
  } catch {
    return { path, version: null };
  }
}


// Reads the CPU flags of the first processor in /proc/cpuinfo.
export function parseCpuFlags(cpuinfo: string): { vmx: boolean; svm: boolean; hypervisor: boolean } {
  const line = cpuinfo.split('\n').find((l) => /^flags\s*:/.test(l)) ?? '';
  const flags = new Set(line.replace(/^flags\s*:/, '').trim().split(/\s+/));
  return { vmx: flags.has('vmx'), svm: flags.has('svm'), hypervisor: flags.has('hypervisor') };
}

// CAP_NET_ADMIN is bit 12 of the effective capability mask in /proc/self/status.
export function parseCapNetAdmin(status: string): boolean {
  const m = status.match(/^CapEff:\s*([0-9a-f]+)/m);
  return m?.[1] !== undefined && (BigInt(`0x${m[1]}`) & (1n << 12n)) !== 0n;
}

// Collects every fact the doctor needs from this host.
export async function gatherHostFacts(): Promise<HostFacts> {
  const [cpuinfo, status] = await Promise.all([
    readFile('/proc/cpuinfo', 'utf8').catch(() => ''),
    readFile('/proc/self/status', 'utf8').catch(() => ''),
  ]);
  const [kvm, tun, vhostNet] = await Promise.all([
    probeDevice('/dev/kvm'),
    probeDevice('/dev/net/tun'),
    probeDevice('/dev/vhost-net'),
  ]);
  const toolEntries = await Promise.all(toolNames.map(async (t) => [t, await probeTool(t)] as const));
  const tools = Object.fromEntries(toolEntries) as Record<ToolName, ToolFact>;
  const busyboxPath = tools.busybox.path;
  const busyboxStatic = busyboxPath ? await isStaticElf(busyboxPath).catch(() => null) : null;
  return {
    isRoot: typeof process.getuid === 'function' && process.getuid() === 0,
    capNetAdmin: parseCapNetAdmin(status),
    kvm,
    cpuFlags: parseCpuFlags(cpuinfo),
    tun,
    vhostNet,
    tools,
    busyboxStatic,
    headers: {
      libelf: (await exists('/usr/include/libelf.h')) || (await exists('/usr/include/elfutils/libelf.h')),
      openssl: await exists('/usr/include/openssl/opensslv.h'),
    },
    cpuCgroup: await locateCpuCgroupRoot(),
  };
}

// The CPUs this process may run on (its affinity, as cpusets and taskset set
// it), from /proc/self/status; null where that file or line is missing.
export async function readAllowedCpus(): Promise<number[] | null> {
  try {
    return parseAllowedCpus(await readFile('/proc/self/status', 'utf8'));
  } catch {
    return null;
  }
}
