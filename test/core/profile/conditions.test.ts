// The conditions section (qos, hotplug) and the external topologies: validated
// with house messages, part of the hash when present, invisible when absent.
import { describe, expect, it } from 'vitest';
import { canonicalizeProfile, profileToDocument, validateProfile, type Profile } from '../../../src/core/profile/index.ts';

function raw(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schema: 1, name: 'c', topology: 'host-to-guest', tests: [{ type: 'TCP_STREAM', durationS: 5 }], minEffect: 0.05, ...extra };
}

function valid(extra: Record<string, unknown> = {}): Profile {
  const r = validateProfile(raw(extra), 'c.yaml');
  expect(r.errors).toEqual([]);
  return r.profile as Profile;
}

function errors(extra: Record<string, unknown>): string[] {
  return validateProfile(raw(extra), 'c.yaml').errors;
}

describe('conditions', () => {
  it('absent, or empty: no key at all, so the canonical form (and hash) of a plain profile is unchanged', () => {
    const plain = valid();
    expect('conditions' in plain).toBe(false);
    expect(canonicalizeProfile(valid({ conditions: {} }))).toBe(canonicalizeProfile(plain));
    expect(canonicalizeProfile(plain)).not.toContain('conditions');
    expect('conditions' in profileToDocument(plain)).toBe(false);
  });

  it('reads qos and hotplug, with hotplug every 1 by default', () => {
    const p = valid({ conditions: { qos: { cpuQuotaPercent: 25, tapRateMbit: 200 }, hotplug: null } });
    expect(p.conditions).toEqual({ qos: { cpuQuotaPercent: 25, tapRateMbit: 200 }, hotplug: { every: 1 } });
    expect(valid({ conditions: { hotplug: { every: 3 } } }).conditions).toEqual({ hotplug: { every: 3 } });
    expect(profileToDocument(p).conditions).toEqual(p.conditions);
  });

  it('hashes each condition', () => {
    const forms = new Set(
      [{}, { qos: { cpuQuotaPercent: 25 } }, { qos: { cpuQuotaPercent: 50 } }, { qos: { tapRateMbit: 100 } }, { hotplug: {} }, { hotplug: { every: 2 } }].map((c) =>
        canonicalizeProfile(valid({ conditions: c })),
      ),
    );
    expect(forms.size).toBe(6);
  });

  it.each([
    [{ conditions: { qos: {} } }, 'c.yaml: conditions.qos: expected cpuQuotaPercent, tapRateMbit or both, got neither'],
    [{ conditions: { qos: { cpuQuotaPercent: 0 } } }, 'c.yaml: conditions.qos.cpuQuotaPercent: expected an integer between 1 and 6400, got 0'],
    [{ conditions: { qos: { tapRateMbit: 'fast' } } }, 'c.yaml: conditions.qos.tapRateMbit: expected an integer between 1 and 100000, got "fast"'],
    [{ conditions: { hotplug: { every: 0 } } }, 'c.yaml: conditions.hotplug.every: expected an integer between 1 and 1000, got 0'],
    [
      { topology: 'guest-to-host', conditions: { hotplug: {} } },
      'c.yaml: conditions.hotplug: expected topology host-to-guest or external-to-guest (netperf outside the guest, so the NIC can be cycled between runs), got "guest-to-host"',
    ],
    [
      { topology: 'external-to-guest', nic: { vlans: [10] } },
      `c.yaml: nic.vlans: expected a topology with the host side as peer (the VLANs end in kbisect's namespace; the external peer is on the bridge untagged), got "external-to-guest"`,
    ],
  ])('%j: %s', (extra, message) => {
    expect(errors(extra)).toContain(message);
  });

  it('hotplug works with the external-to-guest topology', () => {
    expect(valid({ topology: 'external-to-guest', conditions: { hotplug: {} } }).topology).toBe('external-to-guest');
  });
});

describe('external topologies', () => {
  it.each(['external-to-guest', 'guest-to-external'])('%s is a topology of its own (own hash)', (topology) => {
    expect(canonicalizeProfile(valid({ topology }))).not.toBe(canonicalizeProfile(valid()));
  });
});
