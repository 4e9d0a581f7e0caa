// A profile's content hash files every result: a hash that changes by
// accident orphans them, a field left out of it mixes results of different
// measurements. Pins the shipped profiles' hashes, and checks that every field
// of the Profile type is hashed (the records below are typed by the Profile
// types, so a new field fails `tsc` until it gets a row here) and that
// changing each one changes the hash.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinProfiles, hashProfile, loadProfile } from '../../../src/app/profiles.ts';
import {
  canonicalizeProfile,
  nicOffloads,
  validateProfile,
  type NicOffload,
  type Profile,
  type ProfileGuest,
  type ProfileHotplug,
  type ProfileQos,
  type ProfileNic,
  type ProfileSampling,
  type ProfileTest,
} from '../../../src/core/profile/index.ts';

const profilesDir = join(import.meta.dirname, '..', '..', '..', 'profiles');

// Changing one of these orphans every stored result of that profile: change a
// pin only together with the profile, on purpose, and say so in the commit.
const PINNED: Readonly<Record<string, string>> = {
  'demo-guest-tx': '568adfd95311b5c2e76096a5285f83db8a217d2c3503d45565b22f357286ff5e',
  'demo-guest-tx-adaptive': '39bce716d53d4536b35937cea11ac7970209a05d74db2f4dd8e887d3a27d681f',
  'tcp-rr': 'd0ba89ad4aa5a0e405f02c12b6d54bd42881f757dece8aac70cbe48af3017209',
  'tcp-stream-guest-to-guest': 'd76a9a31f3b08a47ed0e2f676d16ca9fcd2bd5b724ca12a3f9afb3107c091c6d',
  'tcp-stream-guest-to-host': '011632a4ec996626df66ba9c0f86dc076af9f930f65a61049ac028424e2b1214',
  'tcp-stream-host-to-guest': '627a9edcc2a0f3b2475df44a86ba21e3d2387b70764dc2427eb5957e13185dad',
  'tcp-stream-host-to-guest-vhost': '4d8a3bb3a11afbe75f0faff6f2a2fadc50290956e8e69a664f6705ca0b102882',
  'udp-rr-small': '4011a01b55f54c644200b8821158592a30f301c3b2a289677ec7a7fdec7e88db',
  'vlan-macs': '637657e08fe8f9b962a7f5efada17ce0034c3322411441ed0a6b3c44b0be748c',
  migration: '279922c2ee6f8d8a7d88e9345551a0192ac2c199777add69670c09b62d76b3c0',
  hotplug: 'b145b49538ce91698772189c9ee8f36eb5dd3692c7e5ecd088be378300be0f41',
  'qos-quarter-cpu': '66dfa7824fc3c39850e787b1135260de6ae5bbd1a1bd0ad16eea9eeb28dc2404',
  'tcp-stream-external-to-guest': '3c345a02eff61ec799f903f3f59b29586321aad91f2da21c10ad7902cb02fcbd',
  matrix: '3372d34246f3b83cb23cef1482667af3d7f1ac962ebbf85a07780bfb53ef21b1',
};

describe('shipped profiles', () => {
  it('are all pinned (every profiles/*.yaml, every built-in)', () => {
    const files = readdirSync(profilesDir).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
    expect(Object.keys(PINNED).sort()).toEqual(files);
    expect(Object.keys(builtinProfiles).sort()).toEqual(files);
  });

  it.each(Object.entries(PINNED))('%s hashes to its pinned value', async (name, hash) => {
    const loaded = await loadProfile(name);
    expect(loaded.hash).toBe(hash);
    // the hash is sha256 of the canonical form, nothing else
    expect(createHash('sha256').update(canonicalizeProfile(loaded.profile)).digest('hex')).toBe(hash);
    // the file on disk is what is bundled
    expect(builtinProfiles[name]).toBe(readFileSync(join(profilesDir, `${name}.yaml`), 'utf8'));
  });
});

