// The manifest and the members of a bundle: every change to a member, to the
// list or to the set is refused with a message naming what changed; only the
// names a bundle holds are read; measured hosts and kernels come from the log.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  agreeWithinRounding,
  assembleMembers,
  isSameVerdict,
  kernelConfigMember,
  listMeasured,
  parseRecordedVerdict,
  readMembers,
  type BundleParts,
  type KernelRecord,
} from '../../../src/core/bundle/contents.ts';
import { buildManifest, encodeManifest, listingOf, MANIFEST_NAME, verifyManifest, type Manifest } from '../../../src/core/bundle/manifest.ts';
import type { TarMember } from '../../../src/core/bundle/tar.ts';
import { UserError } from '../../../src/core/errors.ts';
import type { LoggedEvent } from '../../../src/core/session.ts';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const IMG = 'c'.repeat(64);

const kernel: KernelRecord = {
  commit: A,
  imageHash: IMG,
  boots: 2,
  build: { key: 'aaaaaaaaaaaa-0123456789abcdef', configHash: 'h', toolchainId: 'gcc-12', toolchainVersion: 'gcc 12.2', builtAt: '2026-01-01T00:00:00Z', durationMs: 1000 },
  config: kernelConfigMember(IMG),
  missing: null,
};

const parts: BundleParts = {
  readme: 'readme\n',
  sessionText: '{"kind":"session"}\n',
  eventsText: '',
  profileYaml: 'schema: 1\n',
  hosts: [{ id: '0123456789abcdef', accel: 'tcg', boots: 2, facts: null }],
  kernels: [kernel, { commit: B, imageHash: 'd'.repeat(64), boots: 1, build: null, config: null, missing: 'evicted' }],
  configs: new Map([[IMG, text('CONFIG_VIRTIO_NET=y\n')]]),
  reports: { text: 'report\n', json: '{"outcome":"culprit","culprit":{"sha":"' + B + '"},"range":null}\n', html: '<html></html>' },
};

function bundleOf(members: TarMember[], manifest?: Manifest): TarMember[] {
  const m = manifest ?? buildManifest(members, { createdAt: '2026-01-02T03:04:05.000Z', kbisectVersion: '0.1.0' }, sha256);
  return [{ name: MANIFEST_NAME, data: encodeManifest(m) }, ...members];
}

function refusal(members: TarMember[]): string {
  try {
    verifyManifest(members, sha256, 'b.tar.gz', 'hint');
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as UserError).message;
  }
  throw new Error('accepted');
}

