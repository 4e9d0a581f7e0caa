// What Slurm says about a job: `scontrol show job -o ID` (one line of
// Key=Value pairs; Slurm 22.05 has no --json there) and `squeue -h -o FORMAT`
// (squeue --json ignores -j/-t in 22.05). Pure parsers, fed recorded output.

export type JobPhase = 'queued' | 'running' | 'ended';

export interface JobStatus {
  jobId: string;
  // Slurm's JobState word: PENDING, RUNNING, COMPLETED, CANCELLED, TIMEOUT, NODE_FAIL, ...
  state: string;
  phase: JobPhase;
  reason: string | null;
  // the script's exit status and the signal that ended it ("ExitCode=0:15": killed by signal 15)
  exitCode: number | null;
  exitSignal: number | null;
  // where it ran (null until it started)
  node: string | null;
}

// Slurm's job states (squeue(1), JOB STATE CODES), by whether the job can still produce a result.
const QUEUED = new Set(['PENDING', 'REQUEUED', 'REQUEUE_FED', 'REQUEUE_HOLD', 'RESV_DEL_HOLD', 'SUSPENDED', 'CONFIGURING', 'RESIZING', 'SPECIAL_EXIT']);
const RUNNING = new Set(['RUNNING', 'COMPLETING', 'SIGNALING', 'STAGE_OUT', 'STOPPED']);

// queued / running / ended from a JobState word ("CANCELLED by 0" reads as CANCELLED).
export function phaseOf(state: string): JobPhase {
  const word = state.split(/\s+/)[0]?.replace(/\+$/, '') ?? '';
  if (QUEUED.has(word)) return 'queued';
  if (RUNNING.has(word)) return 'running';
  return 'ended';
}

// Splits `Key=Value Key=Value ...`; values never hold spaces in -o output except the trailing free-text keys.
export function parseKeyValues(line: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const token of line.trim().split(/\s+/)) {
    const eq = token.indexOf('=');
    if (eq <= 0) continue;
    const key = token.slice(0, eq);
    if (!out.has(key)) out.set(key, token.slice(eq + 1));
  }
  return out;
}

const nullish = (v: string | undefined): string | null => (v === undefined || v === '' || v === '(null)' || v === 'None' ? null : v);

// One job from `scontrol show job -o ID`; null when the line is not a job record.
export function parseScontrolJob(line: string): JobStatus | null {
  const kv = parseKeyValues(line);
  const jobId = kv.get('JobId');
  const state = kv.get('JobState');
  if (jobId === undefined || !/^\d+$/.test(jobId) || state === undefined) return null;
  const exit = /^(\d+):(\d+)$/.exec(kv.get('ExitCode') ?? '');
  return {
    jobId,
    state,
    phase: phaseOf(state),
    reason: nullish(kv.get('Reason')),
    exitCode: exit ? Number(exit[1]) : null,
    exitSignal: exit && exit[2] !== '0' ? Number(exit[2]) : null,
    node: nullish(kv.get('BatchHost')) ?? nullish(kv.get('NodeList')),
  };
}

// scontrol's answer for a job it no longer (or never) knew: finished longer than MinJobAge ago.
export function isUnknownJobError(stderr: string): boolean {
  return /Invalid job id specified/i.test(stderr);
}

// The squeue format kbisect asks for: id|state|name|reason|nodes.
export const SQUEUE_FORMAT = '%i|%T|%j|%r|%N';

export interface QueueEntry {
  jobId: string;
  state: string;
  phase: JobPhase;
  name: string;
  reason: string | null;
  node: string | null;
}

// `squeue -h -o SQUEUE_FORMAT` lines (queued and running jobs only; ended ones are left out).
export function parseSqueue(stdout: string): QueueEntry[] {
  const out: QueueEntry[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const [jobId, state, name, reason, node] = line.split('|');
    if (jobId === undefined || !/^\d+(_\d+)?$/.test(jobId.trim()) || state === undefined) continue;
    out.push({ jobId: jobId.trim(), state, phase: phaseOf(state), name: name ?? '', reason: nullish(reason), node: nullish(node) });
  }
  return out;
}

export interface PartitionInfo {
  name: string;
  isDefault: boolean;
  available: boolean;
  nodes: number;
  states: string[];
}

// The sinfo format kbisect asks for: partition (default marked *)|avail|nodes|state|nodelist.
export const SINFO_FORMAT = '%P|%a|%D|%t|%N';

// `sinfo -h -o SINFO_FORMAT`: one line per (partition, node state); merged per partition.
export function parseSinfoPartitions(stdout: string): PartitionInfo[] {
  const byName = new Map<string, PartitionInfo>();
  for (const line of stdout.split('\n')) {
    const [rawName, avail, count, state] = line.trim().split('|');
    if (!rawName || avail === undefined) continue;
    const name = rawName.replace(/\*$/, '');
    const p = byName.get(name) ?? { name, isDefault: rawName.endsWith('*'), available: avail === 'up', nodes: 0, states: [] };
    p.nodes += Number(count) || 0;
    if (state !== undefined && !p.states.includes(state)) p.states.push(state);
    byName.set(name, p);
  }
  return [...byName.values()];
}

// `sinfo -h -N -o %N|%P|%t`: the nodes and the partitions each is in.
export function parseSinfoNodes(stdout: string): { node: string; partition: string; state: string }[] {
  return stdout
    .split('\n')
    .map((l) => l.trim().split('|'))
    .filter((f): f is [string, string, string] => f.length >= 3 && f[0] !== '')
    .map(([node, partition, state]) => ({ node, partition: partition.replace(/\*$/, ''), state }));
}
