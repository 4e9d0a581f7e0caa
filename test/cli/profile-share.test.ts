// `kbisect profile diff|show|source|pull` through the CLI: what each prints,
// as text and as JSON, and the exit outcome of a pull that refused a profile.
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/index.ts';
import { createContext } from '../../src/cli/context.ts';
import type { ExitKind } from '../../src/core/errors.ts';
import { initTestRepo } from '../helpers/git-repo.ts';
import { useTempDir } from '../helpers/temp-dir.ts';

const tmp = useTempDir('profile-share-cli', { env: { KBISECT_CONFIG_DIR: 'config' } });
afterEach(() => {
  vi.restoreAllMocks();
});

async function run(args: string[]): Promise<{ stdout: string; outcome?: ExitKind; error?: unknown }> {
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    stdout += String(s);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const outcome = await runCli(args, createContext(() => tmp.path));
    return { stdout, outcome };
  } catch (error) {
    return { stdout, error };
  } finally {
    vi.restoreAllMocks();
  }
}

describe('kbisect profile diff', () => {
  it('prints what differs, field by field', async () => {
    const { stdout, error } = await run(['profile', 'diff', 'tcp-rr', 'udp-rr-small']);
    expect(error).toBeUndefined();
    expect(stdout).toMatch(/^profile diff tcp-rr \(sha256 d0ba89ad4aa5\) → udp-rr-small \(sha256 4011a01b55f5\)\n/);
    expect(stdout).toContain('  tests[rr]                 {"name":"rr","type":"TCP_RR","durationS":5,"requestBytes"... → (not set)');
    expect(stdout).toContain('  tests[udp-rr]             (not set) → {"name":"udp-rr","type":"UDP_RR","durationS":5,"requestBy...');
    expect(stdout).toMatch(/\n2 differences in what is measured\n$/);
  });

  it('says when two profiles measure the same, and prints JSON', async () => {
    const same = await run(['profile', 'diff', 'tcp-rr', `tcp-rr@d0ba89ad`]);
    expect(same.stdout).toMatch(/same measurement: both resolve to the same content hash\n$/);
    const json = await run(['--json', 'profile', 'diff', 'tcp-stream-host-to-guest', 'tcp-stream-host-to-guest-vhost']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      a: { name: 'tcp-stream-host-to-guest', chain: ['tcp-stream-host-to-guest', 'tcp-stream-guest-to-host'] },
      b: { name: 'tcp-stream-host-to-guest-vhost' },
      sameContent: false,
      measured: [{ path: 'nic.vhost', a: false, b: true }],
    });
  });
});

describe('kbisect profile source and pull', () => {
  it('adds, lists, pulls (exit 2 when an upstream profile is refused) and removes', async () => {
    const team = initTestRepo(join(tmp.path, 'team.git'), { branch: 'main' });
    team.commitFile('rr-64.yaml', 'schema: 1\nextends: tcp-rr\ntests: [{name: rr, type: TCP_RR, durationS: 5, requestBytes: 64, responseBytes: 64}]\n', 'rr-64');
    const added = await run(['profile', 'source', 'add', 'team', './team.git']);
    expect(added.error).toBeUndefined();
    expect(added.outcome).toBe('ok');
    expect(added.stdout).toMatch(new RegExp(`^team: ${join(tmp.path, 'team.git')} at [0-9a-f]{12}\\n  team/rr-64  added  [0-9a-f]{12}\\n$`));

    const list = await run(['profile', 'source', 'list']);
    expect(list.stdout).toMatch(/team {2}\/.*team\.git {2}\(default\) {2}[0-9a-f]{12} {2}1/);
    const show = await run(['profile', 'show', 'team/rr-64']);
    expect(show.stdout.split('\n')[1]).toBe('# resolved from: team/rr-64 (source) ← tcp-rr (builtin) ← kbisect guest base');
    const profiles = await run(['profile', 'list']);
    expect(profiles.stdout).toMatch(/team\/rr-64 +guest-to-host +TCP_RR:5s +[0-9a-f]{12} +source [0-9a-f]{8} +tcp-rr/);

    team.commitFile('rr-64.yaml', 'schema: 1\nextends: tcp-rr\ntests: nope\n', 'broken');
    const pulled = await run(['profile', 'pull']);
    expect(pulled.outcome).toBe('userError');
    expect(pulled.stdout).toContain('team/rr-64  KEPT previous');
    expect(pulled.stdout).toContain('team/rr-64: upstream version refused, the previous one is still used:');
    expect(pulled.stdout).toMatch(/rr-64\.yaml@[0-9a-f]{12}: tests: expected a non-empty list of netperf tests, got "nope"/);

    const json = await run(['--json', 'profile', 'pull', 'team']);
    expect(JSON.parse(json.stdout)).toMatchObject([{ source: 'team', profiles: [{ name: 'rr-64', status: 'kept' }] }]);

    expect((await run(['profile', 'source', 'remove', 'team'])).stdout).toBe(`removed source team (${join(tmp.path, 'team.git')})\n`);
    expect((await run(['profile', 'source', 'list'])).stdout).toBe('no profile sources (kbisect profile source add NAME URL-or-PATH)\n');
  });
});
