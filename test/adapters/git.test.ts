// The git adapter against real temporary repositories.
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addWorktree,
  checkoutWorktree,
  findGitCommonDir,
  getCommitInfo,
  isAncestor,
  isWorktreeOf,
  listRangeCommits,
  listTree,
  listWorktrees,
  parseLsTree,
  parseWorktreeList,
  pruneWorktrees,
  rangeLogArgs,
  removeWorktree,
  resolveRange,
  resolveRevision,
  worktreeHead,
} from '../../src/adapters/git.ts';
import { UserError } from '../../src/core/errors.ts';
import { initTestRepo, type TestRepo } from '../helpers/git-repo.ts';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.ts';

let root: string;
let repo: string;
let testRepo: TestRepo;
const shas: Record<string, string> = {};

function git(args: string[], cwd = repo): string {
  return testRepo.git(args, cwd);
}

function commit(name: string, file: string, content: string): void {
  shas[name] = testRepo.commitFile(file, content, `${name}: change ${file}`);
}

const sha = (name: string): string => {
  const value = shas[name];
  if (!value) throw new Error(`no commit ${name}`);
  return value;
};

//   c1 - c2 ------- c3 - m - c4        (master; m merges side)
//          \- s1 - s2 -/               (side; s1 touches drivers/net)
beforeAll(() => {
  root = makeTempDir('git');
  repo = join(root, 'linux');
  testRepo = initTestRepo(repo, { branch: 'master' });
  commit('c1', 'a.txt', '1');
  commit('c2', 'a.txt', '2');
  git(['checkout', '-q', '-b', 'side']);
  commit('s1', 'drivers/net/x.c', 'x');
  commit('s2', 'b.txt', 'b');
  git(['checkout', '-q', 'master']);
  commit('c3', 'a.txt', '3');
  git(['merge', '-q', '--no-ff', '-m', 'm: merge side', 'side']);
  shas.m = git(['rev-parse', 'HEAD']);
  commit('c4', 'drivers/net/y.c', 'y');
  git(['tag', 'v1.0', sha('c1')]);
});

afterAll(() => {
  removeTempDir(root);
});

const names = (commits: { sha: string }[]): string[] =>
  commits.map((c) => Object.entries(shas).find(([, s]) => s === c.sha)?.[0] ?? c.sha);

describe('resolveRevision', () => {
  it('resolves tags, branches, short SHAs and relative revisions to full SHAs', async () => {
    expect(await resolveRevision(repo, 'v1.0')).toBe(sha('c1'));
    expect(await resolveRevision(repo, 'side')).toBe(sha('s2'));
    expect(await resolveRevision(repo, sha('c3').slice(0, 8))).toBe(sha('c3'));
    expect(await resolveRevision(repo, 'HEAD~1')).toBe(sha('m'));
    expect(await resolveRevision(repo, 'HEAD~1^2')).toBe(sha('s2'));
    await expect(resolveRevision(repo, 'HEAD^2')).rejects.toThrow(/unknown revision 'HEAD\^2'/);
  });

  it('says which revision is unknown and how to list them', async () => {
    const error = await resolveRevision(repo, 'v9.9').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(`unknown revision 'v9.9': expected a commit-ish in ${repo}`);
    expect((error as UserError).hint).toBe(`run \`git -C ${repo} log --oneline\` to see revisions`);
  });

  it.each(['-x', '--all', ''])('refuses %j (not a revision, and never an option to git)', async (rev) => {
    await expect(resolveRevision(repo, rev)).rejects.toThrow(/invalid revision/);
  });

  it('refuses a tree object', async () => {
    await expect(resolveRevision(repo, 'HEAD^{tree}')).rejects.toThrow(/unknown revision/);
  });

  it('says when the directory is not a git repository', async () => {
    const plain = join(root, 'plain');
    mkdirSync(plain, { recursive: true });
    await expect(resolveRevision(plain, 'HEAD')).rejects.toThrow(/not a git repository/);
    await expect(findGitCommonDir(join(root, 'nosuch'))).rejects.toThrow(/not a git repository: .*does not exist/);
  });
});

describe('ranges', () => {
  it('lists the ancestry path oldest first, GOOD excluded, BAD included', async () => {
    const range = await resolveRange(repo, 'v1.0', 'master');
    expect(range.good).toBe(sha('c1'));
    expect(range.bad).toBe(sha('c4'));
    expect(names(range.commits)).toEqual(['c2', 's1', 's2', 'c3', 'm', 'c4']);
  });

  it('follows only first parents with firstParent', async () => {
    expect(names(await listRangeCommits(repo, sha('c1'), sha('c4'), { firstParent: true }))).toEqual(['c2', 'c3', 'm', 'c4']);
  });

  it('keeps only commits that touch the paths (git bisect start -- drivers/net)', async () => {
    // m brings s1's drivers/net change into master's line: it touches the path too
    expect(names(await listRangeCommits(repo, sha('c1'), sha('c4'), { paths: ['drivers/net'] }))).toEqual(['s1', 'm', 'c4']);
    expect(names(await listRangeCommits(repo, sha('c1'), sha('c4'), { paths: ['drivers/net'], firstParent: true }))).toEqual(['m', 'c4']);
  });

  it('excludes commits not on the ancestry path (side commits older than GOOD\'s line)', async () => {
    expect(names(await listRangeCommits(repo, sha('c3'), sha('c4')))).toEqual(['m', 'c4']);
  });

  it('builds the git log arguments as data', () => {
    expect(rangeLogArgs('g', 'b', { firstParent: true, paths: ['drivers/net'] }).slice(2)).toEqual([
      '--ancestry-path',
      '--first-parent',
      '--reverse',
      'g..b',
      '--',
      'drivers/net',
    ]);
  });

  it('refuses GOOD that is not an ancestor of BAD', async () => {
    const error = await resolveRange(repo, 'master', 'v1.0').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/^GOOD 'master' \(\w{12}\) is not an ancestor of BAD 'v1.0'/);
    await expect(resolveRange(repo, 'c3-does-not-exist', 'master')).rejects.toThrow(/unknown revision 'c3-does-not-exist'/);
  });

  it('refuses empty ranges: the same commit, or nothing touching the paths', async () => {
    await expect(resolveRange(repo, 'master', sha('c4'))).rejects.toThrow(/empty range: GOOD 'master' and BAD .* are the same commit/);
    await expect(resolveRange(repo, 'v1.0', 'master', { paths: ['nosuch/'] })).rejects.toThrow(
      /empty range: no candidate commits .*no commit touches nosuch\//,
    );
    await expect(resolveRange(repo, sha('s1'), 'master', { firstParent: true })).rejects.toThrow(/first-parent/);
  });

  it('knows ancestry', async () => {
    expect(await isAncestor(repo, sha('c1'), sha('c4'))).toBe(true);
    expect(await isAncestor(repo, sha('s1'), sha('c3'))).toBe(false);
    expect(await isAncestor(repo, sha('c4'), sha('c4'))).toBe(true);
  });
});

