// The script of one generic-mode sample job. Written into the shared
// directory and given to sbatch as a file: every value in it (paths, the
// commit, the user's command) is one single-quoted shell word, so nothing
// in them is ever parsed by the shell that runs the script.

// POSIX single quoting: the only character that needs care inside '...' is ' itself.
export function quoteShellWord(word: string): string {
  if (word.includes('\0')) throw new TypeError('Expected a shell word without NUL bytes, got one with a NUL byte.');
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface SampleJobSpec {
  // the checkout of the commit, in the shared directory
  tree: string;
  // the job's directory: stdout, stderr, result.json land here
  jobDir: string;
  commit: string;
  // the user's command line, run with `bash -c` as in local mode
  command: string;
  timeoutS: number;
}

// What the job leaves in its directory, in order of writing; result.json last, by rename.
export const SAMPLE_FILES = { stdout: 'stdout', stderr: 'stderr', result: 'result.json' } as const;

// SIGTERM → SIGKILL delay for a timed-out command (as local mode's grace period).
const KILL_AFTER_S = 2;

// A bash script that runs the command once under `timeout` (which signals its
// whole process group) and writes {exitCode, durationMs, timedOut} atomically.
export function buildSampleJobScript(spec: SampleJobSpec): string {
  if (!Number.isFinite(spec.timeoutS) || spec.timeoutS <= 0) throw new TypeError(`Expected the \`timeoutS\` option to be a positive number, got \`${spec.timeoutS}\`.`);
  const q = quoteShellWord;
  const timeoutS = Math.ceil(spec.timeoutS);
  return [
    '#!/bin/bash',
    `# kbisect: one sample of commit ${spec.commit.replace(/[^0-9a-f]/g, '')} (generated; every value below is a quoted word)`,
    'set -u',
    `job=${q(spec.jobDir)}`,
    `cd -- ${q(spec.tree)} || exit 97`,
    `export KBISECT_COMMIT=${q(spec.commit)}`,
    'start=$(date +%s%N)',
    `timeout --kill-after=${KILL_AFTER_S} ${timeoutS} bash -c ${q(spec.command)} >"$job/${SAMPLE_FILES.stdout}" 2>"$job/${SAMPLE_FILES.stderr}" </dev/null`,
    'rc=$?',
    'ms=$(( ($(date +%s%N) - start) / 1000000 ))',
    // timeout(1) exits 124 when it sent the signal, 137 when it had to SIGKILL
    `timed=false; if { [ $rc = 124 ] || [ $rc = 137 ]; } && [ $ms -ge ${timeoutS * 1000} ]; then timed=true; fi`,
    `printf '{"exitCode":%d,"durationMs":%d,"timedOut":%s,"node":"%s"}\\n' "$rc" "$ms" "$timed" "$(printf %s "\${SLURMD_NODENAME:-$(hostname -s)}" | tr -dc 'A-Za-z0-9._-')" >"$job/${SAMPLE_FILES.result}.tmp"`,
    `mv -f -- "$job/${SAMPLE_FILES.result}.tmp" "$job/${SAMPLE_FILES.result}"`,
    '',
  ].join('\n');
}

export interface SampleJobResult {
  exitCode: number;
  durationMs: number;
  timedOut: boolean;
  node: string | null;
}

// result.json as the job wrote it; null for anything else (a job that died before writing it has no result).
export function parseSampleJobResult(text: string): SampleJobResult | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  if (!Number.isInteger(r.exitCode) || typeof r.durationMs !== 'number' || typeof r.timedOut !== 'boolean') return null;
  return { exitCode: r.exitCode as number, durationMs: r.durationMs, timedOut: r.timedOut, node: typeof r.node === 'string' && r.node !== '' ? r.node : null };
}
