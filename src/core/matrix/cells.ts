// The profile of each matrix cell: the base profile with the cell's vhost,
// condition, topology and NIC applied through the profile's own validation
// (a combination the schema refuses is "unavailable" with the schema's words),
// the kernel options every chosen cell needs (so that one kernel serves the
// whole matrix), what this host cannot do (vhost-net, a cgroup cpu
// controller), and the cell's profile as a YAML file that `kbisect start
// --profile FILE` resolves to the same hash. Pure.
import { stringify as stringifyYaml } from 'yaml';
import { planMigrationOffsetsS } from '../conditions/migration.ts';
import { guestBaseFragment, profileToDocument, validateProfileLayer, type Profile, type ProfileConditions } from '../profile/index.ts';
import type { MatrixCell } from './axes.ts';

// conditions.hotplug needs native PCIe hotplug in the guest (profiles/hotplug.yaml)
export const HOTPLUG_KERNEL_OPTIONS = ['CONFIG_PCIEPORTBUS=y', 'CONFIG_HOTPLUG_PCI=y', 'CONFIG_HOTPLUG_PCI_PCIE=y'];
// nic.vlans and nic.extraMacs need 802.1Q and macvlan in the guest (profiles/vlan-macs.yaml)
export const VLAN_KERNEL_OPTIONS = ['CONFIG_VLAN_8021Q=y', 'CONFIG_MACVLAN=y'];
// what the cells get for the axis values (the shipped profiles' settings, made short)
export const MATRIX_QOS = { cpuQuotaPercent: 25 };
export const MATRIX_VLANS = [10, 20];
export const MATRIX_EXTRA_MACS = 2;
// a migration every 2 s of each run, each address given 1 s to answer again
export const MATRIX_MIGRATION = { intervalS: 2, reachTimeoutS: 1 };

// What this host can do, as far as the cells care (found by the app layer).
export interface MatrixHostFacts {
  // /dev/vhost-net exists and opens (adapters/qemu.ts vhostNetUsable)
  vhostNet: boolean;
  // a mounted cgroup hierarchy (v2 or v1) has the cpu controller
  cpuCgroup: boolean;
}

export type CellPlan =
  | { kind: 'measure'; cell: MatrixCell; profile: Profile; warnings: string[] }
  | { kind: 'unavailable'; cell: MatrixCell; reason: string; profile: Profile | null };

// The kernel options the chosen cells need beyond the base profile's, in one list.
export function matrixKernelOptions(cells: readonly MatrixCell[]): string[] {
  return [...(cells.some((c) => c.condition === 'hotplug') ? HOTPLUG_KERNEL_OPTIONS : []), ...(cells.some((c) => c.nic === 'vlans-macs') ? VLAN_KERNEL_OPTIONS : [])];
}

// The runs of one boot, every test's warm-up included: a hotplug cycle before the first of them only.
function runsPerBoot(base: Profile): number {
  return base.tests.length * (base.sampling.runsPerBoot + base.sampling.warmupRuns);
}

function conditionsOf(cell: MatrixCell, base: Profile): ProfileConditions | undefined {
  switch (cell.condition) {
    case 'plain':
      return undefined;
    case 'qos':
      return { qos: { ...MATRIX_QOS } };
    case 'hotplug':
      return { hotplug: { every: runsPerBoot(base) } };
    case 'migration':
      return { migration: { ...MATRIX_MIGRATION } };
  }
}

// The profile file layer of a cell, on top of the base without its conditions.
export function buildCellLayer(cell: MatrixCell, base: Profile, kernelOptions: readonly string[]): Record<string, unknown> {
  const conditions = conditionsOf(cell, base);
  const vlanMacs = cell.nic === 'vlans-macs';
  return {
    schema: 1,
    name: `matrix.${cell.id}`.slice(0, 64),
    description: `kbisect matrix cell ${cell.id} of ${base.name}: ${base.description}`.trim(),
    topology: cell.topology,
    nic: {
      vhost: cell.vhost === 'on',
      ...(vlanMacs ? { vlans: [...MATRIX_VLANS], extraMacs: MATRIX_EXTRA_MACS } : {}),
      // as profiles/migration.yaml: with the device's VLAN filter on, a TCG guest answered nothing after a migration
      ...(vlanMacs && cell.condition === 'migration' ? { offloads: { ctrl_vlan: false } } : {}),
    },
    kernel: { fragment: kernelOptions.map((line) => `+${line}`) },
    ...(conditions === undefined ? {} : { conditions }),
  };
}

// Why a cell cannot run at all on any host, beyond what the schema refuses.
function impossibleByConstruction(cell: MatrixCell, profile: Profile): string | null {
  if (cell.condition === 'migration') {
    const shortest = Math.min(...profile.tests.map((t) => t.durationS));
    if (planMigrationOffsetsS(shortest, MATRIX_MIGRATION.intervalS).length === 0) {
      return `a migration every ${MATRIX_MIGRATION.intervalS} s does not fit in a ${shortest} s run: use a base profile with tests longer than ${MATRIX_MIGRATION.intervalS} s`;
    }
  }
  return null;
}

// Why this host cannot run a cell (the words of kbisect measure's refusals).
export function unavailableOnHost(profile: Profile, host: MatrixHostFacts): string | null {
  if (profile.nic.vhost && !host.vhostNet) return 'nic.vhost: /dev/vhost-net is missing or cannot be opened on this host (modprobe vhost_net, as root)';
  if (profile.conditions?.qos?.cpuQuotaPercent !== undefined && !host.cpuCgroup) return 'conditions.qos: no mounted cgroup hierarchy (v2 or v1) has the cpu controller on this host';
  return null;
}

// The cell's profile (validated on top of the base), or why it cannot run.
export function planCell(cell: MatrixCell, base: Profile, kernelOptions: readonly string[], host: MatrixHostFacts): CellPlan {
  const { conditions: _conditions, ...parent } = base;
  const checked = validateProfileLayer(buildCellLayer(cell, base, kernelOptions), parent, '');
  if (checked.profile === undefined) return { kind: 'unavailable', cell, reason: checked.errors.join('; '), profile: null };
  const profile = checked.profile;
  const reason = impossibleByConstruction(cell, profile) ?? unavailableOnHost(profile, host);
  if (reason !== null) return { kind: 'unavailable', cell, reason, profile };
  return { kind: 'measure', cell, profile, warnings: checked.warnings };
}

// The cell's profile as a file of its own (no `extends`): the resolved
// document, plus `-CONFIG_X` for every guest base option it left out, so that
// loading the file gives back the same profile and the same hash.
export function renderCellProfileYaml(profile: Profile, hash: string, comment: readonly string[]): string {
  const kept = new Set(profile.kernel.fragment.map((line) => line.slice(0, line.indexOf('='))));
  const removed = guestBaseFragment()
    .map((line) => line.slice(0, line.indexOf('=')))
    .filter((option) => !kept.has(option))
    .map((option) => `-${option}`);
  const doc = profileToDocument(profile);
  const body = { ...doc, kernel: { fragment: [...profile.kernel.fragment, ...removed] } };
  const header = [`# kbisect profile ${profile.name}, sha256 ${hash}`, ...comment].map((l) => `# ${l.replace(/^# /, '').replace(/[\r\n]/g, ' ')}`);
  return `${header.join('\n')}\n${stringifyYaml(body, { lineWidth: 0 })}`;
}
