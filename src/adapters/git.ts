// The kernel tree through git (the only simple-git import): revisions to full
// SHAs with clear errors, the candidate commits of a range, commit metadata
// for reports, and private worktrees so that builds never touch the user's
// working tree. Every function takes the directory explicitly.
import { existsSync } from 'node:fs';
import { mkdir, realpath } from 'node:fs/promises';
import { GitError, simpleGit, type SimpleGit } from 'simple-git';
import { ProcessError, tailLines, UserError } from '../core/errors.ts';

export interface CommitInfo {
  sha: string;
  subject: string;
  author: string;
  authorEmail: string;
  // ISO 8601, as git prints it (%aI)
  authorDate: string;
}

export interface RangeOptions {
  // follow only the first parent of merges (git bisect --first-parent)
  firstParent?: boolean;
  // only commits touching these paths (git bisect start GOOD BAD -- drivers/net)
  paths?: readonly string[];
}

export interface ResolvedRange {
  good: string;
  bad: string;
  // candidates oldest first: on the ancestry path from GOOD (excluded) to BAD (included)
  commits: CommitInfo[];
}

export interface TreeEntry {
  mode: string;
  type: string;
  object: string;
  path: string;
}

export interface WorktreeInfo {
  path: string;
  head: string | null;
  detached: boolean;
}

// A git command that exited non-zero, with what it printed (a GitError, so
// that simple-git passes it through instead of wrapping it in a string).
class GitFailure extends GitError {
  readonly exitCode: number;
  readonly output: string;
  constructor(exitCode: number, output: string) {
    super(undefined, output.trim() || `git exited with code ${exitCode}`);
    this.exitCode = exitCode;
    this.output = output;
  }
}

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

function gitIn(dir: string, signal?: AbortSignal): SimpleGit {
  if (!existsSync(dir)) throw new UserError(`not a git repository: ${dir} does not exist`, 'give your kernel tree with -C <dir>');
  return simpleGit({
    baseDir: dir,
    trimmed: false,
    maxConcurrentProcesses: 4,
    // our worktrees run no hooks of the user's repository
    config: ['core.hooksPath=/dev/null', 'advice.detachedHead=false'],
    unsafe: { allowUnsafeHooksPath: true },
    ...(signal ? { abort: signal } : {}),
    // every non-zero exit is an error with its exit code (simple-git's default
    // ignores it when stderr is empty); spawn failures pass through
    errors(error, result) {
      if (error !== undefined && !(error instanceof GitError)) return error;
      if (result.exitCode === 0) return error;
      return new GitFailure(result.exitCode, Buffer.concat([...result.stdErr, ...result.stdOut]).toString('utf8'));
    },
  }).env(gitEnv());
}

