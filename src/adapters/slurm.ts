// The Slurm client commands (sbatch, scontrol, squeue, scancel, sinfo) as
// data run through adapters/exec, the files a job shares with kbisect (its
// script, its result, the jobs log), and the ccache remote storage ping.
// Builders and parsers live in core/slurm; nothing here decides a verdict.
import { randomUUID } from 'node:crypto';
import { chmod, copyFile, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProcessError, UserError, tailLines } from '../core/errors.ts';
import { buildSbatchArgs, parseSbatchParsable, type SbatchSpec } from '../core/slurm/sbatch.ts';
import {
  SINFO_FORMAT,
  SQUEUE_FORMAT,
  isUnknownJobError,
  parseScontrolJob,
  parseSinfoNodes,
  parseSinfoPartitions,
  parseSqueue,
  type JobStatus,
  type PartitionInfo,
  type QueueEntry,
} from '../core/slurm/job-state.ts';
import { SAMPLE_FILES, parseSampleJobResult, type SampleJobResult } from '../core/slurm/job-script.ts';
import { parseJobRecord, type JobRecord } from '../core/slurm/jobs-log.ts';
import type { WorkerKbisect } from '../core/slurm/kernel-job.ts';
import { sha256File, sha256Hex } from './digest.ts';
import { describeFailure, runCommand, type CommandSpec } from './exec.ts';
import { appendJsonl, readJsonl } from './store.ts';

// Slurm clients retry an unreachable controller for a long time; kbisect waits this long for one answer.
const CLIENT_TIMEOUT_MS = 60_000;
const HINT = 'is the controller up and SLURM_CONF set? kbisect doctor --executor slurm checks; scripts/slurm-local.sh start brings up a local one';

export function sbatchCommand(spec: SbatchSpec): CommandSpec {
  return { file: 'sbatch', args: buildSbatchArgs(spec), timeoutMs: CLIENT_TIMEOUT_MS };
}

// Submits one job; its id, or a ProcessError with sbatch's own words.
export async function submitJob(spec: SbatchSpec): Promise<string> {
  const cmd = sbatchCommand(spec);
  const r = await runCommand(cmd, { reject: false });
  const parsed = r.exitCode === 0 ? parseSbatchParsable(r.stdout) : null;
  if (parsed === null) {
    throw r.exitCode === 0
      ? new ProcessError({ message: `sbatch printed no job id: expected "ID" or "ID;CLUSTER", got ${JSON.stringify(r.stdout.trim().slice(0, 80))}`, command: r.command, exitCode: 0, stderrTail: tailLines(r.stderr, 5) })
      : describeFailure(cmd, r, HINT);
  }
  return parsed.jobId;
}

// What Slurm knows of a job now; 'unknown' once it left the controller's memory (MinJobAge after its end).
export async function queryJob(jobId: string): Promise<JobStatus | 'unknown'> {
  const cmd: CommandSpec = { file: 'scontrol', args: ['show', 'job', '-o', jobId], timeoutMs: CLIENT_TIMEOUT_MS };
  const r = await runCommand(cmd, { reject: false });
  if (r.exitCode !== 0) {
    if (isUnknownJobError(r.stderr) || isUnknownJobError(r.stdout)) return 'unknown';
    throw describeFailure(cmd, r, HINT);
  }
  const status = parseScontrolJob(r.stdout.split('\n')[0] ?? '');
  if (status === null) throw new ProcessError({ message: `scontrol show job ${jobId}: expected a JobId=... JobState=... line, got ${JSON.stringify(r.stdout.slice(0, 120))}`, command: r.command });
  return status;
}

// Cancels jobs (quietly skips those already gone); whileStopping: allowed during Ctrl-C.
export async function cancelJobs(jobIds: readonly string[], opts: { whileStopping?: boolean } = {}): Promise<void> {
  if (jobIds.length === 0) return;
  await runCommand({ file: 'scancel', args: [...jobIds], timeoutMs: CLIENT_TIMEOUT_MS }, { reject: false, ...(opts.whileStopping ? { whileStopping: true } : {}) });
}

// Queued and running jobs, optionally only those named `name`.
export async function listQueue(name?: string): Promise<QueueEntry[]> {
  const cmd: CommandSpec = { file: 'squeue', args: ['-h', '-o', SQUEUE_FORMAT, ...(name === undefined ? [] : [`--name=${name}`])], timeoutMs: CLIENT_TIMEOUT_MS };
  const r = await runCommand(cmd, { reject: false });
  if (r.exitCode !== 0) throw describeFailure(cmd, r, HINT);
  return parseSqueue(r.stdout);
}

