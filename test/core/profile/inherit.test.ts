// Inheritance, pure: a file validated on top of its resolved parent, and the
// kernel fragment as edits (+ sets, - removes) of what is inherited. Two
// files that resolve alike hash alike.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalizeProfile,
  guestBaseFragment,
  validateProfile,
  validateProfileLayer,
  type Profile,
} from '../../../src/core/profile/index.ts';

const hash = (p: Profile | undefined): string => createHash('sha256').update(canonicalizeProfile(p as Profile)).digest('hex');

function parent(): Profile {
  const r = validateProfile(
    {
      schema: 1,
      name: 'parent',
      description: 'the parent',
      topology: 'guest-to-host',
      tests: [{ name: 'rr', type: 'TCP_RR', durationS: 5 }],
      guest: { vcpus: 2, pinning: [0, 1] },
      nic: { offloads: { csum: false } },
      sampling: { runsPerBoot: 4 },
      kernel: { fragment: ['+CONFIG_NET_SCHED=y'] },
      minEffect: '5%',
    },
    'parent.yaml',
  );
  expect(r.errors).toEqual([]);
  return r.profile as Profile;
}

function child(raw: Record<string, unknown>): ReturnType<typeof validateProfileLayer> {
  return validateProfileLayer({ schema: 1, name: 'child', extends: 'parent', ...raw }, parent(), 'child.yaml');
}