// A small, explicit environment: C messages, never a prompt, the user's git
// config (HOME) but no GIT_DIR-style overrides from the caller's shell.
function gitEnv(): Record<string, string> {
  const env: Record<string, string> = { LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' };
  for (const name of ['PATH', 'HOME', 'XDG_CONFIG_HOME', 'TMPDIR']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

async function runGit(dir: string, args: readonly string[], signal?: AbortSignal): Promise<string> {
  try {
    return await gitIn(dir, signal).raw([...args]);
  } catch (error) {
    if (error instanceof UserError) throw error;
    const output = error instanceof GitFailure ? error.output : error instanceof Error ? error.message : String(error);
    if (/not a git repository/i.test(output)) {
      throw new UserError(`not a git repository: ${dir}`, 'give your kernel tree with -C <dir> (a clone of the kernel with git history)');
    }
    throw new ProcessError({
      message: `git ${args[0] ?? ''} failed in ${dir}`,
      command: ['git', '-C', dir, ...args].join(' '),
      ...(error instanceof GitFailure ? { exitCode: error.exitCode } : {}),
      stderrTail: tailLines(output, 15),
    });
  }
}

// The repository's shared git directory, resolved: identifies the repo for every worktree of it.
export async function findGitCommonDir(repo: string): Promise<string> {
  const out = (await runGit(repo, ['rev-parse', '--path-format=absolute', '--git-common-dir'])).trim();
  return realpath(out);
}

// Resolves any commit-ish (tag, branch, short SHA, HEAD~3) to the full SHA.
export async function resolveRevision(repo: string, rev: string): Promise<string> {
  if (rev === '' || rev.startsWith('-')) {
    throw new UserError(`invalid revision ${JSON.stringify(rev)}: expected a commit-ish such as v6.1, a branch or a SHA`);
  }
  let out: string;
  try {
    out = await runGit(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
  } catch (error) {
    // git said no (exit 1, nothing printed): not a revision of this repository
    if (error instanceof ProcessError && error.exitCode !== undefined) throw unknownRevision(repo, rev);
    throw error;
  }
  const sha = out.trim();
  if (!SHA.test(sha)) throw unknownRevision(repo, rev);
  return sha;
}

function unknownRevision(repo: string, rev: string): UserError {
  return new UserError(
    `unknown revision '${rev}': expected a commit-ish in ${repo}`,
    `run \`git -C ${repo} log --oneline\` to see revisions`,
  );
}

// True when `ancestor` is `descendant` or one of its ancestors.
export async function isAncestor(repo: string, ancestor: string, descendant: string): Promise<boolean> {
  const base = (await runGit(repo, ['merge-base', '--all', ancestor, descendant])).split('\n').map((s) => s.trim());
  return base.includes(ancestor);
}

const FIELD = '\x1f';
const RECORD = '\x1e';
const LOG_FORMAT = `--format=%H${FIELD}%s${FIELD}%an${FIELD}%ae${FIELD}%aI${RECORD}`;

function parseLog(out: string): CommitInfo[] {
  return out
    .split(RECORD)
    .map((r) => r.trim())
    .filter((r) => r !== '')
    .map((r) => {
      const [sha = '', subject = '', author = '', authorEmail = '', authorDate = ''] = r.split(FIELD);
      return { sha, subject, author, authorEmail, authorDate };
    });
}

// Builds the `git log` arguments that list a range's candidates, oldest first.
export function rangeLogArgs(good: string, bad: string, opts: RangeOptions = {}): string[] {
  return [
    'log',
    LOG_FORMAT,
    '--ancestry-path',
    ...(opts.firstParent ? ['--first-parent'] : []),
    '--reverse',
    `${good}..${bad}`,
    '--',
    ...(opts.paths ?? []),
  ];
}

// The commits between two resolved SHAs (GOOD excluded, BAD included), oldest first.
export async function listRangeCommits(repo: string, good: string, bad: string, opts: RangeOptions = {}): Promise<CommitInfo[]> {
  return parseLog(await runGit(repo, rangeLogArgs(good, bad, opts)));
}

// Resolves GOOD and BAD and lists the candidates, refusing ranges a bisection cannot use.
export async function resolveRange(repo: string, goodRev: string, badRev: string, opts: RangeOptions = {}): Promise<ResolvedRange> {
  const good = await resolveRevision(repo, goodRev);
  const bad = await resolveRevision(repo, badRev);
  if (good === bad) {
    throw new UserError(`empty range: GOOD '${goodRev}' and BAD '${badRev}' are the same commit (${good.slice(0, 12)})`, 'give a BAD that is newer than GOOD');
  }
  if (!(await isAncestor(repo, good, bad))) {
    throw new UserError(
      `GOOD '${goodRev}' (${good.slice(0, 12)}) is not an ancestor of BAD '${badRev}' (${bad.slice(0, 12)})`,
      `check the order (GOOD first, then BAD); \`git -C ${repo} merge-base ${goodRev} ${badRev}\` shows their common ancestor`,
    );
  }
  const commits = await listRangeCommits(repo, good, bad, opts);
  if (commits.length === 0) {
    const why = [
      opts.firstParent ? `GOOD is not on BAD's first-parent history` : '',
      opts.paths && opts.paths.length > 0 ? `no commit touches ${opts.paths.join(' ')}` : '',
    ].filter((s) => s !== '');
    throw new UserError(
      `empty range: no candidate commits between '${goodRev}' and '${badRev}'${why.length > 0 ? ` (${why.join('; ')})` : ''}`,
      opts.paths && opts.paths.length > 0 ? 'widen or drop the path limit' : 'drop --first-parent, or pick other revisions',
    );
  }
  return { good, bad, commits };
}

// Subject, author and date of one commit, for reports.
export async function getCommitInfo(repo: string, rev: string): Promise<CommitInfo> {
  const sha = await resolveRevision(repo, rev);
  const [info] = parseLog(await runGit(repo, ['log', '-1', LOG_FORMAT, sha, '--']));
  if (!info) throw unknownRevision(repo, rev);
  return info;
}

// Parses `git ls-tree -r -z`: "<mode> <type> <object>\t<path>" records ended by NUL.
export function parseLsTree(out: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const record of out.split('\0')) {
    const tab = record.indexOf('\t');
    if (tab < 0) continue;
    const [mode = '', type = '', object = ''] = record.slice(0, tab).split(' ');
    entries.push({ mode, type, object, path: record.slice(tab + 1) });
  }
  return entries;
}

// Every file of a commit's tree with its blob id (content-addresses parts of a tree).
export async function listTree(repo: string, sha: string): Promise<TreeEntry[]> {
  return parseLsTree(await runGit(repo, ['ls-tree', '-r', '-z', '--full-tree', sha]));
}

// Checks out `sha` into a new private worktree at `dir` (the user's tree stays as it is).
export async function addWorktree(repo: string, dir: string, sha: string, signal?: AbortSignal): Promise<void> {
  await runGit(repo, ['worktree', 'add', '--detach', '--force', dir, sha], signal);
}

// Moves a private worktree to `sha`; only changed files are rewritten, so
// make rebuilds only what the commit changed.
export async function checkoutWorktree(dir: string, sha: string, signal?: AbortSignal): Promise<void> {
  await runGit(dir, ['checkout', '--detach', '--force', sha], signal);
  await runGit(dir, ['clean', '-ffdxq'], signal);
}

// The commit a worktree is at, or null when `dir` is not a usable worktree.
export async function worktreeHead(dir: string): Promise<string | null> {
  if (!existsSync(dir)) return null;
  try {
    const sha = (await runGit(dir, ['rev-parse', '--verify', '--quiet', 'HEAD'])).trim();
    return SHA.test(sha) ? sha : null;
  } catch {
    return null;
  }
}

// True when `dir` is a worktree (or the main tree) of the repository `repo`.
export async function isWorktreeOf(dir: string, repo: string): Promise<boolean> {
  if (!existsSync(dir)) return false;
  try {
    return (await findGitCommonDir(dir)) === (await findGitCommonDir(repo));
  } catch {
    return false;
  }
}

// Unregisters and deletes a private worktree.
export async function removeWorktree(repo: string, dir: string): Promise<void> {
  await runGit(repo, ['worktree', 'remove', '--force', '--force', dir]);
}

// Forgets worktrees whose directories are gone.
export async function pruneWorktrees(repo: string): Promise<void> {
  await runGit(repo, ['worktree', 'prune']);
}

// Parses `git worktree list --porcelain`.
export function parseWorktreeList(out: string): WorktreeInfo[] {
  return out
    .split('\n\n')
    .map((block) => block.trim())
    .filter((block) => block !== '')
    .map((block) => {
      const lines = block.split('\n');
      const path = lines.find((l) => l.startsWith('worktree '))?.slice('worktree '.length) ?? '';
      const head = lines.find((l) => l.startsWith('HEAD '))?.slice('HEAD '.length) ?? null;
      return { path, head, detached: lines.includes('detached') };
    });
}

// The repository's worktrees (the user's and kbisect's), as git knows them.
export async function listWorktrees(repo: string): Promise<WorktreeInfo[]> {
  return parseWorktreeList(await runGit(repo, ['worktree', 'list', '--porcelain']));
}

// The newest `count` first-parent commits of `head` (head included), oldest first.
export async function listRecentFirstParent(repo: string, head: string, count: number): Promise<CommitInfo[]> {
  return parseLog(await runGit(repo, ['log', LOG_FORMAT, '--first-parent', `--max-count=${Math.max(1, Math.floor(count))}`, head, '--'])).reverse();
}

// First-parent depth of a commit: orders the commits of one first-parent history.
export async function firstParentDepth(repo: string, sha: string): Promise<number> {
  return Number((await runGit(repo, ['rev-list', '--count', '--first-parent', sha, '--'])).trim());
}

// `git fetch REMOTE` (sweeps fetch before they look for new commits); the remote name is validated first.
export async function fetchRemote(repo: string, remote: string, signal?: AbortSignal): Promise<void> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(remote)) throw new UserError(`--remote: expected a remote name such as origin, got ${JSON.stringify(remote)}`, `\`git -C ${repo} remote -v\` lists them`);
  await runGit(repo, ['fetch', '--quiet', '--end-of-options', remote], signal);
}

// --- team profile sources: a bare repository that only fetches (no work tree, no hooks, nothing checked out) ---

// Creates (or keeps) a bare repository at `dir`.
export async function initBareRepository(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await runGit(dir, ['init', '--bare', '--quiet']);
}

// Fetches `ref` (null: the remote's HEAD) of `url` into `localRef` of the bare
// repository `repo`, and returns the commit it names. The caller checked the URL and the ref.
export async function fetchRefInto(repo: string, url: string, ref: string | null, localRef: string, signal?: AbortSignal): Promise<string> {
  if (url.startsWith('-') || (ref ?? '').startsWith('-')) throw new UserError(`expected a git URL and ref, got ${JSON.stringify(url)} ${JSON.stringify(ref)}`);
  if (ref !== null && /^[0-9a-f]{7,40}$/.test(ref)) {
    // a commit id (servers refuse to send an unadvertised one): every branch and tag, then the commit among them
    await runGit(repo, ['fetch', '--quiet', '--no-tags', '--force', '--end-of-options', url, '+refs/heads/*:refs/kbisect/heads/*', '+refs/tags/*:refs/kbisect/tags/*'], signal);
    const sha = (await runGit(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]).catch(() => '')).trim();
    if (!SHA.test(sha)) throw new UserError(`${url}: no commit ${ref} on any branch or tag`, `\`git -C ${url} log --oneline\` lists them; give a branch, a tag or a commit they contain`);
    await runGit(repo, ['update-ref', '--no-deref', localRef, sha]);
    return sha;
  }
  await runGit(repo, ['fetch', '--quiet', '--no-tags', '--force', '--end-of-options', url, `+${ref ?? 'HEAD'}:${localRef}`], signal);
  return (await runGit(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${localRef}^{commit}`])).trim();
}

// The text of a blob, refused (without reading it) when larger than `maxBytes`.
export async function readBlobText(repo: string, object: string, maxBytes: number): Promise<{ text: string } | { tooLarge: number }> {
  if (!/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(object)) throw new UserError(`expected a blob id, got ${JSON.stringify(object)}`);
  const size = Number((await runGit(repo, ['cat-file', '-s', object])).trim());
  if (!(size <= maxBytes)) return { tooLarge: size };
  return { text: await runGit(repo, ['cat-file', 'blob', object]) };
}

// Commit ids reachable from `head`, newest first, at most `max`.
export async function listCommitIds(repo: string, head: string, max: number): Promise<string[]> {
  const out = await runGit(repo, ['rev-list', `--max-count=${Math.max(1, Math.floor(max))}`, '--end-of-options', head, '--']);
  return out.split('\n').filter((l) => SHA.test(l));
}