// `scontrol ping`: the controller's own answer ("Slurmctld(primary) at HOST is UP"), or why not.
export async function pingController(timeoutMs = 20_000): Promise<{ up: boolean; detail: string }> {
  try {
    const r = await runCommand({ file: 'scontrol', args: ['ping'], timeoutMs }, { reject: false });
    const text = `${r.stdout}${r.stderr}`.trim().split('\n').slice(-2).join(' ');
    return { up: r.exitCode === 0 && /is UP/.test(r.stdout), detail: r.timedOut ? `no answer within ${timeoutMs / 1000} s` : text };
  } catch (error) {
    return { up: false, detail: (error as Error).message };
  }
}

// The partitions and nodes the controller knows.
export async function listPartitions(): Promise<{ partitions: PartitionInfo[]; nodes: { node: string; partition: string; state: string }[] }> {
  const p = await runCommand({ file: 'sinfo', args: ['-h', '-o', SINFO_FORMAT], timeoutMs: CLIENT_TIMEOUT_MS });
  const n = await runCommand({ file: 'sinfo', args: ['-h', '-N', '-o', '%N|%P|%t'], timeoutMs: CLIENT_TIMEOUT_MS });
  return { partitions: parseSinfoPartitions(p.stdout), nodes: parseSinfoNodes(n.stdout) };
}

// Extracts the tree of `sha` into `dir` (in the shared directory) once: a
// temporary directory renamed into place, so a worker never sees half a tree.
export async function exportTree(repo: string, sha: string, dir: string, signal?: AbortSignal): Promise<void> {
  if (await isDirectory(dir)) return;
  // unique per call: two measurement hosts of one run may export the same commit at once
  const tmp = `${dir}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`;
  await mkdir(tmp, { recursive: true });
  const cmd: CommandSpec = { file: 'bash', args: ['-c', 'set -o pipefail; git -C "$1" archive --format=tar "$2" | tar -x -C "$3"', 'kbisect-export', repo, sha, tmp] };
  const r = await runCommand(cmd, { reject: false, ...(signal ? { signal } : {}) });
  if (r.exitCode !== 0) {
    await rm(tmp, { recursive: true, force: true });
    throw describeFailure(cmd, r, `could not write the tree of ${sha.slice(0, 12)} into the shared directory`);
  }
  try {
    await rename(tmp, dir);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    // another kbisect put the same tree there first
    if (!(await isDirectory(dir))) throw error;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

// Writes a job's script (mode 700) into its directory, creating the directory.
export async function writeJobScript(jobDir: string, script: string): Promise<string> {
  await mkdir(jobDir, { recursive: true });
  const path = join(jobDir, 'job.sh');
  await writeFile(path, script, { mode: 0o700 });
  return path;
}

export interface SampleFiles {
  // null: the job left no result (it never ran, or died before its last line)
  result: SampleJobResult | null;
  stdoutTail: string;
  // bytes of stdout before the tail (the tail's first line may be cut)
  stdoutDropped: number;
  stderrTail: string;
}

// Reads a job's result and the ends of its output.
export async function readSampleFiles(jobDir: string, tailBytes: number): Promise<SampleFiles> {
  let result: SampleJobResult | null = null;
  try {
    result = parseSampleJobResult(await readFile(join(jobDir, SAMPLE_FILES.result), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const out = await readTail(join(jobDir, SAMPLE_FILES.stdout), tailBytes);
  const err = await readTail(join(jobDir, SAMPLE_FILES.stderr), tailBytes);
  return { result, stdoutTail: out.text, stdoutDropped: out.dropped, stderrTail: err.text };
}

// True once the job's result file exists (cheap: one stat).
export async function hasSampleResult(jobDir: string): Promise<boolean> {
  try {
    await stat(join(jobDir, SAMPLE_FILES.result));
    return true;
  } catch {
    return false;
  }
}

async function readTail(path: string, limit: number): Promise<{ text: string; dropped: number }> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return { text: '', dropped: 0 };
  }
  try {
    const size = (await fh.stat()).size;
    const start = Math.max(0, size - limit);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    return { text: buf.toString('utf8'), dropped: start };
  } finally {
    await fh.close();
  }
}

// The jobs log beside the session's event log.
export function jobsLogPath(sessionDir: string): string {
  return join(sessionDir, 'slurm-jobs.jsonl');
}

export async function appendJobRecord(path: string, record: JobRecord): Promise<void> {
  await appendJsonl(path, record);
}

// Every record kbisect can use; records of an unknown shape are skipped (the log only helps re-attaching).
export async function readJobRecords(path: string): Promise<JobRecord[]> {
  const { records } = await readJsonl(path);
  return records.map((r) => parseJobRecord(r.value)).filter((r): r is JobRecord => r !== null);
}

// Sends PING to a redis://HOST[:PORT] ccache storage; true on +PONG.
export async function pingRedis(url: string, timeoutMs = 3000): Promise<{ ok: boolean; detail: string }> {
  const m = /^redis:\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?/.exec(url);
  if (!m || m[1] === undefined) throw new UserError(`expected a redis://HOST[:PORT] URL, got ${JSON.stringify(url)}`);
  const host = m[1].replace(/^\[|\]$/g, '');
  const port = m[2] === undefined ? 6379 : Number(m[2]);
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = '';
    const done = (ok: boolean, detail: string): void => {
      socket.destroy();
      resolve({ ok, detail });
    };
    socket.setTimeout(timeoutMs, () => done(false, `no answer from ${host}:${port} within ${timeoutMs} ms`));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      reply += d.toString('utf8');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'), `${host}:${port} answered ${JSON.stringify(reply.trim())}`);
    });
    socket.on('error', (e) => done(false, `${host}:${port}: ${e.message}`));
  });
}

