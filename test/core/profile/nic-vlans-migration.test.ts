// nic.vlans, nic.extraMacs and conditions.migration: validated with the house
// messages, absent (or none) leaves the canonical form of a profile untouched.
import { describe, expect, it } from 'vitest';
import { hashProfile, loadProfile } from '../../../src/app/profiles.ts';
import { canonicalizeProfile, validateProfile } from '../../../src/core/profile/index.ts';

function raw(extra: Record<string, unknown> = {}, topology = 'host-to-guest'): Record<string, unknown> {
  return { schema: 1, name: 'x', topology, tests: [{ type: 'TCP_STREAM', durationS: 20 }], minEffect: 0.05, ...extra };
}

describe('nic.vlans and nic.extraMacs', () => {
  it('takes VLAN ids and a number of extra MACs', () => {
    const r = validateProfile(raw({ nic: { vlans: [10, 20], extraMacs: 2 } }), 'x.yaml');
    expect(r.errors).toEqual([]);
    expect(r.profile?.nic).toMatchObject({ vlans: [10, 20], extraMacs: 2 });
  });

  it('treats none as absent: no key, the same canonical form', () => {
    const plain = validateProfile(raw(), 'x.yaml').profile;
    const none = validateProfile(raw({ nic: { vlans: [], extraMacs: 0 } }), 'x.yaml').profile;
    expect(none?.nic).not.toHaveProperty('vlans');
    expect(none?.nic).not.toHaveProperty('extraMacs');
    expect(canonicalizeProfile(none!)).toBe(canonicalizeProfile(plain!));
    expect(canonicalizeProfile(plain!)).not.toContain('vlans');
  });

  it.each([
    [{ vlans: [0] }, 'nic.vlans[0]: expected an integer between 1 and 4094, got 0'],
    [{ vlans: [4095] }, 'nic.vlans[0]: expected an integer between 1 and 4094, got 4095'],
    [{ vlans: [10, 10] }, 'nic.vlans: expected distinct VLAN ids, got [10,10]'],
    [{ vlans: 10 }, 'nic.vlans: expected a list of 802.1Q VLAN ids (1-4094), got 10'],
    [{ extraMacs: 9 }, 'nic.extraMacs: expected an integer between 0 and 8, got 9'],
  ])('refuses %j', (nic, message) => {
    const r = validateProfile(raw({ nic }), 'x.yaml');
    expect(r.profile).toBeUndefined();
    expect(r.errors.join('\n')).toContain(message);
  });
});

describe('conditions.migration', () => {
  it('takes intervalS and fills in the reachability bound', () => {
    const r = validateProfile(raw({ conditions: { migration: { intervalS: 5 } } }), 'x.yaml');
    expect(r.errors).toEqual([]);
    expect(r.profile?.conditions).toEqual({ migration: { intervalS: 5, reachTimeoutS: 2 } });
  });

  it('is part of the hash', () => {
    const a = validateProfile(raw({ conditions: { migration: { intervalS: 5 } } }), 'x.yaml').profile!;
    const b = validateProfile(raw({ conditions: { migration: { intervalS: 4 } } }), 'x.yaml').profile!;
    expect(canonicalizeProfile(a)).not.toBe(canonicalizeProfile(b));
  });

  it.each([
    [raw({ conditions: { migration: {} } }), 'conditions.migration.intervalS: required: expected an integer between 1 and 3600'],
    [raw({ conditions: { migration: { intervalS: 3, reachTimeoutS: 3 } } }), 'conditions.migration.reachTimeoutS: expected less than intervalS (3), got 3'],
    [raw({ conditions: { migration: { intervalS: 5 } } }, 'guest-to-host'), 'conditions.migration: expected topology host-to-guest'],
  ])('refuses %#', (input, message) => {
    const r = validateProfile(input, 'x.yaml');
    expect(r.profile).toBeUndefined();
    expect(r.errors.join('\n')).toContain(message);
  });
});

describe('shipped profiles', () => {
  it('vlan-macs adds VLANs, MACs and their kernel options on top of tcp-stream-host-to-guest', async () => {
    const { profile } = await loadProfile('vlan-macs');
    expect(profile.nic).toMatchObject({ vlans: [10, 20], extraMacs: 2 });
    expect(profile.kernel.fragment).toEqual(expect.arrayContaining(['CONFIG_VLAN_8021Q=y', 'CONFIG_MACVLAN=y']));
    expect(profile.topology).toBe('host-to-guest');
  });

  it('migration migrates every 5 s during 20 s runs, on top of vlan-macs', async () => {
    const { profile } = await loadProfile('migration');
    expect(profile.conditions?.migration).toEqual({ intervalS: 5, reachTimeoutS: 2 });
    expect(profile.tests[0]?.durationS).toBe(20);
    expect(profile.nic.vlans).toEqual([10, 20]);
    expect(hashProfile(profile)).not.toBe(hashProfile((await loadProfile('vlan-macs')).profile));
  });
});
