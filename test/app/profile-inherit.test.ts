// Profiles that extend others, loaded from real files: the chain, the hash of
// the resolved profile, siblings, cycles and missing parents named with their
// chain, pins on a parent, and the shipped profiles resolved from each other.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readKernelConfigSpec, resolveKernelConfig } from '../../src/app/build-config.ts';
import { builtinProfiles, loadProfile, parseProfileText, renderProfileYaml } from '../../src/app/profiles.ts';
import { UserError } from '../../src/core/errors.ts';
import { guestBaseFragment, MAX_EXTENDS_DEPTH } from '../../src/core/profile/index.ts';
import { useTempDir } from '../helpers/temp-dir.ts';

const tmp = useTempDir('profile-inherit', { env: { KBISECT_CONFIG_DIR: 'config' } });

function write(name: string, text: string): string {
  const path = join(tmp.path, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

async function rejection(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

describe('extends', () => {
  it('resolves a small file on top of a built-in profile; the hash covers the resolved profile', async () => {
    const file = write('rr-64.yaml', 'schema: 1\nname: rr-64\nextends: tcp-rr\ntests: [{name: rr, type: TCP_RR, durationS: 5, requestBytes: 64, responseBytes: 64}]\n');
    const loaded = await loadProfile(file);
    expect(loaded.profile.tests[0]).toMatchObject({ requestBytes: 64, responseBytes: 64 });
    expect(loaded.chain.map((l) => [l.name, l.origin])).toEqual([
      [file, 'file'],
      ['tcp-rr', 'builtin'],
    ]);
    // a file that spells the same profile out in full hashes the same
    const flat = write('flat.yaml', renderProfileYaml(loaded));
    expect((await loadProfile(flat)).hash).toBe(loaded.hash);
    // and one that only renames its parent is its parent, measurement-wise
    const renamed = write('renamed.yaml', 'schema: 1\nname: renamed\nextends: tcp-rr\n');
    expect((await loadProfile(renamed)).hash).toBe((await loadProfile('tcp-rr')).hash);
  });

  it('prints the resolved form with the chain it came from', async () => {
    const loaded = await loadProfile('tcp-stream-host-to-guest-vhost');
    const text = renderProfileYaml(loaded);
    expect(text.split('\n').slice(0, 2)).toEqual([
      `# kbisect profile tcp-stream-host-to-guest-vhost, sha256 ${loaded.hash}`,
      '# resolved from: tcp-stream-host-to-guest-vhost (builtin) ← tcp-stream-host-to-guest (builtin) ← tcp-stream-guest-to-host (builtin) ← kbisect guest base',
    ]);
    expect(text).toContain('  vhost: true');
    expect(text).toContain('    - CONFIG_VIRTIO_NET=y');
    // the rendered form stands alone: a session re-reads it to the same hash
    expect(parseProfileText(text, 'session', 'file').hash).toBe(loaded.hash);
  });

  it('ships small profiles: each says only what makes it different', () => {
    for (const [name, text] of Object.entries(builtinProfiles)) {
      const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
      expect(lines.length, name).toBeLessThanOrEqual(18);
      // kernel options only where the profile needs more than the guest base (hotplug: pciehp), never restating it
      const base = new Set(guestBaseFragment().map((l) => l.slice(0, l.indexOf('='))));
      for (const option of text.match(/CONFIG_[A-Z0-9_]+/g) ?? []) expect(base.has(option), `${name}: ${option}`).toBe(false);
    }
  });

  it('finds ./NAME beside the file that names it', async () => {
    write('team/base.yaml', 'schema: 1\nname: base\nextends: tcp-rr\nguest: {memoryMiB: 512}\n');
    const file = write('team/child.yaml', 'schema: 1\nname: child\nextends: ./base\nnic: {queues: 1}\n');
    const loaded = await loadProfile(file);
    expect(loaded.profile.guest.memoryMiB).toBe(512);
    expect(loaded.chain.map((l) => l.name)).toEqual([file, join(tmp.path, 'team', 'base.yaml'), 'tcp-rr']);
  });

  it('names the chain when a parent is missing', async () => {
    const file = write('a.yaml', 'schema: 1\nname: a\nextends: ./b\n');
    write('b.yaml', 'schema: 1\nname: b\nextends: no-such-profile\n');
    const error = await rejection(loadProfile(file));
    expect(error.message).toBe(`${join(tmp.path, 'b.yaml')}: extends: no profile named "no-such-profile" (chain: ${file} → ${join(tmp.path, 'b.yaml')} → no-such-profile)`);
    expect(error.hint).toContain('tcp-rr');
  });

  it('names a source that is not there', async () => {
    const error = await rejection(loadProfile(write('a.yaml', 'schema: 1\nname: a\nextends: perf/tcp-rr\n')));
    expect(error.message).toContain('extends: no profile named "perf/tcp-rr"');
    expect(error.hint).toContain('kbisect profile source add perf');
  });

  it('refuses a cycle, naming it', async () => {
    const a = write('c/a.yaml', 'schema: 1\nname: a\nextends: ./b\n');
    const b = join(tmp.path, 'c', 'b.yaml');
    write('c/b.yaml', 'schema: 1\nname: b\nextends: ./a\n');
    const error = await rejection(loadProfile(a));
    expect(error.message).toBe(`${b}: extends: inheritance cycle ${a} → ${b} → ${a}`);
    const self = write('c/self.yaml', 'schema: 1\nname: self\nextends: ./self\n');
    expect((await rejection(loadProfile(self))).message).toContain(`inheritance cycle ${self} → ${self}`);
  });

  it(`refuses a chain longer than ${MAX_EXTENDS_DEPTH}`, async () => {
    for (let i = 0; i < MAX_EXTENDS_DEPTH + 2; i++) write(`d/p${i}.yaml`, `schema: 1\nname: p${i}\nextends: ${i === MAX_EXTENDS_DEPTH + 1 ? 'tcp-rr' : `./p${i + 1}`}\n`);
    const error = await rejection(loadProfile(join(tmp.path, 'd', 'p0.yaml')));
    expect(error.message).toMatch(new RegExp(`expected at most ${MAX_EXTENDS_DEPTH} profiles in a chain`));
  });

  it('reports a problem of the parent with the parent file, and of the child with the child file', async () => {
    write('e/bad-parent.yaml', 'schema: 1\nname: bad-parent\nextends: tcp-rr\nnic: {queues: two}\n');
    const child = write('e/child.yaml', 'schema: 1\nname: child\nextends: ./bad-parent\n');
    expect((await rejection(loadProfile(child))).message).toMatch(/bad-parent\.yaml: invalid profile \(1 problem\):\n .*bad-parent\.yaml: nic\.queues: expected an integer/);
    const bad = write('e/bad-child.yaml', 'schema: 1\nname: bad-child\nextends: tcp-rr\nguest: {vcpus: 0}\nextends2: 1\n');
    expect((await rejection(loadProfile(bad))).message).toMatch(/bad-child\.yaml: extends2: unknown key[\s\S]*bad-child\.yaml: guest\.vcpus/);
  });

  it('checks a pin on the parent', async () => {
    const hash = (await loadProfile('tcp-rr')).hash;
    expect((await loadProfile(write('p/ok.yaml', `schema: 1\nname: ok\nextends: tcp-rr@${hash.slice(0, 8)}\n`))).hash).toBe(hash);
    const error = await rejection(loadProfile(write('p/stale.yaml', 'schema: 1\nname: stale\nextends: tcp-rr@00000000\n')));
    expect(error.message).toContain(`extends: tcp-rr@00000000 is pinned, but tcp-rr now resolves to sha256 ${hash}`);
    expect(error.hint).toContain('kbisect profile diff tcp-rr@00000000 tcp-rr');
  });

  it('refuses `extends` in a profile that must stand alone (a session, a log)', () => {
    expect(() => parseProfileText('schema: 1\nname: x\nextends: tcp-rr\n', 'session profile x', 'file')).toThrow(
      'session profile x: extends: expected a resolved profile here, got one that extends "tcp-rr"',
    );
  });

  it('pins a command-line profile: the same hash loads, another is refused with both hashes', async () => {
    const hash = (await loadProfile('tcp-rr')).hash;
    expect((await loadProfile(`tcp-rr@${hash.slice(0, 8)}`)).hash).toBe(hash);
    const error = await rejection(loadProfile('tcp-rr@0123abcd'));
    expect(error.message).toContain('tcp-rr@0123abcd: refusing to measure: tcp-rr no longer has the pinned content');
    expect(error.message).toContain('pinned: sha256 0123abcd... (its content is not known on this machine)');
    expect(error.message).toContain(`now:    sha256 ${hash}`);
  });
});

describe('the kernel a profile builds', () => {
  it('is exactly its resolved fragment: a removed base option is not requested', async () => {
    const file = write('k.yaml', 'schema: 1\nname: k\nextends: tcp-rr\nkernel:\n  fragment: [+CONFIG_NET_SCHED=y, -CONFIG_IPV6]\n');
    const config = await resolveKernelConfig(await readKernelConfigSpec({ profile: file }));
    const names = config.options.map((o) => o.name);
    expect(names).toContain('CONFIG_NET_SCHED');
    expect(names).toContain('CONFIG_VIRTIO_NET');
    expect(names).not.toContain('CONFIG_IPV6');
  });

  it('keeps the config hash of the shipped profiles (cached kernels stay valid)', async () => {
    const before = await resolveKernelConfig({ base: 'tinyconfig', fragments: [(await loadProfile('tcp-rr')).profile.kernel.fragment.join('\n')] });
    expect((await resolveKernelConfig(await readKernelConfigSpec({ profile: 'tcp-rr' }))).configHash).toBe(before.configHash);
  });
});
