// Each cell's profile: the base with the cell's settings through the profile
// validation, the kernel options every chosen cell needs, the combinations
// that cannot run (by construction, or on this host: vhost-net, cgroups), and
// the cell's profile file, which loads back to the same hash.
import { describe, expect, it } from 'vitest';
import { hashProfile, loadProfile, parseProfileText } from '../../../src/app/profiles.ts';
import { enumerateCells, type MatrixCell } from '../../../src/core/matrix/axes.ts';
import { HOTPLUG_KERNEL_OPTIONS, matrixKernelOptions, planCell, renderCellProfileYaml, VLAN_KERNEL_OPTIONS, type CellPlan } from '../../../src/core/matrix/cells.ts';
import type { Profile } from '../../../src/core/profile/index.ts';

const HOST = { vhostNet: true, cpuCgroup: true };
const base = (await loadProfile('matrix')).profile;

function cell(over: Partial<MatrixCell>): MatrixCell {
  const c = { vhost: 'off', condition: 'plain', topology: 'host-to-guest', nic: 'plain', ...over } as const;
  return enumerateCells({ vhost: [c.vhost], condition: [c.condition], topology: [c.topology], nic: [c.nic] })[0] as MatrixCell;
}

function measured(plan: CellPlan): Profile {
  if (plan.kind !== 'measure') throw new Error(`expected a cell to measure, got unavailable: ${plan.reason}`);
  return plan.profile;
}

describe('planCell: the cell profile', () => {
  it('is the base with the cell settings: vhost, topology, no conditions for plain', () => {
    const p = measured(planCell(cell({ topology: 'external-to-guest' }), base, [], HOST));
    expect(p.topology).toBe('external-to-guest');
    expect(p.nic.vhost).toBe(false);
    expect(p.conditions).toBeUndefined();
    expect(p.tests).toEqual(base.tests);
    expect(p.sampling).toEqual(base.sampling);
    expect(p.name).toBe('matrix.vhost-off.plain.external-to-guest');
  });

  it('sets each condition as the shipped profiles do, hotplug once per boot (before the first run)', () => {
    expect(measured(planCell(cell({ condition: 'qos' }), base, [], HOST)).conditions).toEqual({ qos: { cpuQuotaPercent: 25 } });
    const runs = base.tests.length * (base.sampling.runsPerBoot + base.sampling.warmupRuns);
    expect(measured(planCell(cell({ condition: 'hotplug' }), base, HOTPLUG_KERNEL_OPTIONS, HOST)).conditions).toEqual({ hotplug: { every: runs } });
    expect(measured(planCell(cell({ condition: 'migration' }), base, [], HOST)).conditions).toEqual({ migration: { intervalS: 2, reachTimeoutS: 1 } });
  });

  it('gives vlans-macs the VLANs and MACs of profiles/vlan-macs.yaml, and turns the device VLAN filter off under migration', () => {
    const plain = measured(planCell(cell({ nic: 'vlans-macs' }), base, VLAN_KERNEL_OPTIONS, HOST));
    expect(plain.nic).toMatchObject({ vlans: [10, 20], extraMacs: 2 });
    expect(plain.nic.offloads).toEqual({});
    const migrating = measured(planCell(cell({ nic: 'vlans-macs', condition: 'migration' }), base, VLAN_KERNEL_OPTIONS, HOST));
    expect(migrating.nic.offloads).toEqual({ ctrl_vlan: false });
  });

  it('replaces the conditions of a base that has some (plain means plain)', async () => {
    const hotplugBase = (await loadProfile('hotplug')).profile;
    expect(hotplugBase.conditions?.hotplug).toBeDefined();
    expect(measured(planCell(cell({}), hotplugBase, [], HOST)).conditions).toBeUndefined();
    expect(measured(planCell(cell({ condition: 'qos' }), hotplugBase, [], HOST)).conditions).toEqual({ qos: { cpuQuotaPercent: 25 } });
  });

  it('adds the kernel options every chosen cell needs to every cell, so one kernel serves all', () => {
    const cells = enumerateCells({ vhost: ['off'], condition: ['plain', 'hotplug'], topology: ['host-to-guest'], nic: ['plain', 'vlans-macs'] });
    const options = matrixKernelOptions(cells);
    expect(options).toEqual([...HOTPLUG_KERNEL_OPTIONS, ...VLAN_KERNEL_OPTIONS]);
    const fragments = cells.map((c) => measured(planCell(c, base, options, HOST)).kernel.fragment);
    for (const f of fragments) {
      expect(f).toEqual(fragments[0]);
      expect(f).toEqual(expect.arrayContaining([...base.kernel.fragment, ...options]));
    }
    expect(matrixKernelOptions(enumerateCells({ vhost: ['off'], condition: ['plain', 'qos'], topology: ['host-to-guest'], nic: ['plain'] }))).toEqual([]);
  });
});

