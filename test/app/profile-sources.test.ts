// Two teams share profiles through git: "perf" and "drivers" keep their
// profiles in two real temporary repositories; two users have their own
// config dirs (KBISECT_CONFIG_DIR). Add, pull, inherit across sources, pin,
// an upstream change that a pinned run refuses (with the diff), a broken
// upstream profile that keeps the previous version, and hostile sources.
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { startBisection } from '../../src/app/bisect/start.ts';
import { addProfileSource, listProfileSources, pullProfileSource, pullProfileSources, removeProfileSource, type PullReport } from '../../src/app/profile-sources.ts';
import { listProfiles, loadProfile } from '../../src/app/profiles.ts';
import { buildReportInput, engineInput } from '../../src/core/bisect/report-input.ts';
import { createBisection } from '../../src/core/bisect/index.ts';
import { UserError } from '../../src/core/errors.ts';
import { formatReportText } from '../../src/core/report/text.ts';
import { initTestRepo, type TestRepo } from '../helpers/git-repo.ts';
import { setEnv, useTempDir } from '../helpers/temp-dir.ts';

const tmp = useTempDir('profile-sources');

let perf: TestRepo;
let drivers: TestRepo;

// Runs `fn` as one user: their own config dir.
async function as<T>(user: string, fn: () => Promise<T>): Promise<T> {
  const restore = setEnv({ KBISECT_CONFIG_DIR: join(tmp.path, user, 'config') });
  try {
    return await fn();
  } finally {
    restore();
  }
}

