// A real git repository for generic-mode sweep tests: a long linear history
// (fixed author and dates, written with one `git fast-import`), a POSIX sh
// benchmark in the tree that prints `level` × (1 ± 2% uniform noise from
// /dev/urandom), one commit that lowers the level for good (the step, a
// regression: higher is better) and one single-commit spike that the next
// commit reverts.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { makeTempDir, removeTempDir } from './temp-dir.ts';

// The benchmark: `level` read from the checked-out tree, noise from /dev/urandom
// via od and awk; BENCH_SLEEP_S (from the environment kbisect passes through)
// slows it down for tests that kill a run in the middle.
export const SWEEP_BENCH = `#!/bin/sh
set -e
if [ -n "\${BENCH_SLEEP_S:-}" ]; then sleep "$BENCH_SLEEP_S"; fi
level=$(cat level)
r=$(od -An -N4 -tu4 /dev/urandom | tr -d ' \\n')
echo "bench: level $level" >&2
awk -v l="$level" -v r="$r" 'BEGIN { printf "%.3f\\n", l * (1 + 0.04 * (r / 4294967295 - 0.5)) }'
`;

export const BASE_LEVEL = 1000;
export const STEP_SUBJECT = 'net: copy every frame twice on transmit';
export const SPIKE_SUBJECT = 'sched: busy-poll the tx queue (debug, reverted next)';
export const SPIKE_REVERT_SUBJECT = 'Revert "sched: busy-poll the tx queue (debug, reverted next)"';

export interface SweepRepoOptions {
  /** Commits made at creation (default 150). */
  readonly commits?: number;
  /** Index of the commit that lowers the level by `stepDrop` for good (default 97). */
  readonly step?: number;
  readonly stepDrop?: number;
  /** Index of the commit measured ×`spikeFactor`, reverted by the next one (default 40; null: none). */
  readonly spike?: number | null;
  readonly spikeFactor?: number;
}

export interface SweepRepo {
  /** Temporary directory holding the repository and kbisect's data and cache dirs. */
  readonly dir: string;
  readonly repo: string;
  /** Every commit, oldest first: shas[i] is commit #i (#0 the root). */
  readonly shas: string[];
  readonly step: number;
  readonly spike: number | null;
  /** KBISECT_DATA_DIR / KBISECT_CACHE_DIR for a fresh kbisect store under `dir`. */
  freshEnv(name: string): { KBISECT_DATA_DIR: string; KBISECT_CACHE_DIR: string };
  /** Appends `count` commits on the branch (the level as at its head); returns their shas. */
  addCommits(count: number): string[];
  git(...args: string[]): string;
  remove(): void;
}

// The level commit #i leaves in the tree.
function levelAt(i: number, o: Required<SweepRepoOptions>): number {
  if (o.spike !== null && i === o.spike) return Math.round(BASE_LEVEL * (i >= o.step ? 1 - o.stepDrop : 1) * o.spikeFactor);
  return Math.round(BASE_LEVEL * (i >= o.step ? 1 - o.stepDrop : 1));
}

function subjectAt(i: number, o: Required<SweepRepoOptions>): string {
  if (i === 0) return 'bench: add the benchmark';
  if (i === o.step) return STEP_SUBJECT;
  if (o.spike !== null && i === o.spike) return SPIKE_SUBJECT;
  if (o.spike !== null && i === o.spike + 1) return SPIKE_REVERT_SUBJECT;
  return `docs: note ${i}`;
}

// Makes the repository in a fresh temporary directory (git runs with a fixed identity and dates).
export function makeSweepRepo(opts: SweepRepoOptions = {}): SweepRepo {
  const o: Required<SweepRepoOptions> = {
    commits: opts.commits ?? 150,
    step: opts.step ?? 97,
    stepDrop: opts.stepDrop ?? 0.15,
    spike: opts.spike === undefined ? 40 : opts.spike,
    spikeFactor: opts.spikeFactor ?? 0.6,
  };
  const dir = makeTempDir('sweep-repo');
  const repo = join(dir, 'repo');
  const git = (...args: string[]): string =>
    execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir } }).trim();
  execFileSync('git', ['init', '-q', '-b', 'master', repo]);
  const shas: string[] = [];

  // one fast-import stream for `count` commits starting at #first; dates one minute apart from 2024-01-01
  const importCommits = (first: number, count: number): string[] => {
    const t0 = Date.UTC(2024, 0, 1) / 1000;
    const parts: string[] = [];
    for (let i = first; i < first + count; i++) {
      const when = `${t0 + i * 60} +0000`;
      const msg = `${subjectAt(i, o)}\n`;
      const notes = `note ${i}\n`;
      const level = `${levelAt(i, o)}\n`;
      parts.push(`commit refs/heads/master\nmark :${i + 1}\n`);
      parts.push(`author Ada Netdev <ada@example.org> ${when}\ncommitter Ada Netdev <ada@example.org> ${when}\n`);
      parts.push(`data ${Buffer.byteLength(msg)}\n${msg}`);
      if (i === first && first > 0) parts.push(`from refs/heads/master^0\n`);
      if (i === 0) parts.push(`M 100755 inline bench.sh\ndata ${Buffer.byteLength(SWEEP_BENCH)}\n${SWEEP_BENCH}\n`);
      parts.push(`M 100644 inline level\ndata ${Buffer.byteLength(level)}\n${level}\n`);
      parts.push(`M 100644 inline NOTES\ndata ${Buffer.byteLength(notes)}\n${notes}\n`);
    }
    parts.push('done\n');
    execFileSync('git', ['-C', repo, 'fast-import', '--quiet', '--done'], { input: parts.join(''), encoding: 'utf8' });
    const added = git('rev-list', '--reverse', `--max-count=${count}`, 'master').split('\n');
    git('reset', '-q', '--hard', 'master');
    return added;
  };

  shas.push(...importCommits(0, o.commits));
  return {
    dir,
    repo,
    shas,
    step: o.step,
    spike: o.spike,
    freshEnv: (name) => ({ KBISECT_DATA_DIR: join(dir, `${name}-data`), KBISECT_CACHE_DIR: join(dir, `${name}-cache`) }),
    addCommits(count) {
      const added = importCommits(shas.length, count);
      shas.push(...added);
      return added;
    },
    git,
    remove: () => removeTempDir(dir),
  };
}