// A profile in which every optional field is set, so that every field is in play.
function maximal(): Profile {
  const r = validateProfile(
    {
      schema: 1,
      name: 'all-fields',
      description: 'every field set',
      // conditions (hotplug, migration) need netperf outside the guest
      topology: 'host-to-guest',
      tests: [
        { name: 'rr', type: 'TCP_RR', durationS: 5, requestBytes: 64, responseBytes: 128, nodelay: true, metric: 'mean-latency' },
        { name: 'stream', type: 'TCP_STREAM', durationS: 10, messageBytes: 1400 },
      ],
      guest: { vcpus: 2, memoryMiB: 512, cmdline: 'mitigations=off', pinning: [2, 3] },
      nic: { vhost: true, queues: 2, mrgRxbuf: false, offloads: { csum: false, host_tso4: true } },
      kernel: { fragment: ['CONFIG_VIRTIO_NET=y', 'CONFIG_PVH=y'] },
      sampling: { runsPerBoot: 4, warmupRuns: 1, minBoots: 3, maxBoots: 8, referenceEvery: 2 },
      minEffect: 0.05,
      conditions: { qos: { cpuQuotaPercent: 25, tapRateMbit: 500 }, hotplug: { every: 2 } },
    },
    'all-fields.yaml',
  );
  expect(r.errors).toEqual([]);
  return r.profile as Profile;
}

type Mutation<T> = (value: T) => void;
type Row = 'excluded' | 'nested';

// One row per key of each type: tsc requires every key, so a new field cannot be forgotten.
const TOP: Record<keyof Profile, Mutation<Profile> | Row> = {
  schema: (p) => {
    (p as { schema: number }).schema = 2;
  },
  // documented: a profile renamed or re-described by another team still matches its results
  name: 'excluded',
  description: 'excluded',
  topology: (p) => {
    p.topology = 'external-to-guest';
  },
  tests: 'nested',
  guest: 'nested',
  nic: 'nested',
  kernel: 'nested',
  sampling: 'nested',
  minEffect: (p) => {
    p.minEffect = 0.1;
  },
  conditions: 'nested',
};

const TEST: Record<keyof ProfileTest, Mutation<ProfileTest>> = {
  name: (t) => void (t.name = 'renamed'),
  type: (t) => void (t.type = 'TCP_CRR'),
  durationS: (t) => void (t.durationS += 1),
  messageBytes: (t) => void (t.messageBytes = (t.messageBytes ?? 1400) + 1),
  requestBytes: (t) => void (t.requestBytes = (t.requestBytes ?? 1) + 1),
  responseBytes: (t) => void (t.responseBytes = (t.responseBytes ?? 1) + 1),
  nodelay: (t) => void (t.nodelay = !t.nodelay),
  metric: (t) => void (t.metric = t.metric === 'p99-latency' ? 'mean-latency' : 'p99-latency'),
  higherIsBetter: (t) => void (t.higherIsBetter = !t.higherIsBetter),
};

const GUEST: Record<keyof ProfileGuest, Mutation<ProfileGuest>> = {
  vcpus: (g) => void (g.vcpus += 1),
  memoryMiB: (g) => void (g.memoryMiB *= 2),
  cmdline: (g) => void (g.cmdline = `${g.cmdline} quiet`),
  pinning: (g) => void (g.pinning = [...g.pinning].reverse()),
};

const NIC: Record<keyof ProfileNic, Mutation<ProfileNic> | Row> = {
  vhost: (n) => void (n.vhost = !n.vhost),
  queues: (n) => void (n.queues += 1),
  mrgRxbuf: (n) => void (n.mrgRxbuf = !n.mrgRxbuf),
  offloads: 'nested',
  vlans: (n) => void (n.vlans = [...(n.vlans ?? []), 42]),
  extraMacs: (n) => void (n.extraMacs = (n.extraMacs ?? 0) + 1),
};

const QOS: Record<keyof ProfileQos, Mutation<ProfileQos>> = {
  cpuQuotaPercent: (q) => void (q.cpuQuotaPercent = (q.cpuQuotaPercent ?? 100) + 1),
  tapRateMbit: (q) => void (q.tapRateMbit = (q.tapRateMbit ?? 100) + 1),
};

const HOTPLUG: Record<keyof ProfileHotplug, Mutation<ProfileHotplug>> = {
  every: (h) => void (h.every += 1),
};

const KERNEL: Record<keyof Profile['kernel'], Mutation<Profile['kernel']>> = {
  fragment: (k) => void (k.fragment = [...k.fragment, 'CONFIG_NET_SCHED=y']),
};

const SAMPLING: Record<keyof ProfileSampling, Mutation<ProfileSampling>> = {
  runsPerBoot: (s) => void (s.runsPerBoot += 1),
  warmupRuns: (s) => void (s.warmupRuns += 1),
  minBoots: (s) => void (s.minBoots += 1),
  maxBoots: (s) => void (s.maxBoots += 1),
  referenceEvery: (s) => void (s.referenceEvery += 1),
  adaptive: (s) => {
    if (s.adaptive === true) delete s.adaptive;
    else s.adaptive = true;
  },
};