describe('getCommitInfo', () => {
  it('gives subject, author and date for reports', async () => {
    expect(await getCommitInfo(repo, sha('s1').slice(0, 10))).toEqual({
      sha: sha('s1'),
      subject: 's1: change drivers/net/x.c',
      author: 'Ada Netdev',
      authorEmail: 'ada@example.org',
      authorDate: expect.stringMatching(/^2024-01-01T00:\d\d:00\+00:00$/) as unknown as string,
    });
  });
});

describe('private worktrees', () => {
  it('checks out into a worktree without touching the user\'s tree, moves it, and removes it', async () => {
    const userHead = git(['rev-parse', 'HEAD']);
    writeFileSync(join(repo, 'a.txt'), 'user edit in progress');
    const wt = join(root, 'cache', 'work', 'slot-0', 'src');
    mkdirSync(dirname(wt), { recursive: true });
    await addWorktree(repo, wt, sha('c2'));
    expect(await worktreeHead(wt)).toBe(sha('c2'));
    expect(readFileSync(join(wt, 'a.txt'), 'utf8')).toBe('2');
    expect(await isWorktreeOf(wt, repo)).toBe(true);

    writeFileSync(join(wt, 'junk.o'), 'leftover');
    await checkoutWorktree(wt, sha('c4'));
    expect(await worktreeHead(wt)).toBe(sha('c4'));
    expect(readFileSync(join(wt, 'drivers/net/y.c'), 'utf8')).toBe('y');
    expect(existsSync(join(wt, 'junk.o'))).toBe(false);

    // the user's tree: same HEAD, same uncommitted edit
    expect(git(['rev-parse', 'HEAD'])).toBe(userHead);
    expect(readFileSync(join(repo, 'a.txt'), 'utf8')).toBe('user edit in progress');
    expect(git(['status', '--porcelain'])).toBe('M a.txt');

    const listed = await listWorktrees(repo);
    expect(listed.map((w) => w.path)).toContain(wt);
    expect(listed.find((w) => w.path === wt)).toMatchObject({ head: sha('c4'), detached: true });

    await removeWorktree(repo, wt);
    expect(existsSync(wt)).toBe(false);
    expect((await listWorktrees(repo)).map((w) => w.path)).not.toContain(wt);
    git(['checkout', '-q', '--', 'a.txt']);
  });

  it('prunes worktrees whose directories were deleted', async () => {
    const wt = join(root, 'cache', 'work', 'slot-1', 'src');
    mkdirSync(dirname(wt), { recursive: true });
    await addWorktree(repo, wt, sha('c1'));
    rmSync(wt, { recursive: true, force: true });
    expect((await listWorktrees(repo)).map((w) => w.path)).toContain(wt);
    await pruneWorktrees(repo);
    expect((await listWorktrees(repo)).map((w) => w.path)).not.toContain(wt);
    expect(await worktreeHead(wt)).toBeNull();
    expect(await isWorktreeOf(wt, repo)).toBe(false);
  });

  it('parses `git worktree list --porcelain`', () => {
    const out = 'worktree /src/linux\nHEAD 1111111111111111111111111111111111111111\nbranch refs/heads/master\n\nworktree /cache/slot-0/src\nHEAD 2222222222222222222222222222222222222222\ndetached\n\n';
    expect(parseWorktreeList(out)).toEqual([
      { path: '/src/linux', head: '1111111111111111111111111111111111111111', detached: false },
      { path: '/cache/slot-0/src', head: '2222222222222222222222222222222222222222', detached: true },
    ]);
  });
});

describe('listTree', () => {
  it('lists every file of a commit with its blob id', async () => {
    const entries = await listTree(repo, sha('c4'));
    expect(entries.map((e) => e.path).sort()).toEqual(['a.txt', 'b.txt', 'drivers/net/x.c', 'drivers/net/y.c']);
    expect(entries.every((e) => e.type === 'blob' && /^[0-9a-f]{40}$/.test(e.object) && e.mode === '100644')).toBe(true);
  });

  it('parses names with spaces and tabs (-z output)', () => {
    expect(parseLsTree('100644 blob abc\tdir/a file\x00100755 blob def\tx\ty\x00')).toEqual([
      { mode: '100644', type: 'blob', object: 'abc', path: 'dir/a file' },
      { mode: '100755', type: 'blob', object: 'def', path: 'x\ty' },
    ]);
  });
});