async function rejection(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

function statuses(report: PullReport): Record<string, string> {
  return Object.fromEntries(report.profiles.map((p) => [p.name, p.status]));
}

const PERF_RR = 'schema: 1\nextends: tcp-rr\ndescription: the perf team TCP_RR\ntests: [{name: rr, type: TCP_RR, durationS: 10}]\n';
const PERF_RR_64 = 'schema: 1\nextends: ./tcp-rr\ntests: [{name: rr, type: TCP_RR, durationS: 10, requestBytes: 64, responseBytes: 64}]\nkernel:\n  fragment: [+CONFIG_NET_SCHED=y, -CONFIG_IPV6]\n';
const DRIVERS_NODELAY = 'schema: 1\nextends: perf/rr-64\ntests: [{name: rr, type: TCP_RR, durationS: 10, requestBytes: 64, responseBytes: 64, nodelay: true}]\n';

beforeEach(() => {
  perf = initTestRepo(join(tmp.path, 'perf.git'), { branch: 'main' });
  perf.commitFile('README.md', 'perf team profiles\n', 'readme');
  perf.commitFile('profiles/tcp-rr.yaml', PERF_RR, 'tcp-rr: 10 s runs');
  perf.commitFile('profiles/rr-64.yaml', PERF_RR_64, 'rr-64');
  drivers = initTestRepo(join(tmp.path, 'drivers.git'), { branch: 'main' });
  drivers.commitFile('rr-64-nodelay.yaml', DRIVERS_NODELAY, 'rr-64 with TCP_NODELAY, as perf measures it otherwise');
});

// A small git tree to start bisections in (no kernel is built by `start`).
function kernelTree(): string {
  const repo = initTestRepo(join(tmp.path, `linux-${Math.random().toString(36).slice(2)}`));
  for (let i = 0; i < 4; i++) repo.commitFile('net.c', `v${i}\n`, `commit ${i}`);
  return repo.dir;
}

async function startWith(profile: string): ReturnType<typeof startBisection> {
  const repo = kernelTree();
  return startBisection({ repo, good: 'HEAD~3', bad: 'HEAD', profile });
}

describe('two teams, two users', () => {
  it('add, pull, inherit across sources, and record where a profile came from', async () => {
    await as('alice', async () => {
      const added = await addProfileSource('perf', perf.dir);
      expect(statuses(added)).toEqual({ 'rr-64': 'added', 'tcp-rr': 'added' });
      expect(added.commit).toBe(perf.git(['rev-parse', 'HEAD']));
      expect(statuses(await addProfileSource('drivers', drivers.dir))).toEqual({ 'rr-64-nodelay': 'added' });

      const nodelay = await loadProfile('drivers/rr-64-nodelay');
      expect(nodelay.chain.map((l) => l.name)).toEqual(['drivers/rr-64-nodelay', 'perf/rr-64', 'perf/tcp-rr', 'tcp-rr']);
      expect(nodelay.profile.name).toBe('drivers/rr-64-nodelay');
      expect(nodelay.profile.tests[0]).toMatchObject({ durationS: 10, requestBytes: 64, nodelay: true });
      expect(nodelay.profile.kernel.fragment).toContain('CONFIG_NET_SCHED=y');
      expect(nodelay.profile.kernel.fragment.some((l) => l.startsWith('CONFIG_IPV6='))).toBe(false);
      expect(nodelay).toMatchObject({ origin: 'source', sourceUrl: drivers.dir, sourceCommit: drivers.git(['rev-parse', 'HEAD']) });

      const { profiles, problems } = await listProfiles();
      expect(problems).toEqual([]);
      expect(profiles.map((p) => p.profile.name)).toEqual(expect.arrayContaining(['perf/tcp-rr', 'perf/rr-64', 'drivers/rr-64-nodelay', 'tcp-rr']));
      expect((await listProfileSources()).map((s) => [s.config.name, s.profiles])).toEqual([
        ['drivers', ['rr-64-nodelay']],
        ['perf', ['rr-64', 'tcp-rr']],
      ]);

      // pinned to what alice sees: the session and its report say which profile, from where
      const session = await startWith(`perf/rr-64@${(await loadProfile('perf/rr-64')).hash.slice(0, 8)}`);
      expect(session.mode).toBe('kernel');
      if (session.mode !== 'kernel') return;
      expect(session.profile).toMatchObject({ name: 'perf/rr-64', sourceUrl: perf.dir, sourceCommit: perf.git(['rev-parse', 'HEAD']) });
      expect(session.profile.yaml).toContain('# resolved from: perf/rr-64 (source) ← perf/tcp-rr (source) ← tcp-rr (builtin) ← kbisect guest base');
      const report = formatReportText(buildReportInput(session, createBisection(engineInput(session)), [], '2024-01-01T00:00:00Z'));
      expect(report).toContain(`profile perf/rr-64 (${session.profile.hash.slice(0, 12)})`);
      expect(report).toContain(`profile source ${perf.dir} at commit ${perf.git(['rev-parse', 'HEAD'])}`);
    });

    // bob adds the sources the other way round: drivers' profile waits for its parent
    await as('bob', async () => {
      const first = await addProfileSource('drivers', drivers.dir);
      expect(first.profiles).toEqual([expect.objectContaining({ name: 'rr-64-nodelay', status: 'rejected' })]);
      expect(first.profiles[0]?.problem).toMatch(/extends: no profile named "perf\/rr-64" \(chain: drivers\/rr-64-nodelay → perf\/rr-64\)/);
      await addProfileSource('perf', perf.dir);
      expect(statuses(await pullProfileSource('drivers'))).toEqual({ 'rr-64-nodelay': 'added' });
      // the same files resolve to the same hash for both users
      const bobs = (await loadProfile('drivers/rr-64-nodelay')).hash;
      expect(await as('alice', async () => (await loadProfile('drivers/rr-64-nodelay')).hash)).toBe(bobs);
    });
  });

  it('refuses a pinned run when upstream changed, with both hashes, the commits and the diff', async () => {
    const before = await as('alice', async () => {
      await addProfileSource('perf', perf.dir);
      return loadProfile('perf/rr-64');
    });
    const pin = before.hash.slice(0, 8);
    const oldCommit = perf.git(['rev-parse', 'HEAD']);
    // upstream: the parent changes; the child, its file untouched, inherits the change
    perf.commitFile('profiles/tcp-rr.yaml', `${PERF_RR}sampling: {runsPerBoot: 10}\n`, 'tcp-rr: 10 runs per boot');
    const newCommit = perf.git(['rev-parse', 'HEAD']);

    await as('alice', async () => {
      expect(statuses(await pullProfileSource('perf'))).toEqual({ 'rr-64': 'changed', 'tcp-rr': 'changed' });
      const now = await loadProfile('perf/rr-64');
      const error = await rejection(startWith(`perf/rr-64@${pin}`));
      expect(error.message.split('\n')).toEqual([
        `perf/rr-64@${pin}: refusing to measure: perf/rr-64 no longer has the pinned content`,
        // the commit of the child's file: the file itself did not change
        `  pinned: sha256 ${before.hash} (${perf.dir}, commit ${oldCommit})`,
        `  now:    sha256 ${now.hash} (${perf.dir}, commit ${newCommit})`,
        '  profile diff (pinned → now):',
        '    sampling.runsPerBoot  5 → 10',
      ]);
      expect(error.hint).toContain(`perf/rr-64@${now.hash.slice(0, 8)}`);
      // the unpinned name measures the new content; the pin stays viewable
      expect((await startWith('perf/rr-64')).mode).toBe('kernel');
      expect((await loadProfile(`perf/rr-64@${pin}`, tmp.path, { pinned: 'lookup' })).hash).toBe(before.hash);
    });

    // carol never pulled the old version: a colleague's pin is found in the source's history
    await as('carol', async () => {
      await addProfileSource('perf', perf.dir);
      const error = await rejection(loadProfile(`perf/rr-64@${pin}`));
      expect(error.message).toContain(`pinned: sha256 ${before.hash} (${perf.dir}, commit ${oldCommit})`);
      expect(error.message).toContain('sampling.runsPerBoot  5 → 10');
    });

    // dave keeps measuring the pinned content: the source followed at the commit that had it
    await as('dave', async () => {
      const report = await addProfileSource('perf', perf.dir, { ref: oldCommit.slice(0, 10) });
      expect(report.commit).toBe(oldCommit);
      expect((await loadProfile(`perf/rr-64@${pin}`)).sourceCommit).toBe(oldCommit);
      expect((await rejection(addProfileSource('other', perf.dir, { ref: 'abcdef1234' }))).message).toBe(`${perf.dir}: no commit abcdef1234 on any branch or tag`);
    });
  });

  it('keeps the previous version of a profile whose upstream version is broken, and says why', async () => {
    await as('alice', async () => {
      await addProfileSource('perf', perf.dir);
      const good = await loadProfile('perf/rr-64');
      perf.commitFile('profiles/rr-64.yaml', PERF_RR_64.replace('kernel:', 'nic: {queues: two}\nkernel:'), 'rr-64: oops');
      perf.commitFile('profiles/new-broken.yaml', 'schema: 1\nextends: ./nowhere\n', 'a profile without a parent');
      const report = await pullProfileSource('perf');
      expect(statuses(report)).toEqual({ 'new-broken': 'rejected', 'rr-64': 'kept', 'tcp-rr': 'unchanged' });
      expect(report.profiles.find((p) => p.name === 'rr-64')?.problem).toMatch(/rr-64\.yaml@[0-9a-f]{12}: nic\.queues: expected an integer between 1 and 64, got "two"/);
      expect(report.profiles.find((p) => p.name === 'new-broken')?.problem).toContain('extends: no profile named "./nowhere" (chain: perf/new-broken → ./nowhere)');
      const kept = await loadProfile('perf/rr-64');
      expect(kept.hash).toBe(good.hash);
      expect(kept.sourceCommit).toBe(good.sourceCommit);
      await rejection(loadProfile('perf/new-broken'));

      // fixed upstream: taken; removed upstream: gone
      perf.commitFile('profiles/rr-64.yaml', PERF_RR_64.replace('durationS: 10', 'durationS: 11'), 'rr-64: fixed');
      perf.git(['rm', '-q', 'profiles/new-broken.yaml']);
      perf.git(['commit', '-q', '-m', 'drop new-broken']);
      perf.git(['rm', '-q', 'profiles/tcp-rr.yaml']);
      perf.commitFile('profiles/tcp-rr-copy.yaml', PERF_RR, 'rename tcp-rr');
      // rr-64 names ./tcp-rr, now gone upstream: its new version cannot resolve, the kept one neither
      const next = await pullProfileSources('perf');
      expect(statuses(next[0] as PullReport)).toEqual({ 'rr-64': 'rejected', 'tcp-rr': 'removed', 'tcp-rr-copy': 'added' });
      expect((await rejection(loadProfile('perf/tcp-rr'))).message).toBe('source perf has no profile named "tcp-rr"');
    });
  });

  it('removes a source, and refuses unknown ones', async () => {
    await as('alice', async () => {
      await addProfileSource('perf', perf.dir);
      await rejection(addProfileSource('perf', perf.dir));
      expect((await removeProfileSource('perf')).url).toBe(perf.dir);
      expect((await rejection(loadProfile('perf/tcp-rr'))).message).toBe('no profile source named "perf" (for perf/tcp-rr)');
      await rejection(removeProfileSource('perf'));
      await rejection(pullProfileSources());
    });
  });
});

describe('hostile sources', () => {
  it.each([
    ['ext::sh -c id', /transport helpers|no spaces/],
    ['--upload-pack=touch /tmp/x', /no spaces|must not start/],
    ['-oProxyCommand=id', /expected a git repository|must not start/],
  ])('refuses the URL %j before git sees it', async (url, message) => {
    await as('mallory', async () => {
      const error = await rejection(addProfileSource('evil', url));
      expect(error.message).toMatch(message);
      expect(await listProfileSources()).toEqual([]);
    });
  });

  it.each([['../escape'], ['/abs'], ['a/b'], ['x\0y'], ['..']])('refuses the source name %j', async (name) => {
    await as('mallory', async () => {
      expect((await rejection(addProfileSource(name, perf.dir))).message).toMatch(/^expected a source name/);
    });
  });

  it('refuses a ref that is an option, and a ref that is not there (keeping nothing)', async () => {
    await as('mallory', async () => {
      expect((await rejection(addProfileSource('perf', perf.dir, { ref: '--upload-pack=id' }))).message).toMatch(/^--ref: expected a branch/);
      const error = await rejection(addProfileSource('perf', perf.dir, { ref: 'no-such-branch' }));
      expect(error.message).toMatch(/^source perf: cannot fetch no-such-branch of /);
      expect(await listProfileSources()).toEqual([]);
    });
  });

  it('reads only regular profile files of bounded size, and no alias bomb', async () => {
    const evil = initTestRepo(join(tmp.path, 'evil.git'));
    writeFileSync(join(evil.dir, 'huge.yaml'), `schema: 1\n# ${'x'.repeat(300 * 1024)}\n`);
    symlinkSync('/etc/passwd', join(evil.dir, 'link.yaml'));
    const laughs = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefg'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefg'[i]}`).join(',')}]`)];
    writeFileSync(join(evil.dir, 'bomb.yaml'), `schema: 1\nextends: tcp-rr\n${laughs.join('\n')}\n`);
    writeFileSync(join(evil.dir, 'tagged.yaml'), 'schema: 1\nextends: tcp-rr\ndescription: !!js/function "function () { return 1 }"\n');
    writeFileSync(join(evil.dir, 'shell.yaml'), 'schema: 1\nextends: tcp-rr\nguest: {cmdline: "$(touch /tmp/kbisect-pwned)"}\n');
    evil.git(['add', '-A']);
    evil.git(['commit', '-q', '-m', 'evil']);
    await as('mallory', async () => {
      const report = await addProfileSource('evil', evil.dir);
      expect(report.skipped).toEqual([
        { path: 'huge.yaml', reason: expect.stringMatching(/^expected a profile of at most 262144 bytes, got 30\d{4}$/) as unknown },
        { path: 'link.yaml', reason: 'a symbolic link, not a file' },
      ]);
      expect(statuses(report)).toEqual({ bomb: 'rejected', shell: 'rejected', tagged: 'rejected' });
      const problems = Object.fromEntries(report.profiles.map((p) => [p.name, p.problem]));
      expect(problems.bomb).toMatch(/not valid YAML: .*Excessive alias count/);
      expect(problems.tagged).toMatch(/not valid YAML: .*tag/i);
      expect(problems.shell).toMatch(/guest\.cmdline: expected kernel parameters made of letters/);
    });
  });
});
