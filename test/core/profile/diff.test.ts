// `profile diff`, pure: tests matched by name, kernel options by option,
// name and description apart (they are not hashed).
import { describe, expect, it } from 'vitest';
import { diffProfiles, formatProfileDiff, validateProfile, validateProfileLayer, type Profile } from '../../../src/core/profile/index.ts';

function profile(raw: Record<string, unknown>): Profile {
  const r = validateProfile({ schema: 1, name: 'a', topology: 'guest-to-host', tests: [{ name: 'rr', type: 'TCP_RR', durationS: 5 }], minEffect: 0.05, ...raw }, 'x');
  expect(r.errors).toEqual([]);
  return r.profile as Profile;
}

describe('diffProfiles', () => {
  it('finds nothing between a profile and a renamed copy, except the labels', () => {
    const a = profile({});
    const d = diffProfiles(a, { ...a, name: 'b', description: 'other team' });
    expect(d).toEqual({ measured: [], labels: [{ path: 'name', a: 'a', b: 'b' }, { path: 'description', a: '', b: 'other team' }], sameContent: true });
  });

  it('names each changed field, test and kernel option', () => {
    const a = profile({ nic: { offloads: { csum: false } } });
    const b = validateProfileLayer(
      { schema: 1, name: 'a', tests: [{ name: 'rr', type: 'TCP_RR', durationS: 10 }, { name: 's', type: 'TCP_STREAM', durationS: 5 }], nic: { offloads: { csum: true, gso: false } }, kernel: { fragment: ['-CONFIG_IPV6', '+CONFIG_NET_SCHED=y', '+CONFIG_PPS=y'] } },
      a,
      'b',
    ).profile as Profile;
    const d = diffProfiles(a, b);
    expect(d.sameContent).toBe(false);
    expect(d.measured).toEqual([
      { path: 'nic.offloads.csum', a: false, b: true },
      { path: 'nic.offloads.gso', b: false },
      { path: 'tests[rr].durationS', a: 5, b: 10 },
      { path: 'tests[s]', b: b.tests[1] },
      { path: 'kernel.fragment[CONFIG_IPV6]', a: 'n' },
      { path: 'kernel.fragment[CONFIG_PPS]', a: 'n', b: 'y' },
      { path: 'kernel.fragment[CONFIG_NET_SCHED]', b: 'y' },
    ]);
    expect(formatProfileDiff({ ...d, measured: d.measured.filter((x) => x.path !== 'tests[s]') })).toEqual([
      '  nic.offloads.csum                  false → true',
      '  nic.offloads.gso                   (not set) → false',
      '  tests[rr].durationS                5 → 10',
      '  kernel.fragment[CONFIG_IPV6]       n → (not set)',
      '  kernel.fragment[CONFIG_PPS]        n → y',
      '  kernel.fragment[CONFIG_NET_SCHED]  (not set) → y',
    ]);
  });

  it('reports the order of the same tests, which changes what runs first in a boot', () => {
    const a = profile({ tests: [{ name: 'x', type: 'TCP_RR', durationS: 5 }, { name: 'y', type: 'TCP_RR', durationS: 5 }] });
    const b = profile({ tests: [{ name: 'y', type: 'TCP_RR', durationS: 5 }, { name: 'x', type: 'TCP_RR', durationS: 5 }] });
    expect(diffProfiles(a, b).measured).toEqual([{ path: 'tests (order)', a: ['x', 'y'], b: ['y', 'x'] }]);
  });
});
