// A real git repository for generic-mode tests: `commits` commits, each with a
// `level` file (100 before the culprit, 80 from it on) and a benchmark script
// printing level·1000 ± 1% noise; KBISECT_CACHE_DIR/DATA_DIR point into it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setEnv } from './temp-dir.ts';

export interface BenchRepo {
  dir: string;
  repo: string;
  shas: string[];
  git(...args: string[]): string;
  remove(): void;
}

export const BENCH = 'echo "running the benchmark" >&2\necho $(( $(cat level) * 1000 + RANDOM % 2000 - 1000 ))\n';

export function makeBenchRepo(opts: { commits?: number; culprit?: number; prefix?: string } = {}): BenchRepo {
  const commits = opts.commits ?? 8;
  const culprit = opts.culprit ?? Math.floor(commits / 2);
  const dir = mkdtempSync(join(tmpdir(), opts.prefix ?? 'kbisect-bench-'));
  const repo = join(dir, 'repo');
  const git = (...args: string[]): string =>
    execFileSync('git', ['-C', repo, '-c', 'user.name=Ada', '-c', 'user.email=ada@example.org', ...args], { encoding: 'utf8' }).trim();
  execFileSync('git', ['init', '-q', repo]);
  writeFileSync(join(repo, 'bench.sh'), BENCH);
  const shas: string[] = [];
  for (let i = 0; i < commits; i++) {
    writeFileSync(join(repo, 'level'), i >= culprit ? '80\n' : '100\n');
    writeFileSync(join(repo, 'notes'), `change ${i}\n`);
    git('add', '-A');
    git('commit', '-qm', i === culprit ? 'bench: do more work per iteration' : `notes: change ${i}`);
    shas.push(git('rev-parse', 'HEAD'));
  }
  return { dir, repo, shas, git, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

// Points kbisect's cache and data dirs into `dir`; returns the function that restores them.
export function isolateKbisectDirs(dir: string): () => void {
  return setEnv({ KBISECT_CACHE_DIR: join(dir, 'cache'), KBISECT_DATA_DIR: join(dir, 'data') });
}