// Reads a whole job output file up to `maxBytes` (a larger one is not what kbisect wrote: null).
export async function readJobOutput(jobDir: string, maxBytes: number): Promise<string | null> {
  const path = join(jobDir, SAMPLE_FILES.stdout);
  try {
    if ((await stat(path)).size > maxBytes) return null;
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

// Writes `text` once under a name made of its hash (profiles, config
// fragments): a worker never sees a half-written file, two runs share one.
export async function writeSharedFile(dir: string, text: string, ext: string): Promise<string> {
  const path = join(dir, `${sha256Hex(text).slice(0, 16)}${ext}`);
  if (await isFile(path)) return path;
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
  return path;
}

// Copies a file (a kernel image) once into the shared directory as dir/name,
// the name made of its content's hash by the caller: a worker never sees half a copy.
export async function copySharedFile(source: string, dir: string, name: string): Promise<string> {
  const path = join(dir, name);
  if (await isFile(path)) return path;
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await copyFile(source, tmp);
  await rename(tmp, path);
  return path;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function runningAsSingleExecutable(): boolean {
  try {
    return (createRequire(import.meta.url)('node:sea') as { isSea(): boolean }).isSea();
  } catch {
    return false;
  }
}

// The kbisect this process is: the single executable, else the bundle it runs
// from with dist/kbisect beside it when that is not older than the bundle (a
// stale executable would run old code on the workers). KBISECT_WORKER_KBISECT
// names another one (a .mjs bundle or an executable).
async function locateSelf(): Promise<{ executable: string | null; bundle: string | null; why: string }> {
  const given = process.env.KBISECT_WORKER_KBISECT;
  if (given !== undefined && given !== '') {
    const path = resolve(given);
    if (!(await isFile(path))) throw new UserError(`KBISECT_WORKER_KBISECT: expected a kbisect executable or .mjs bundle, got ${JSON.stringify(given)}, which is not a file`, 'unset it, or point it at dist/kbisect (npm run build)');
    return path.endsWith('.mjs') ? { executable: null, bundle: path, why: 'KBISECT_WORKER_KBISECT' } : { executable: path, bundle: null, why: 'KBISECT_WORKER_KBISECT' };
  }
  if (runningAsSingleExecutable()) return { executable: process.execPath, bundle: null, why: 'this single executable' };
  const candidates = [process.argv[1], fileURLToPath(import.meta.url)].filter((p): p is string => p !== undefined && p.endsWith('.mjs'));
  const bundle = candidates[0] === undefined ? null : resolve(candidates[0]);
  if (bundle === null) throw new UserError('cannot tell which kbisect the Slurm workers should run: this process is neither dist/kbisect nor dist/kbisect.mjs', 'run the built kbisect (npm run build), or set KBISECT_WORKER_KBISECT=/path/to/kbisect');
  const sea = join(dirname(bundle), 'kbisect');
  const [seaStat, bundleStat] = await Promise.all([stat(sea).catch(() => null), stat(bundle)]);
  if (seaStat?.isFile() === true && seaStat.mtimeMs >= bundleStat.mtimeMs) return { executable: sea, bundle: null, why: `${sea}, beside the running bundle` };
  return { executable: null, bundle, why: seaStat === null ? `no ${sea}: node and the bundle` : `${sea} is older than ${bundle}: node and the bundle` };
}

// Copies kbisect once into <sharedDir>/kbisect/bin under a name made of its
// hash (two versions never collide; a worker never runs a half-copied file)
// and says how a worker starts it.
export async function stageWorkerKbisect(sharedDir: string): Promise<WorkerKbisect & { detail: string }> {
  const self = await locateSelf();
  const source = self.executable ?? self.bundle;
  if (source === null) throw new UserError('no kbisect to copy to the workers', 'npm run build');
  const hash = (await sha256File(source)).slice(0, 16);
  const target = join(sharedDir, 'kbisect', 'bin', `kbisect-${hash}${self.executable === null ? '.mjs' : ''}`);
  if (!(await isFile(target))) {
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${process.pid}`;
    await copyFile(source, tmp);
    await chmod(tmp, 0o755);
    await rename(tmp, target);
  }
  return self.executable === null
    ? { kind: 'node-bundle', argv: [process.execPath, target], detail: `${process.execPath} ${target} (${self.why})` }
    : { kind: 'executable', argv: [target], detail: `${target} (${self.why})` };
}
