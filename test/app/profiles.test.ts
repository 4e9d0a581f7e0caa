import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  builtinProfiles,
  hashProfile,
  importedProfilePath,
  importProfile,
  listProfiles,
  loadProfile,
  MAX_PROFILE_BYTES,
  parseProfileText,
  renderProfileYaml,
} from '../../src/app/profiles.ts';
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

  it('covers the topologies (the external-to-guest one among them) and a vhost variant', async () => {
    const { profiles } = await listProfiles();
    expect(new Set(profiles.map((p) => p.profile.topology))).toEqual(new Set(['guest-to-host', 'host-to-guest', 'guest-to-guest', 'external-to-guest']));
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

// tcp-rr's YAML under another name, optionally with one more change
function teamProfile(name: string, edit: (text: string) => string = (t) => t): string {
  const text = edit(readFileSync(new URL('../../profiles/tcp-rr.yaml', import.meta.url), 'utf8').replace('name: tcp-rr', `name: ${name}`));
  const file = join(dir, `${name}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

async function rejection(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

describe('files that are not profiles', () => {
  it.each([
    ['a passwd-like file', 'root:x:0:0:root:/root:/bin/bash\nhunter2:x:1:1::/home/hunter2:/bin/sh\n', 'got a string of 68 characters'],
    ['an env file', 'API_TOKEN=hunter2\nOTHER=1\n', 'got a string of 25 characters'],
    ['a list', '- hunter2\n- b\n', 'got a list of 2 items'],
    ['a number', '42\n', 'got a number'],
    ['an empty file', '', 'got an empty document'],
    ['a mapping of something else', 'password: hunter2\nuser: me\n', 'got a mapping without a `schema` key'],
    ['broken YAML', 'secret: "hunter2\n', 'not valid YAML: Missing closing "quote at line 2, column 1'],
  ])('says what was expected for %s without echoing its content', async (_what, content, got) => {
    const file = join(dir, 'not-a-profile');
    writeFileSync(file, content);
    const error = await rejection(loadProfile(file));
    expect(error.message).toContain(got);
    expect(error.message).not.toMatch(/hunter2|root:x/);
    if (!error.message.includes('YAML')) expect(error.message).toContain(`${file}: expected a kbisect profile`);
    expect(error.hint).toContain('kbisect profile show tcp-rr');
  });

  it('does not echo /etc/passwd', async () => {
    const error = await rejection(loadProfile('/etc/passwd'));
    expect(error.message).toMatch(/^\/etc\/passwd: expected a kbisect profile .* got a string of \d+ characters$/);
    expect(error.message).not.toContain('root');
  });

  it('keeps each problem of a profile short, whatever the file holds', async () => {
    const file = teamProfile('long', (t) => t.replace('topology: guest-to-host', `topology: ${'x'.repeat(5000)}`));
    const error = await rejection(loadProfile(file));
    const problems = error.message.split('\n').slice(1);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('topology: expected one of guest-to-host');
    expect(problems[0]!.length).toBeLessThanOrEqual(440);
    expect(problems[0]).toMatch(/\.\.\. \(\d+ characters\)$/);
  });
});

describe('profile names', () => {
  it.each(['../x', '../../etc/passwd', '/etc/passwd', 'a/b', '..', '.hidden', '', 'a\0b', 'UPPER', 'x'.repeat(65)])(
    'refuses %j where a name is expected (the imported-profile file stays in its directory)',
    (name) => {
      expect(() => importedProfilePath(name)).toThrow(UserError);
      expect(() => importedProfilePath(name)).toThrow(/expected a profile name: lowercase letters, digits, '\.', '_' and '-'/);
    },
  );

  it('maps a valid name into the profile directory', () => {
    expect(importedProfilePath('team-rr.v2')).toBe(join(dir, 'config', 'profiles', 'team-rr.v2.yaml'));
  });

  it('refuses a name with a NUL byte or an invalid name, before touching the file system', async () => {
    expect((await rejection(loadProfile('tcp-rr\0'))).message).toMatch(/NUL byte/);
    expect((await rejection(loadProfile('./x\0.yaml'))).message).toMatch(/NUL byte/);
    expect((await rejection(loadProfile('Tcp Rr'))).message).toMatch(/expected a profile name: .* or a path to a YAML file, got "Tcp Rr"/);
  });
});

describe('size cap', () => {
  it(`refuses a profile file over ${MAX_PROFILE_BYTES} bytes without parsing it`, async () => {
    const file = teamProfile('big', (t) => `${t}\n# ${'x'.repeat(300 * 1024)}\n`);
    const size = readFileSync(file).length;
    const error = await rejection(loadProfile(file));
    expect(error.message).toBe(`${file}: expected a profile of at most 262144 bytes (256 KiB), got ${size} bytes`);
    await expect(importProfile(file)).rejects.toThrow(/at most 262144 bytes/);
  });

  it('refuses oversized text from elsewhere (a session log) too', () => {
    expect(() => parseProfileText(`# ${'x'.repeat(MAX_PROFILE_BYTES)}`, 'session profile x', 'file')).toThrow(
      `session profile x: expected a profile of at most 262144 bytes (256 KiB), got ${MAX_PROFILE_BYTES + 2} bytes`,
    );
  });
});

describe('importing a profile twice', () => {
  it('is a no-op for identical content, and says so', async () => {
    const file = teamProfile('team-rr');
    const first = await importProfile(file);
    expect(first.status).toBe('imported');
    const again = await importProfile(teamProfile('team-rr'));
    expect(again).toMatchObject({ status: 'unchanged', savedAs: first.savedAs });
    expect(again.loaded.hash).toBe(first.loaded.hash);
  });

  it('refuses to replace different content under the same name, naming both hashes, unless forced', async () => {
    const first = await importProfile(teamProfile('team-rr'));
    const before = readFileSync(first.savedAs, 'utf8');
    const changed = teamProfile('team-rr', (t) => t.replace('durationS: 5', 'durationS: 7'));
    const error = await rejection(importProfile(changed));
    const newHash = (await loadProfile(changed)).hash;
    expect(newHash).not.toBe(first.loaded.hash);
    expect(error.message).toContain(`sha256 ${first.loaded.hash}`);
    expect(error.message).toContain(`sha256 ${newHash}`);
    expect(error.message).toContain('"team-rr" is already imported');
    expect(error.hint).toContain('--force');
    expect(readFileSync(first.savedAs, 'utf8')).toBe(before);

    const forced = await importProfile(changed, dir, { force: true });
    expect(forced).toMatchObject({ status: 'replaced', previousHash: first.loaded.hash });
    expect((await loadProfile('team-rr')).hash).toBe(newHash);
    // written atomically: no temporary file left beside it
    expect(readdirSync(join(dir, 'config', 'profiles'))).toEqual(['team-rr.yaml']);
  });

  it('updates a changed description without --force: the measurement (hash) is the same', async () => {
    const first = await importProfile(teamProfile('team-rr'));
    const reworded = teamProfile('team-rr', (t) => t.replace('TCP request/response', 'TCP ping-pong'));
    const second = await importProfile(reworded);
    expect(second).toMatchObject({ status: 'updated', previousHash: first.loaded.hash });
    expect(second.loaded.hash).toBe(first.loaded.hash);
    expect((await loadProfile('team-rr')).profile.description).toMatch(/^TCP ping-pong/);
  });
});