describe('manifest', () => {
  const members = assembleMembers(parts);

  it('lists every member with its size and sha256, and the set as one sha256 of the sorted listing', () => {
    const [first, ...rest] = bundleOf(members);
    const manifest = JSON.parse(new TextDecoder().decode(first?.data)) as Manifest;
    expect(manifest).toMatchObject({ format: 'kbisect-evidence-bundle', version: 1, createdAt: '2026-01-02T03:04:05.000Z', kbisectVersion: '0.1.0' });
    expect(manifest.members.map((m) => m.name)).toEqual(rest.map((m) => m.name));
    expect(manifest.members.map((m) => m.name)).toEqual([
      'README.txt',
      'session.json',
      'events.jsonl',
      'profile.yaml',
      'hosts.json',
      'kernels.json',
      `kernels/${IMG}/config`,
      'report.txt',
      'report.json',
      'report.html',
    ]);
    expect(manifest.members[1]).toEqual({ name: 'session.json', bytes: 19, sha256: sha256(text('{"kind":"session"}\n')) });
    expect(listingOf(manifest.members).split('\n')[0]).toMatch(/^[0-9a-f]{64} {2}\d+ {2}README\.txt$/);
    expect(manifest.setSha256).toBe(sha256(text(listingOf(manifest.members))));
    // the set hash does not depend on the order members were listed or archived in
    expect(listingOf([...manifest.members].reverse())).toBe(listingOf(manifest.members));
    const verified = verifyManifest(bundleOf(members), sha256, 'b.tar.gz');
    expect([...verified.members.keys()]).toEqual(rest.map((m) => m.name));
  });

  it.each<[string, (m: TarMember[]) => TarMember[], RegExp]>([
    ['a changed byte', (m) => m.map((x) => (x.name === 'session.json' ? { ...x, data: text('{"kind":"sessioN"}\n') } : x)), /member session.json does not match its checksum \(sha256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}\): it was altered/],
    ['two members swapped', (m) => m.map((x) => (x.name === 'report.txt' ? { ...x, name: 'report.html' } : x.name === 'report.html' ? { ...x, name: 'report.txt' } : x)), /member report.txt is 13 bytes, the manifest says 7: it was altered or cut short/],
    ['a member missing', (m) => m.filter((x) => x.name !== 'events.jsonl'), /member events.jsonl is listed in the manifest but missing/],
    ['a member added', (m) => [...m, { name: 'run.sh', data: text('rm -rf ~') }], /member run.sh is not in the manifest: something was added/],
    ['no manifest', (m) => m.filter((x) => x.name !== MANIFEST_NAME), /expected a manifest.json member, got none: not a kbisect evidence bundle/],
    ['a manifest that is not JSON', (m) => [{ name: MANIFEST_NAME, data: text('{') }, ...m.slice(1)], /manifest.json: expected JSON/],
  ])('%s is refused', (_what, change, message) => {
    expect(refusal(change(bundleOf(members)))).toMatch(message);
  });

  it('a member list edited to match an altered member, without the set hash, is refused', () => {
    const altered = members.map((x) => (x.name === 'report.txt' ? { ...x, data: text('innocent\n') } : x));
    const honest = buildManifest(members, { createdAt: '2026-01-02T03:04:05.000Z', kbisectVersion: '0.1.0' }, sha256);
    const edited: Manifest = { ...honest, members: honest.members.map((e) => (e.name === 'report.txt' ? { ...e, bytes: 9, sha256: sha256(text('innocent\n')) } : e)) };
    expect(refusal(bundleOf(altered, edited))).toMatch(/its member list hashes to [0-9a-f]{64}, not to the [0-9a-f]{64} it states: the manifest was altered/);
  });

  it('a newer format is named as such; unknown fields and bad sums are schema problems', () => {
    const honest = buildManifest(members, { createdAt: '2026-01-02T03:04:05.000Z', kbisectVersion: '0.1.0' }, sha256);
    const newer = [{ name: MANIFEST_NAME, data: text(JSON.stringify({ ...honest, version: 2 })) }, ...members];
    expect(() => verifyManifest(newer, sha256, 'b.tar.gz')).toThrow(/bundle format version 2; this kbisect reads version 1/);
    const extra = [{ name: MANIFEST_NAME, data: text(JSON.stringify({ ...honest, run: 'sh' })) }, ...members];
    expect(refusal(extra)).toMatch(/manifest.json: .*run/);
    const badSum = [{ name: MANIFEST_NAME, data: text(JSON.stringify({ ...honest, setSha256: 'xyz' })) }, ...members];
    expect(refusal(badSum)).toMatch(/setSha256: expected a sha256/);
  });
});

describe('assembleMembers', () => {
  it('holds one .config for two commits that built the same image', () => {
    const twin: KernelRecord = { ...kernel, commit: B };
    const members = assembleMembers({ ...parts, kernels: [kernel, twin] });
    expect(members.filter((m) => m.name === `kernels/${IMG}/config`)).toHaveLength(1);
    const t = readMembers(new Map(members.map((m) => [m.name, m.data])), 'b.tar.gz');
    expect(t.kernels.map((k) => [k.commit, k.config])).toEqual([
      [A, `kernels/${IMG}/config`],
      [B, `kernels/${IMG}/config`],
    ]);
  });
});

