// The axes of `kbisect matrix` (the KVM networking test matrix, issue #12):
// which values each axis takes, the default selection, parsing of
// `--axes name=v1,v2 ...` with every problem reported at once, and the cells
// (one per combination, in a fixed order). Pure.
import { describeValue } from '../errors.ts';
import { topologies, type Topology } from '../profile/types.ts';

export const VHOST_VALUES = ['on', 'off'] as const;
export type VhostValue = (typeof VHOST_VALUES)[number];
// plain: nothing happens to the guest; the others are the profile's conditions.*
export const CONDITION_VALUES = ['plain', 'migration', 'hotplug', 'qos'] as const;
export type ConditionValue = (typeof CONDITION_VALUES)[number];
// plain: the base profile's NIC; vlans-macs: two 802.1Q VLANs and two extra MACs (profiles/vlan-macs.yaml)
export const NIC_VALUES = ['plain', 'vlans-macs'] as const;
export type NicValue = (typeof NIC_VALUES)[number];

export const AXIS_VALUES = {
  vhost: VHOST_VALUES,
  condition: CONDITION_VALUES,
  topology: topologies,
  nic: NIC_VALUES,
} as const;
export type AxisName = keyof typeof AXIS_VALUES;
export const AXIS_NAMES = Object.keys(AXIS_VALUES) as AxisName[];

export interface MatrixAxes {
  vhost: VhostValue[];
  condition: ConditionValue[];
  topology: Topology[];
  nic: NicValue[];
}

// The seed's matrix: vhost on/off × plain/hotplug/qos/migration × host-guest/external-guest (16 cells).
export const DEFAULT_AXES: Readonly<MatrixAxes> = {
  vhost: ['on', 'off'],
  condition: ['plain', 'hotplug', 'qos', 'migration'],
  topology: ['host-to-guest', 'external-to-guest'],
  nic: ['plain'],
};

// One combination of axis values.
export interface MatrixCell {
  // vhost-off.hotplug.host-to-guest (.vlans-macs): unique, a file name and part of a profile name
  id: string;
  vhost: VhostValue;
  condition: ConditionValue;
  topology: Topology;
  nic: NicValue;
}

export interface AxesParse {
  axes: MatrixAxes;
  errors: string[];
}

const AXES_EXAMPLE = 'vhost=on,off condition=plain,hotplug topology=host-to-guest';

// Parses `name=v1,v2` words; axes not named keep their default values.
export function parseAxes(words: readonly string[], defaults: Readonly<MatrixAxes> = DEFAULT_AXES): AxesParse {
  const axes: Record<AxisName, string[]> = { vhost: [...defaults.vhost], condition: [...defaults.condition], topology: [...defaults.topology], nic: [...defaults.nic] };
  const errors: string[] = [];
  const seen = new Set<string>();
  // `--axes "vhost=on condition=plain"` (one quoted word) reads the same as two words
  for (const word of words.flatMap((w) => w.split(/\s+/)).filter((w) => w !== '')) {
    const eq = word.indexOf('=');
    if (eq < 0) {
      errors.push(`--axes: expected name=value,value (e.g. ${AXES_EXAMPLE}), got ${describeValue(word)}`);
      continue;
    }
    const name = word.slice(0, eq);
    if (!(AXIS_NAMES as string[]).includes(name)) {
      errors.push(`--axes: expected an axis named ${AXIS_NAMES.join(', ')}, got ${describeValue(name)}`);
      continue;
    }
    const axis = name as AxisName;
    if (seen.has(axis)) {
      errors.push(`--axes: axis ${axis} is given twice; expected each axis once, with all its values: ${axis}=a,b`);
      continue;
    }
    seen.add(axis);
    const allowed: readonly string[] = AXIS_VALUES[axis];
    const values = word.slice(eq + 1).split(',');
    const problems: string[] = [];
    if (values.some((v) => v === '')) problems.push(`--axes: ${axis}: expected a comma-separated list of ${allowed.join(', ')}, got ${describeValue(word.slice(eq + 1))}`);
    for (const v of values.filter((x) => x !== '' && !allowed.includes(x))) problems.push(`--axes: ${axis}: expected one of ${allowed.join(', ')}, got ${describeValue(v)}`);
    const repeated = values.filter((v, i) => v !== '' && values.indexOf(v) !== i);
    if (repeated.length > 0) problems.push(`--axes: ${axis}: expected distinct values, got ${describeValue(repeated[0])} more than once`);
    errors.push(...problems);
    if (problems.length === 0) axes[axis] = values;
  }
  return { axes: axes as unknown as MatrixAxes, errors };
}

// `vhost=on,off condition=plain topology=host-to-guest nic=plain`: the axes as --axes would take them.
export function formatAxes(axes: Readonly<MatrixAxes>): string {
  return AXIS_NAMES.map((name) => `${name}=${axes[name].join(',')}`).join(' ');
}

export function cellId(cell: Omit<MatrixCell, 'id'>): string {
  return [`vhost-${cell.vhost}`, cell.condition, cell.topology, ...(cell.nic === 'plain' ? [] : [cell.nic])].join('.');
}

// Every combination, vhost outermost, then condition, topology, nic.
export function enumerateCells(axes: Readonly<MatrixAxes>): MatrixCell[] {
  const cells: MatrixCell[] = [];
  for (const vhost of axes.vhost) {
    for (const condition of axes.condition) {
      for (const topology of axes.topology) {
        for (const nic of axes.nic) cells.push({ id: cellId({ vhost, condition, topology, nic }), vhost, condition, topology, nic });
      }
    }
  }
  return cells;
}

// "vhost=off hotplug host-to-guest" (+ " vlans-macs"): how a cell is named in tables.
export function describeCell(cell: MatrixCell): string {
  return [`vhost=${cell.vhost}`, cell.condition, cell.topology, ...(cell.nic === 'plain' ? [] : [cell.nic])].join(' ');
}
