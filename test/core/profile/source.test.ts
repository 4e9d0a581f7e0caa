// What a profile source's name, URL, ref and files may be: checked before git
// or the file system sees them.
import { describe, expect, it } from 'vitest';
import { checkSourceName, checkSourceRef, checkSourceUrl, MAX_SOURCE_PROFILES, pickProfileFiles } from '../../../src/core/profile/source.ts';

describe('checkSourceUrl', () => {
  it.each(['https://git.example.com/perf/profiles.git', 'ssh://git@example.com/perf.git', 'git@example.com:perf/profiles.git', 'git://example.com/x', 'file:///srv/git/perf.git', '/srv/git/perf'])(
    'accepts %j',
    (url) => {
      expect(checkSourceUrl(url)).toBeNull();
    },
  );

  it.each([
    ['ext::sh -c touch% /tmp/pwned', /no spaces|transport helpers/],
    ['ext::sh', /transport helpers/],
    ['fd::3', /transport helpers/],
    ['--upload-pack=touch /tmp/x', /start with "-"|no spaces/],
    ['-oProxyCommand=x', /must not start with "-"/],
    ['https://x/a b', /no spaces or control characters/],
    ['https://x/a\nb', /no spaces or control characters/],
    ['relative/dir', /expected a git URL/],
    ['host:-oProxyCommand=x', /expected a git URL/],
    ['', /expected a git URL/],
  ])('refuses %j', (url, message) => {
    expect(checkSourceUrl(url)).toMatch(message);
  });
});

describe('checkSourceRef and checkSourceName', () => {
  it.each(['main', 'v2', 'release/2024', 'feature-x.1', 'a'.repeat(40)])('accepts the ref %j', (ref) => {
    expect(checkSourceRef(ref)).toBeNull();
  });
  it.each(['-x', '--upload-pack=x', 'a..b', 'a/', '.hidden', 'a/.b', 'x.lock', 'a b', 'a:b', 'a~1', 'a^', '', 'a\0b'])('refuses the ref %j', (ref) => {
    expect(checkSourceRef(ref)).toMatch(/^--ref: expected a branch, tag or commit/);
  });
  it.each(['../x', 'a/b', '/etc', '.', '..', '', 'A', 'a\0'])('refuses the source name %j', (name) => {
    expect(checkSourceName(name)).toMatch(/^expected a source name/);
  });
});

describe('pickProfileFiles', () => {
  it('takes profiles/*.yaml when there is such a directory, the top level otherwise', () => {
    expect(pickProfileFiles(['README.md', 'a.yaml', 'profiles/b.yaml', 'profiles/sub/c.yaml']).picked).toEqual([{ path: 'profiles/b.yaml', name: 'b' }]);
    expect(pickProfileFiles(['README.md', 'b.yaml', 'a.yaml', 'ci/x.yaml']).picked.map((p) => p.name)).toEqual(['a', 'b']);
  });

  it('skips, with a reason, files whose names are not profile names', () => {
    const { picked, skipped } = pickProfileFiles(['Bad Name.yaml', '.hidden.yaml', 'x.yml', 'ok.yaml']);
    expect(picked).toEqual([{ path: 'ok.yaml', name: 'ok' }]);
    expect(skipped.map((s) => s.path)).toEqual(['Bad Name.yaml', '.hidden.yaml', 'x.yml']);
  });

  it(`takes at most ${MAX_SOURCE_PROFILES} profiles`, () => {
    const many = Array.from({ length: MAX_SOURCE_PROFILES + 3 }, (_, i) => `p${String(i).padStart(4, '0')}.yaml`);
    const { picked, skipped } = pickProfileFiles(many);
    expect(picked).toHaveLength(MAX_SOURCE_PROFILES);
    expect(skipped).toHaveLength(3);
  });
});
