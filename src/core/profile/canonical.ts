// The canonical form of a profile: the text its content hash is taken of.
// It covers everything that changes what is measured or how it is judged, with
// defaults filled in and keys sorted, so that two YAML files that differ only in
// comments, key order, spelled-out defaults, `name` or `description` hash the
// same: a profile renamed by another team still matches its results.
import type { Profile } from './types.ts';

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

// Stable, key-sorted JSON of the measurement-relevant part of a validated profile.
export function canonicalizeProfile(profile: Profile): string {
  const { name: _name, description: _description, ...measured } = profile;
  return JSON.stringify(sortKeys(measured));
}

// The profile as a plain object in the documented key order (for export as YAML).
export function profileToDocument(profile: Profile): Record<string, unknown> {
  return {
    schema: profile.schema,
    name: profile.name,
    description: profile.description,
    topology: profile.topology,
    tests: profile.tests.map((t) => ({
      name: t.name,
      type: t.type,
      durationS: t.durationS,
      ...(t.messageBytes === undefined ? {} : { messageBytes: t.messageBytes }),
      ...(t.requestBytes === undefined ? {} : { requestBytes: t.requestBytes }),
      ...(t.responseBytes === undefined ? {} : { responseBytes: t.responseBytes }),
      nodelay: t.nodelay,
      metric: t.metric,
      higherIsBetter: t.higherIsBetter,
    })),
    guest: { ...profile.guest, pinning: [...profile.guest.pinning] },
    nic: { ...profile.nic, offloads: { ...profile.nic.offloads } },
    kernel: { fragment: [...profile.kernel.fragment] },
    sampling: { ...profile.sampling },
    minEffect: profile.minEffect,
    ...(profile.conditions === undefined ? {} : { conditions: structuredClone(profile.conditions) }),
  };
}
