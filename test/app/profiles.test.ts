import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { builtinProfiles, hashProfile, importProfile, listProfiles, loadProfile, parseProfileText, renderProfileYaml } from '../../src/app/profiles.ts';
import { UserError } from '../../src/core/errors.ts';

let dir: string;
const saved = process.env.KBISECT_CONFIG_DIR;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kbisect-profiles-'));
  process.env.KBISECT_CONFIG_DIR = join(dir, 'config');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  if (saved === undefined) delete process.env.KBISECT_CONFIG_DIR;
  else process.env.KBISECT_CONFIG_DIR = saved;
});

describe('built-in profiles', () => {
  it('ships at least the required set, each valid without warnings', async () => {
    expect(Object.keys(builtinProfiles)).toEqual(expect.arrayContaining([
      'tcp-rr',
      'tcp-stream-guest-to-guest',
      'tcp-stream-guest-to-host',
      'tcp-stream-host-to-guest',
      'tcp-stream-host-to-guest-vhost',
      'udp-rr-small',
    ]));
    const { profiles, problems } = await listProfiles();
    expect(problems).toEqual([]);
    for (const p of profiles) {
      expect(p.warnings, p.source).toEqual([]);
      expect(p.profile.name).toBe(p.source.replace('builtin:', ''));
      expect(p.profile.kernel.fragment).toContain('CONFIG_VIRTIO_NET=y');
      expect(p.profile.kernel.fragment).toContain('CONFIG_PVH=y');
    }
  });

  it('covers the three topologies and a vhost variant', async () => {
    const { profiles } = await listProfiles();
    expect(new Set(profiles.map((p) => p.profile.topology))).toEqual(new Set(['guest-to-host', 'host-to-guest', 'guest-to-guest']));
    expect(profiles.filter((p) => p.profile.nic.vhost).map((p) => p.profile.name)).toEqual(['tcp-stream-host-to-guest-vhost']);
  });

  it('has content hashes that do not change by accident', async () => {
    // a changed hash orphans every stored result of that profile: change these on purpose only
    const tcpRr = await loadProfile('tcp-rr');
    expect(tcpRr.hash).toBe(hashProfile(tcpRr.profile));
    expect(tcpRr.hash).toMatch(/^[0-9a-f]{64}$/);
    const again = parseProfileText(renderProfileYaml(tcpRr), 'round-trip.yaml', 'file');
    expect(again.hash).toBe(tcpRr.hash);
  });
});

describe('loadProfile', () => {
  it('names an unknown profile and lists the known ones', async () => {
    await expect(loadProfile('tcp-rrr')).rejects.toThrow(UserError);
    await expect(loadProfile('tcp-rrr')).rejects.toMatchObject({ hint: expect.stringContaining('tcp-rr') as unknown });
  });

  it('lists every problem of an invalid file in one UserError', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'schema: 1\nname: bad\ntopology: guest-to-host\ntests:\n  - type: TCP_RR\n    durationS: 5\nnic:\n  queues: two\n');
    const error = await loadProfile(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(
      `${file}: invalid profile (2 problems):\n  ${file}: nic.queues: expected an integer between 1 and 64, got "two"\n  ${file}: minEffect: required: expected a relative change such as 0.05 or "5%"`,
    );
  });

  it('reports YAML syntax errors and duplicate keys', async () => {
    const file = join(dir, 'dup.yaml');
    writeFileSync(file, 'schema: 1\nschema: 1\n');
    await expect(loadProfile(file)).rejects.toThrow(/not valid YAML/);
  });
});

describe('importProfile', () => {
  it('keeps a shared profile so that it loads by name with the same hash', async () => {
    const file = join(dir, 'team-rr.yaml');
    writeFileSync(file, readFileSync(new URL('../../profiles/tcp-rr.yaml', import.meta.url), 'utf8').replace('name: tcp-rr', 'name: team-rr'));
    const { loaded, savedAs } = await importProfile(file);
    expect(savedAs).toBe(join(dir, 'config', 'profiles', 'team-rr.yaml'));
    const byName = await loadProfile('team-rr');
    expect(byName.origin).toBe('imported');
    // renamed but measuring the same: the same hash as the built-in
    expect(byName.hash).toBe(loaded.hash);
    expect(byName.hash).toBe((await loadProfile('tcp-rr')).hash);
  });

  it('refuses to shadow a built-in name with a different profile', async () => {
    const file = join(dir, 'tcp-rr.yaml');
    writeFileSync(file, readFileSync(new URL('../../profiles/tcp-rr.yaml', import.meta.url), 'utf8').replace('durationS: 5', 'durationS: 6'));
    await expect(importProfile(file)).rejects.toThrow(/already named "tcp-rr"/);
  });
});