describe('validateProfileLayer', () => {
  it('inherits everything a file does not say, except its name and description', () => {
    const r = child({});
    expect(r.errors).toEqual([]);
    expect(r.profile).toEqual({ ...parent(), name: 'child', description: '' });
    // same measurement, same hash
    expect(hash(r.profile)).toBe(hash(parent()));
  });

  it('merges mappings key by key and replaces lists whole', () => {
    const r = child({ guest: { memoryMiB: 512 }, nic: { offloads: { gso: false } }, tests: [{ type: 'TCP_STREAM', durationS: 3 }] });
    expect(r.errors).toEqual([]);
    expect(r.profile?.guest).toEqual({ vcpus: 2, memoryMiB: 512, cmdline: '', pinning: [0, 1] });
    expect(r.profile?.nic.offloads).toEqual({ csum: false, gso: false });
    expect(r.profile?.tests.map((t) => t.name)).toEqual(['tcp-stream']);
    expect(r.profile?.sampling.runsPerBoot).toBe(4);
  });

  it('reads an empty section as "nothing changes"', () => {
    expect(child({ sampling: null, guest: null }).profile?.sampling.runsPerBoot).toBe(4);
  });

  it('checks cross-field rules on the result (pinning against the inherited vCPUs)', () => {
    expect(child({ guest: { vcpus: 3 } }).errors).toEqual(['child.yaml: guest.pinning: expected 3 host CPU numbers (3 vCPUs × 1 guest), got 2']);
  });

  it('refuses `extends` where no parent was resolved', () => {
    expect(validateProfile({ schema: 1, name: 'x', extends: 'tcp-rr' }, 'x.yaml').errors).toContain(
      'x.yaml: extends: the parent profile must be resolved first (a profile embedded in a session or log never extends another)',
    );
  });

  it('keeps a __proto__ key a key: refused as unknown, no prototype touched', () => {
    const raw = JSON.parse('{"schema":1,"name":"child","__proto__":{"polluted":true},"guest":{"__proto__":{"vcpus":9}}}') as Record<string, unknown>;
    const r = validateProfileLayer(raw, parent(), 'child.yaml');
    expect(r.errors).toEqual(expect.arrayContaining([expect.stringMatching(/child\.yaml: __proto__: unknown key/), expect.stringMatching(/guest\.__proto__: unknown key/)]));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('kernel.fragment edits', () => {
  const base = guestBaseFragment();

  it('starts from the guest base, which is the build stage own fragment', () => {
    expect(base).toHaveLength(59);
    expect(base).toContain('CONFIG_VIRTIO_NET=y');
    expect(parent().kernel.fragment).toEqual([...base, 'CONFIG_NET_SCHED=y']);
  });

  it('sets with + (or a plain line) and removes with -', () => {
    const r = child({ kernel: { fragment: ['+CONFIG_IPV6=y', 'CONFIG_BPF=y', '-CONFIG_NET_SCHED', '-CONFIG_PPS'] } });
    expect(r.errors).toEqual([]);
    const f = r.profile?.kernel.fragment ?? [];
    // a changed base option keeps its place; options outside the base follow, by name
    expect(f.indexOf('CONFIG_IPV6=y')).toBe(base.indexOf('CONFIG_IPV6=n'));
    expect(f).not.toContain('CONFIG_NET_SCHED=y');
    expect(f).not.toContain('CONFIG_PPS=n');
    expect(f.at(-1)).toBe('CONFIG_BPF=y');
    expect(r.warnings).toEqual([]);
  });

  it('resolves to the same list, and hash, whatever order the lines were written in', () => {
    const a = child({ kernel: { fragment: ['+CONFIG_B=y', '+CONFIG_A=y', '-CONFIG_PPS'] } }).profile;
    const b = child({ kernel: { fragment: ['-CONFIG_PPS', '+CONFIG_A=y', '+CONFIG_B=y'] } }).profile;
    expect(a?.kernel.fragment).toEqual(b?.kernel.fragment);
    expect(hash(a)).toBe(hash(b));
  });

  it('makes a file that spells the base out resolve like one that leaves it out', () => {
    const spelled = validateProfile({ schema: 1, name: 'x', topology: 'guest-to-host', tests: [{ type: 'TCP_RR', durationS: 5 }], minEffect: 0.05, kernel: { fragment: [...base].reverse() } }, 'x');
    const left = validateProfile({ schema: 1, name: 'x', topology: 'guest-to-host', tests: [{ type: 'TCP_RR', durationS: 5 }], minEffect: 0.05 }, 'x');
    expect(hash(spelled.profile)).toBe(hash(left.profile));
  });

  it.each([
    [['-CONFIG_PPS=n'], 'child.yaml: kernel.fragment[0]: expected -CONFIG_NAME (a removal names the option only, no value), got "-CONFIG_PPS=n"'],
    [['+VIRTIO=y'], 'child.yaml: kernel.fragment[0]: expected CONFIG_NAME=y, =n, ="string" or =number, got "VIRTIO=y"'],
    [['+CONFIG_A=y', '-CONFIG_A'], 'child.yaml: kernel.fragment[1]: CONFIG_A is removed here and set to y at kernel.fragment[0]'],
    [['-CONFIG_A', '+CONFIG_A=n'], 'child.yaml: kernel.fragment[1]: CONFIG_A is set to n here and removed at kernel.fragment[0]'],
    [[42], 'child.yaml: kernel.fragment[0]: expected CONFIG_X=value (or +CONFIG_X=value) to set an option, -CONFIG_X to remove one, got 42'],
    ['CONFIG_A=y', 'child.yaml: kernel.fragment: expected a list of lines: CONFIG_X=value (or +CONFIG_X=value) to set an option, -CONFIG_X to remove one, got "CONFIG_A=y"'],
    [['+CONFIG_CMDLINE="$(touch /tmp/x)"'], 'child.yaml: kernel.fragment[0]: '],
  ])('refuses %j with its path', (fragment, message) => {
    const r = child({ kernel: { fragment } });
    expect(r.profile).toBeUndefined();
    expect(r.errors.join('\n')).toContain(message);
  });

  it('warns about a removal of nothing, and about removing what the guest needs', () => {
    const r = child({ kernel: { fragment: ['-CONFIG_NOT_THERE', '-CONFIG_VIRTIO_NET', '+CONFIG_PCI=n'] } });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      'child.yaml: kernel.fragment: -CONFIG_NOT_THERE: not in the inherited fragment, nothing to remove',
      'child.yaml: kernel.fragment: CONFIG_PCI is turned off: the guest needs it to boot, talk to kbisect or reach the network',
      'child.yaml: kernel.fragment: CONFIG_VIRTIO_NET is removed: the guest needs it to boot, talk to kbisect or reach the network',
    ]);
  });
});