describe('planCell: unavailable cells', () => {
  it.each([
    [{ condition: 'migration', topology: 'external-to-guest' }, 'conditions.migration: expected topology host-to-guest'],
    [{ condition: 'migration', topology: 'guest-to-guest' }, 'conditions.migration: expected topology host-to-guest'],
    [{ condition: 'hotplug', topology: 'guest-to-guest' }, 'conditions.hotplug: expected topology host-to-guest or external-to-guest'],
    [{ condition: 'hotplug', topology: 'guest-to-host' }, 'conditions.hotplug: expected topology host-to-guest or external-to-guest'],
  ] as const)('%j is impossible by construction: %s', (over, reason) => {
    const plan = planCell(cell(over), base, [], HOST);
    expect(plan.kind).toBe('unavailable');
    expect(plan.kind === 'unavailable' && plan.reason).toContain(reason);
  });

  it('vhost=on where /dev/vhost-net is unusable is unavailable with that reason, not a failure', () => {
    const plan = planCell(cell({ vhost: 'on' }), base, [], { vhostNet: false, cpuCgroup: true });
    expect(plan).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('/dev/vhost-net is missing or cannot be opened') });
    // its profile is still there (another host can run it)
    expect(plan.profile?.nic.vhost).toBe(true);
    expect(planCell(cell({ vhost: 'on' }), base, [], HOST).kind).toBe('measure');
  });

  it('a CPU quota without a cgroup cpu controller is unavailable; plain cells are not affected', () => {
    const noCgroup = { vhostNet: true, cpuCgroup: false };
    expect(planCell(cell({ condition: 'qos' }), base, [], noCgroup)).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('cpu controller') });
    expect(planCell(cell({}), base, [], noCgroup).kind).toBe('measure');
  });

  it('migration in runs too short for one migration is unavailable, with what to do', async () => {
    const short = { ...base, tests: base.tests.map((t) => ({ ...t, durationS: 2 })) };
    expect(planCell(cell({ condition: 'migration' }), short, [], HOST)).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('does not fit in a 2 s run') });
  });
});

describe('renderCellProfileYaml', () => {
  it('writes a file that loads back to the same profile and hash', () => {
    for (const c of enumerateCells({ vhost: ['on', 'off'], condition: ['plain', 'hotplug', 'qos', 'migration'], topology: ['host-to-guest'], nic: ['plain', 'vlans-macs'] })) {
      const p = measured(planCell(c, base, [...HOTPLUG_KERNEL_OPTIONS, ...VLAN_KERNEL_OPTIONS], HOST));
      const hash = hashProfile(p);
      const text = renderCellProfileYaml(p, hash, ['a note']);
      expect(text).toMatch(new RegExp(`^# kbisect profile ${p.name.replace(/\./g, '\\.')}, sha256 ${hash}\n# a note\n`));
      const back = parseProfileText(text, `${c.id}.yaml`, 'file');
      expect(back.profile).toEqual(p);
      expect(back.hash).toBe(hash);
    }
  });

  it('keeps an option the base removed from the guest base removed (-CONFIG_X)', () => {
    const removed = base.kernel.fragment.find((l) => l.startsWith('CONFIG_KERNEL_GZIP='));
    expect(removed).toBeDefined();
    const slim = { ...base, kernel: { fragment: base.kernel.fragment.filter((l) => l !== removed) } };
    const p = measured(planCell(cell({}), slim, [], HOST));
    expect(p.kernel.fragment).not.toContain(removed);
    const text = renderCellProfileYaml(p, hashProfile(p), []);
    expect(text).toContain('- -CONFIG_KERNEL_GZIP');
    expect(parseProfileText(text, 'slim.yaml', 'file').hash).toBe(hashProfile(p));
  });
});
