// What `kbisect doctor` concludes from the facts gathered about a host: pure,
// so that a hardware-KVM host, a host without /dev/kvm or one missing netperf
// can be checked in unit tests without such a machine.

export interface DeviceFact {
  exists: boolean;
  openable: boolean;
  error?: string;
}

export interface ToolFact {
  path: string | null;
  version: string | null;
}

export const toolNames = [
  'qemu-system-x86_64',
  'netperf',
  'netserver',
  'busybox',
  'make',
  'gcc',
  'flex',
  'bison',
  'bc',
  'ccache',
  'git',
  'ip',
] as const;
export type ToolName = (typeof toolNames)[number];

export interface HostFacts {
  isRoot: boolean;
  capNetAdmin: boolean;
  kvm: DeviceFact;
  cpuFlags: { vmx: boolean; svm: boolean; hypervisor: boolean };
  tun: DeviceFact;
  vhostNet: DeviceFact;
  tools: Record<ToolName, ToolFact>;
  busyboxStatic: boolean | null;
  headers: { libelf: boolean; openssl: boolean };
  // conditions.qos: the hierarchy with the cpu controller (null: none); absent when not gathered
  cpuCgroup?: { version: 1 | 2; path: string } | null;
}

export type KvmKind = 'hardware' | 'nested-or-software' | 'unavailable';
export type CheckStatus = 'ok' | 'warn' | 'missing';