describe('readMembers', () => {
  const verified = (members: TarMember[]) => new Map(members.map((m) => [m.name, m.data]));
  const refused = (members: TarMember[]): string => {
    try {
      readMembers(verified(members), 'b.tar.gz');
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('accepted');
  };

  it('reads the members back as text and checked records', () => {
    const t = readMembers(verified(assembleMembers(parts)), 'b.tar.gz');
    expect(t.hosts).toEqual(parts.hosts);
    expect(t.kernels).toEqual(parts.kernels);
    expect(t.configs.get(IMG)).toBe('CONFIG_VIRTIO_NET=y\n');
    expect(t.profileYaml).toBe('schema: 1\n');
    expect(t.reports.text).toBe('report\n');
  });

  it.each<[string, (m: TarMember[]) => TarMember[], RegExp]>([
    ['an unknown member', (m) => [...m, { name: 'hooks/post-read', data: text('sh') }], /member hooks\/post-read is not one a kbisect bundle holds/],
    ['a config no kernel names', (m) => [...m, { name: `kernels/${'e'.repeat(64)}/config`, data: text('') }], /belongs to no kernel in kernels.json/],
    ['a kernel naming the config of another', (m) => m.map((x) => (x.name === 'kernels.json' ? { ...x, data: text(JSON.stringify([{ ...kernel, config: `kernels/${'e'.repeat(64)}/config` }])) } : x)), /names the .config of another/],
    ['a host record with a field too many', (m) => m.map((x) => (x.name === 'hosts.json' ? { ...x, data: text('[{"id":"x","accel":"tcg","boots":1,"facts":null,"cmd":"sh"}]') } : x)), /member hosts.json: .*cmd/],
    ['not UTF-8', (m) => m.map((x) => (x.name === 'report.txt' ? { ...x, data: new Uint8Array([0xff, 0xfe]) } : x)), /member report.txt: expected UTF-8 text/],
    ['a missing report', (m) => m.filter((x) => x.name !== 'report.html'), /expected a member report.html, got none/],
  ])('%s is refused', (_what, change, message) => {
    expect(refused(change(assembleMembers(parts)))).toMatch(message);
  });
});

describe('listMeasured and verdicts', () => {
  it('lists the hosts and kernel images the boots name, counting boots, in order of appearance', () => {
    const boot = (commit: string, imageHash: string, host: string): LoggedEvent => ({
      kind: 'event',
      at: '2026-01-01T00:00:00Z',
      event: { kind: 'boot', commit, runs: [1] },
      detail: { source: 'boot', imageHash, bootIndex: 0, host, accel: 'tcg' },
    });
    const events: LoggedEvent[] = [
      boot(A, IMG, 'h1'),
      boot(B, 'd'.repeat(64), 'h1'),
      boot(A, IMG, 'h2'),
      { kind: 'event', at: '2026-01-01T00:00:00Z', event: { kind: 'skip', commit: B, reason: 'x' }, detail: { source: 'hand' } },
    ];
    expect(listMeasured(events)).toEqual({
      hosts: [
        { id: 'h1', accel: 'tcg', boots: 2 },
        { id: 'h2', accel: 'tcg', boots: 1 },
      ],
      kernels: [
        { commit: A, imageHash: IMG, boots: 2 },
        { commit: B, imageHash: 'd'.repeat(64), boots: 1 },
      ],
    });
  });

  it('reads the verdict report.json records, and compares verdicts by outcome, culprit and range', () => {
    const v = parseRecordedVerdict(parts.reports.json);
    expect(v).toEqual({ outcome: 'culprit', culprit: B, range: null });
    expect(parseRecordedVerdict('nope')).toBeNull();
    expect(isSameVerdict(v!, { outcome: 'culprit', culprit: B, range: null })).toBe(true);
    expect(isSameVerdict(v!, { outcome: 'culprit', culprit: A, range: null })).toBe(false);
    expect(isSameVerdict(v!, { outcome: 'inconclusive', culprit: null, range: null })).toBe(false);
  });
});

describe('agreeWithinRounding', () => {
  it.each([
    [{ a: [0.8030615636262314, 'x'], b: null }, { a: [0.8030615636262315, 'x'], b: null }, true],
    [{ ratio: 0.8 }, { ratio: 0.8 * 1.01 }, false],
    [{ a: 1 }, { a: 1, b: 2 }, false],
    [{ a: 1, b: 2 }, { a: 1, c: 2 }, false],
    [[1, 2], [1, 2, 3], false],
    ['culprit', 'range', false],
    [0, 1e-300, false],
  ])('%j ~ %j: %s', (a, b, expected) => {
    expect(agreeWithinRounding(a, b)).toBe(expected);
  });
});
