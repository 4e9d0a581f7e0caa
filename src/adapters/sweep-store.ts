// A sweep's files under the data dir, one directory per sweep:
//   sweep.json           what is measured how (atomic)
//   state.json           branch heads seen, reference commit per series (atomic)
//   runs.jsonl           one line when a run starts and one when it ends (append)
//   commits.jsonl        each commit the sweep touched, with its order (append)
//   results/HOST/SHA.jsonl  every boot of that commit on that host (append, fsync'd)
//   alerts.json          the alert list (atomic)
//   bisections/ID/       the bisection session of an alert
// "Already measured" is read from results/, never from a counter. Appends
// follow the bisection log's discipline (fsync per record, a torn tail cut
// aside); whole-file state is replaced atomically; everything read is
// validated (core/sweep/store-schema.ts).
import { readdir, readFile, rename, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { sha256Hex } from './digest.ts';
import { UserError } from '../core/errors.ts';
import type { Parsed } from '../core/session.ts';
import {
  HOST_ID,
  parseAlertList,
  parseSweepBootRecord,
  parseSweepCommit,
  parseSweepDefinition,
  parseSweepRunRecord,
  parseSweepState,
  type AlertRecord,
  type SweepDefinition,
  type SweepRunRecord,
  type SweepState,
} from '../core/sweep/store-schema.ts';
import type { SweepCommit } from '../core/sweep/series.ts';
import type { SweepBootRecord } from '../core/sweep/types.ts';
import { dataDir } from './paths.ts';
import { appendJsonl, exists, readJsonl, writeFileAtomic } from './store.ts';

export interface SweepPaths {
  dir: string;
  definition: string;
  state: string;
  runs: string;
  commits: string;
  results: string;
  alerts: string;
  bisections: string;
  archive: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

// Checks a --sweep name before it becomes part of a path.
export function checkSweepName(name: string): void {
  if (!NAME.test(name)) throw new UserError(`--sweep: expected a name of letters, digits, '.', '_' or '-' (at most 64), got ${JSON.stringify(name)}`, 'e.g. --sweep nightly');
}

// The directory of sweep `name` of the repository whose git dir is `gitDir` (absolute, resolved).
export function sweepPaths(gitDir: string, name: string, root = dataDir()): SweepPaths {
  checkSweepName(name);
  const repoName = basename(gitDir === '' ? 'repo' : gitDir.replace(/\/\.git\/?$/, '')).replace(/[^A-Za-z0-9_.-]/g, '_') || 'repo';
  const dir = join(root, 'sweeps', `${repoName}-${sha256Hex(gitDir).slice(0, 10)}`, name);
  return {
    dir,
    definition: join(dir, 'sweep.json'),
    state: join(dir, 'state.json'),
    runs: join(dir, 'runs.jsonl'),
    commits: join(dir, 'commits.jsonl'),
    results: join(dir, 'results'),
    alerts: join(dir, 'alerts.json'),
    bisections: join(dir, 'bisections'),
    archive: join(dir, '..', '.archive', name),
  };
}

const RESET_HINT = 'kbisect sweep reset moves the sweep aside (nothing is deleted) so that it can start again';

async function readJsonFile<T>(path: string, parse: (raw: unknown) => Parsed<T>): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UserError(`${path} is damaged: expected a JSON object, got ${text.length} bytes that do not parse`, RESET_HINT);
  }
  const parsed = parse(raw);
  if (!parsed.ok) throw new UserError(`${path} is damaged: ${parsed.problem}`, RESET_HINT);
  return parsed.value;
}

async function readRecords<T>(path: string, parse: (raw: unknown) => Parsed<T>, warnings: string[]): Promise<T[]> {
  const hint = `fix or remove that line (a copy keeps the rest), or ${RESET_HINT}`;
  const { records, truncatedTail } = await readJsonl(path, hint);
  if (truncatedTail !== null) warnings.push(`${path}: its last line (${truncatedTail.length} bytes) was cut short by a crash; it is ignored and moved aside at the next write`);
  return records.map(({ line, value }) => {
    const parsed = parse(value);
    if (!parsed.ok) throw new UserError(`${path}:${line}: not a sweep record: ${parsed.problem}`, hint);
    return parsed.value;
  });
}