export interface DoctorCheck {
  id: string;
  label: string;
  required: boolean;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

export interface DoctorReport {
  ok: boolean;
  kvm: KvmKind;
  accel: 'kvm' | 'tcg';
  checks: DoctorCheck[];
}

// Debian package that provides each tool, for the fix command.
const packageOf: Record<ToolName, string> = {
  'qemu-system-x86_64': 'qemu-system-x86',
  netperf: 'netperf',
  netserver: 'netperf',
  busybox: 'busybox-static',
  make: 'make',
  gcc: 'gcc',
  flex: 'flex',
  bison: 'bison',
  bc: 'bc',
  ccache: 'ccache',
  git: 'git',
  ip: 'iproute2',
};

const NETPERF_FIX =
  'netperf is in Debian non-free: add a sources entry (Types: deb, Suites: bookworm, Components: non-free), ' +
  'then apt-get update && apt-get install -y netperf (scripts/setup-host.sh does both)';

// Classifies /dev/kvm: real VT-x/AMD-V shows vmx/svm; a `hypervisor` flag
// without them means a nested or software KVM on which stock guests may not run.
export function classifyKvm(facts: Pick<HostFacts, 'kvm' | 'cpuFlags'>): KvmKind {
  if (!facts.kvm.exists || !facts.kvm.openable) return 'unavailable';
  if (facts.cpuFlags.vmx || facts.cpuFlags.svm) return 'hardware';
  return 'nested-or-software';
}

function toolCheck(name: ToolName, fact: ToolFact, label: string): DoctorCheck {
  if (fact.path) {
    return { id: name, label, required: true, status: 'ok', detail: fact.version ?? fact.path };
  }
  const pkg = packageOf[name];
  return {
    id: name,
    label,
    required: true,
    status: 'missing',
    detail: `${name} not found on PATH`,
    fix: pkg === 'netperf' ? NETPERF_FIX : `apt-get install -y ${pkg}`,
  };
}

// Turns host facts into the doctor's table; `ok` only when every required item is present.
export function evaluateHost(facts: HostFacts): DoctorReport {
  const kvm = classifyKvm(facts);
  const checks: DoctorCheck[] = [];

  const kvmCheck: DoctorCheck = { id: 'kvm', label: '/dev/kvm', required: false, status: 'ok', detail: '' };
  switch (kvm) {
    case 'hardware':
      kvmCheck.detail = `openable, hardware virtualization (${facts.cpuFlags.vmx ? 'vmx' : 'svm'}); guests run under KVM`;
      break;
    case 'nested-or-software':
      kvmCheck.status = 'warn';
      kvmCheck.detail =
        'openable, but the CPU shows a hypervisor flag and no vmx/svm: a nested or software KVM on which ' +
        'stock guests may never reach userspace; guests will run under TCG (slower, numbers are not KVM numbers) ' +
        'unless a boot probe shows KVM works';
      kvmCheck.fix = 'for KVM numbers run on bare metal with VT-x/AMD-V enabled (or nested virtualization exposed)';
      break;
    case 'unavailable':
      kvmCheck.status = 'warn';
      kvmCheck.detail = facts.kvm.exists
        ? `exists but cannot be opened (${facts.kvm.error ?? 'permission denied'}); guests will run under TCG`
        : 'absent; guests will run under TCG (slower, numbers are not KVM numbers)';
      kvmCheck.fix = facts.kvm.exists
        ? 'run as root or add the user to the kvm group'
        : 'modprobe kvm_intel (or kvm_amd), with virtualization enabled in the firmware';
      break;
  }
  checks.push(kvmCheck);

  checks.push(
    facts.tun.exists && facts.tun.openable
      ? { id: 'tun', label: '/dev/net/tun', required: true, status: 'ok', detail: 'openable' }
      : {
          id: 'tun',
          label: '/dev/net/tun',
          required: true,
          status: 'missing',
          detail: facts.tun.exists ? `cannot be opened (${facts.tun.error ?? 'permission denied'})` : 'absent',
          fix: facts.tun.exists ? 'run kbisect as root' : 'modprobe tun',
        },
  );
  checks.push(
    facts.vhostNet.exists && facts.vhostNet.openable
      ? { id: 'vhost-net', label: '/dev/vhost-net', required: false, status: 'ok', detail: 'openable' }
      : {
          id: 'vhost-net',
          label: '/dev/vhost-net',
          required: false,
          status: 'warn',
          detail: `${facts.vhostNet.exists ? 'cannot be opened' : 'absent'}: profiles with vhost on will refuse to run`,
          fix: 'modprobe vhost_net',
        },
  );
  checks.push(
    facts.isRoot || facts.capNetAdmin
      ? {
          id: 'netns',
          label: 'network namespaces',
          required: true,
          status: 'ok',
          detail: facts.isRoot ? 'running as root' : 'CAP_NET_ADMIN',
        }
      : {
          id: 'netns',
          label: 'network namespaces',
          required: true,
          status: 'missing',
          detail: 'not root and no CAP_NET_ADMIN: cannot create namespaces, bridges and taps',
          fix: 'run kbisect as root (sudo kbisect ...)',
        },
  );

  checks.push(toolCheck('qemu-system-x86_64', facts.tools['qemu-system-x86_64'], 'QEMU'));
  checks.push(toolCheck('netperf', facts.tools.netperf, 'netperf'));
  checks.push(toolCheck('netserver', facts.tools.netserver, 'netserver'));
  const bb = toolCheck('busybox', facts.tools.busybox, 'busybox (static)');
  if (bb.status === 'ok' && facts.busyboxStatic === false) {
    bb.status = 'missing';
    bb.detail = `${facts.tools.busybox.path ?? 'busybox'} is dynamically linked; the guest needs a static one`;
    bb.fix = 'apt-get install -y busybox-static';
  }
  checks.push(bb);
  checks.push(toolCheck('git', facts.tools.git, 'git'));
  checks.push(toolCheck('ip', facts.tools.ip, 'iproute2 (ip)'));
  for (const t of ['make', 'gcc', 'flex', 'bison', 'bc', 'ccache'] as const) {
    checks.push(toolCheck(t, facts.tools[t], `kernel build: ${t}`));
  }
  checks.push(
    facts.headers.libelf
      ? { id: 'libelf-dev', label: 'kernel build: libelf headers', required: true, status: 'ok', detail: 'libelf.h' }
      : {
          id: 'libelf-dev',
          label: 'kernel build: libelf headers',
          required: true,
          status: 'missing',
          detail: 'libelf.h not found',
          fix: 'apt-get install -y libelf-dev',
        },
  );
  checks.push(
    facts.headers.openssl
      ? { id: 'libssl-dev', label: 'kernel build: openssl headers', required: true, status: 'ok', detail: 'openssl/opensslv.h' }
      : {
          id: 'libssl-dev',
          label: 'kernel build: openssl headers',
          required: true,
          status: 'missing',
          detail: 'openssl headers not found',
          fix: 'apt-get install -y libssl-dev',
        },
  );
  if (facts.cpuCgroup !== undefined) {
    checks.push(
      facts.cpuCgroup
        ? { id: 'cgroup-cpu', label: 'cgroup cpu controller', required: false, status: 'ok', detail: `cgroup v${facts.cpuCgroup.version} at ${facts.cpuCgroup.path}` }
        : {
            id: 'cgroup-cpu',
            label: 'cgroup cpu controller',
            required: false,
            status: 'warn',
            detail: 'no mounted cgroup hierarchy has it: profiles with conditions.qos.cpuQuotaPercent will refuse to run',
            fix: 'echo +cpu > /sys/fs/cgroup/cgroup.subtree_control (cgroup v2), or mount -t cgroup -o cpu cgroup /sys/fs/cgroup/cpu (v1)',
          },
    );
  }

  const ok = checks.every((c) => !c.required || c.status === 'ok');
  return { ok, kvm, accel: kvm === 'hardware' ? 'kvm' : 'tcg', checks };
}