// every offload, switched the other way (set to false where it is unset or true)
const OFFLOADS: Record<NicOffload, Mutation<ProfileNic['offloads']>> = Object.fromEntries(
  nicOffloads.map((o) => [o, (offloads: ProfileNic['offloads']) => void (offloads[o] = offloads[o] === false)]),
) as Record<NicOffload, Mutation<ProfileNic['offloads']>>;

interface Case {
  path: string;
  mutate: Mutation<Profile>;
}

function rows<T>(prefix: string, table: Record<string, Mutation<T> | Row>, pick: (p: Profile) => T[]): Case[] {
  return Object.entries(table).flatMap(([key, m]) =>
    typeof m === 'function' ? [{ path: `${prefix}${key}`, mutate: (p: Profile) => pick(p).forEach((v) => m(v)) }] : [],
  );
}

const CASES: Case[] = [
  ...rows<Profile>('', TOP, (p) => [p]),
  // each test of the list, one at a time
  ...[0, 1].flatMap((i) => rows<ProfileTest>(`tests[${i}].`, TEST, (p) => [p.tests[i]!])),
  ...rows<ProfileGuest>('guest.', GUEST, (p) => [p.guest]),
  ...rows<ProfileNic>('nic.', NIC, (p) => [p.nic]),
  ...rows<ProfileNic['offloads']>('nic.offloads.', OFFLOADS, (p) => [p.nic.offloads]),
  ...rows<Profile['kernel']>('kernel.', KERNEL, (p) => [p.kernel]),
  ...rows<ProfileSampling>('sampling.', SAMPLING, (p) => [p.sampling]),
  ...rows<ProfileQos>('conditions.qos.', QOS, (p) => [p.conditions!.qos!]),
  ...rows<ProfileHotplug>('conditions.hotplug.', HOTPLUG, (p) => [p.conditions!.hotplug!]),
];

// Every leaf of a value as a path: tests[0].durationS, nic.offloads.csum, ...
function leafPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) {
    if (value.length === 0 || typeof value[0] !== 'object') return [prefix];
    return value.flatMap((v, i) => leafPaths(v, `${prefix}[${i}]`));
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
  }
  return [prefix];
}

describe('the content hash', () => {
  const base = maximal();
  const baseHash = hashProfile(base);

  it.each(CASES.map((c) => [c.path, c] as const))('changes when %s changes', (_path, c) => {
    const changed = structuredClone(base);
    c.mutate(changed);
    expect(changed).not.toEqual(base);
    expect(hashProfile(changed)).not.toBe(baseHash);
  });

  it('sampling.adaptive: false is the default and hashes like a profile without it; adaptive: true does not', () => {
    const doc = (adaptive?: unknown) => ({
      schema: 1,
      name: 'a',
      topology: 'guest-to-host',
      tests: [{ type: 'TCP_STREAM', durationS: 5 }],
      sampling: { runsPerBoot: 5, ...(adaptive === undefined ? {} : { adaptive }) },
      minEffect: 0.05,
    });
    const absent = validateProfile(doc(), 'a.yaml').profile as Profile;
    const off = validateProfile(doc(false), 'a.yaml').profile as Profile;
    const on = validateProfile(doc(true), 'a.yaml').profile as Profile;
    expect(off.sampling).toEqual(absent.sampling);
    expect('adaptive' in off.sampling).toBe(false);
    expect(hashProfile(off)).toBe(hashProfile(absent));
    expect(on.sampling.adaptive).toBe(true);
    expect(hashProfile(on)).not.toBe(hashProfile(absent));
    expect(validateProfile(doc('yes'), 'a.yaml').errors.join('\n')).toMatch(/sampling\.adaptive: expected true or false, got "yes"/);
  });

  it('ignores name and description (and only those)', () => {
    const renamed = { ...structuredClone(base), name: 'other', description: 'another team' };
    expect(hashProfile(renamed)).toBe(baseHash);
    const excluded = Object.entries(TOP).filter(([, m]) => m === 'excluded').map(([k]) => k);
    expect(excluded.sort()).toEqual(['description', 'name']);
  });

  it('has a mutation for every leaf of a profile, and every leaf except name and description in its canonical form', () => {
    const leaves = leafPaths(base).filter((p) => p !== 'name' && p !== 'description');
    const mutated = new Set(CASES.map((c) => c.path));
    // offloads: all of QEMU's switches are mutated, the profile sets two of them
    expect(leaves.filter((p) => !mutated.has(p))).toEqual([]);
    expect(leafPaths(JSON.parse(canonicalizeProfile(base))).sort()).toEqual(leaves.sort());
  });
});