export const readDefinition = (p: SweepPaths): Promise<SweepDefinition | null> => readJsonFile(p.definition, parseSweepDefinition);
export const writeDefinition = (p: SweepPaths, d: SweepDefinition): Promise<void> => writeFileAtomic(p.definition, `${JSON.stringify(d, null, 2)}\n`);

const EMPTY_STATE: SweepState = { v: 1, heads: [], references: {} };
export async function readState(p: SweepPaths): Promise<SweepState> {
  return (await readJsonFile(p.state, parseSweepState)) ?? EMPTY_STATE;
}
export const writeState = (p: SweepPaths, s: SweepState): Promise<void> => writeFileAtomic(p.state, `${JSON.stringify(s, null, 2)}\n`);

export async function readAlerts(p: SweepPaths): Promise<AlertRecord[]> {
  return (await readJsonFile(p.alerts, parseAlertList))?.alerts ?? [];
}
export const writeAlerts = (p: SweepPaths, alerts: readonly AlertRecord[]): Promise<void> => writeFileAtomic(p.alerts, `${JSON.stringify({ v: 1, alerts }, null, 2)}\n`);

export const readRuns = (p: SweepPaths, warnings: string[] = []): Promise<SweepRunRecord[]> => readRecords(p.runs, parseSweepRunRecord, warnings);
export async function appendRun(p: SweepPaths, r: SweepRunRecord): Promise<void> {
  await appendJsonl(p.runs, r);
}

// Every commit the sweep touched; a sha seen twice keeps its first record (its first history).
export async function readCommits(p: SweepPaths, warnings: string[] = []): Promise<SweepCommit[]> {
  const seen = new Map<string, SweepCommit>();
  for (const c of await readRecords(p.commits, parseSweepCommit, warnings)) if (!seen.has(c.sha)) seen.set(c.sha, c);
  return [...seen.values()];
}
export async function appendCommit(p: SweepPaths, c: SweepCommit): Promise<void> {
  await appendJsonl(p.commits, c);
}

function resultsFile(p: SweepPaths, hostId: string, sha: string): string {
  if (!HOST_ID.test(hostId) || !/^[0-9a-f]{40,64}$/.test(sha)) throw new UserError(`refusing a results path for host ${JSON.stringify(hostId)} and commit ${JSON.stringify(sha)}`);
  return join(p.results, hostId, `${sha}.jsonl`);
}

// Appends one boot record to results/HOST/SHA.jsonl, fsync'd before it returns.
export async function appendBootRecord(p: SweepPaths, r: SweepBootRecord): Promise<void> {
  await appendJsonl(resultsFile(p, r.host.id, r.sha), r);
}

// Every boot record of every host; a record filed under the wrong name is refused (copied or edited files).
export async function readBootRecords(p: SweepPaths, warnings: string[] = []): Promise<SweepBootRecord[]> {
  let hosts: string[];
  try {
    hosts = await readdir(p.results);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const out: SweepBootRecord[] = [];
  for (const host of hosts.sort()) {
    if (!HOST_ID.test(host)) continue;
    const files = (await readdir(join(p.results, host))).filter((f) => /^[0-9a-f]{40,64}\.jsonl$/.test(f)).sort();
    for (const f of files) {
      const path = join(p.results, host, f);
      for (const r of await readRecords(path, parseSweepBootRecord, warnings)) {
        if (r.host.id !== host || `${r.sha}.jsonl` !== f) throw new UserError(`${path}: holds a record of host ${r.host.id} commit ${r.sha.slice(0, 12)}, not of the file's own`, RESET_HINT);
        out.push(r);
      }
    }
  }
  return out;
}

// Directory of an alert's bisection session.
export function bisectionDirOf(p: SweepPaths, id: string): string {
  if (!/^[0-9a-f]{16}$/.test(id)) throw new UserError(`refusing a bisection directory named ${JSON.stringify(id)}`);
  return join(p.bisections, id);
}

// Moves the whole sweep aside (reset: nothing measured is deleted); null when there was none.
export async function archiveSweep(p: SweepPaths): Promise<string | null> {
  if (!(await exists(p.dir))) return null;
  const target = join(p.archive, `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  await mkdir(p.archive, { recursive: true });
  await rename(p.dir, target);
  return target;
}
