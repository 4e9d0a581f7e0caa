// Real temporary git repositories for tests: git run as a fixed identity with
// reproducible dates, and commits of one file each.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface TestRepo {
  readonly dir: string;
  // runs git in the repository (or in cwd); returns its trimmed stdout
  git(args: readonly string[], cwd?: string): string;
  // writes FILE, commits it as SUBJECT and returns the new commit's sha
  commitFile(file: string, content: string, subject: string): string;
}

const identity = { name: 'Ada Netdev', email: 'ada@example.org' };

// Inits DIR (created if missing) on BRANCH. Every git call is one minute after the
// last (from 2024-01-01T00:00Z), so dates, and the order of commits by date, never
// depend on how fast the test runs.
export function initTestRepo(dir: string, opts: { branch?: string } = {}): TestRepo {
  let minutes = 0;
  const git = (args: readonly string[], cwd = dir): string => {
    minutes++;
    const date = new Date(Date.UTC(2024, 0, 1, 0, minutes)).toISOString();
    return execFileSync('git', args, {
      cwd,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: identity.name,
        GIT_AUTHOR_EMAIL: identity.email,
        GIT_COMMITTER_NAME: identity.name,
        GIT_COMMITTER_EMAIL: identity.email,
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_DATE: date,
      },
    }).trim();
  };
  mkdirSync(dir, { recursive: true });
  git(['init', '-q', '-b', opts.branch ?? 'master']);
  const commitFile = (file: string, content: string, subject: string): string => {
    const path = join(dir, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    git(['add', file]);
    git(['commit', '-q', '-m', subject]);
    return git(['rev-parse', 'HEAD']);
  };
  return { dir, git, commitFile };
}
