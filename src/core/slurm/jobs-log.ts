// The jobs log beside a session's event log (slurm-jobs.jsonl): every job id
// is appended when sbatch returns it, before kbisect waits for it, and its end
// when kbisect has dealt with it. After kill -9, the jobs submitted but never
// ended are the ones to re-attach to instead of submitting them again.

export type JobEndKind =
  // its result was recorded as a sample, a skip or a failure of the commit
  | 'sample'
  // a build job left its kernel (or the commit's build failure) in the shared kernel cache
  | 'built'
  | 'skip'
  | 'failed'
  // it ended without a result (scancel, node failure, time limit): not evidence, submitted again
  | 'infra'
  // kbisect cancelled it (Ctrl-C, a skip or failure made the rest unnecessary, another commit is measured now)
  | 'cancelled';

// What a job does: a generic-mode sample (the default of older logs), a kernel build, a kernel measurement.
export type JobRole = 'sample' | 'build' | 'measure';
const ROLES: readonly string[] = ['sample', 'build', 'measure'] satisfies JobRole[];

export type JobRecord =
  // node: the one node the job was pinned to (several measurement hosts: each host re-attaches only its own)
  | { kind: 'submitted'; jobId: string; commit: string; jobDir: string; at: string; role?: JobRole; node?: string }
  | { kind: 'reattached'; jobId: string; state: string; at: string }
  | { kind: 'ended'; jobId: string; as: JobEndKind; state: string | null; reason: string | null; at: string };

export interface OpenJob {
  jobId: string;
  commit: string;
  jobDir: string;
  role: JobRole;
  node?: string;
}

// Reads one record (null for anything that is not one: the log is advisory, never fatal).
export function parseJobRecord(raw: unknown): JobRecord | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const str = (k: string): string | null => (typeof r[k] === 'string' ? (r[k] as string) : null);
  const jobId = str('jobId');
  const at = str('at') ?? '';
  if (jobId === null || !/^\d+$/.test(jobId)) return null;
  switch (r.kind) {
    case 'submitted': {
      const commit = str('commit');
      const jobDir = str('jobDir');
      const role = str('role') ?? 'sample';
      const node = str('node');
      if (commit === null || jobDir === null || !ROLES.includes(role)) return null;
      return { kind: 'submitted', jobId, commit, jobDir, at, ...(role === 'sample' ? {} : { role: role as JobRole }), ...(node === null ? {} : { node }) };
    }
    case 'reattached':
      return { kind: 'reattached', jobId, state: str('state') ?? '', at };
    case 'ended': {
      const as = str('as');
      if (as === null || !['sample', 'built', 'skip', 'failed', 'infra', 'cancelled'].includes(as)) return null;
      return { kind: 'ended', jobId, as: as as JobEndKind, state: str('state'), reason: str('reason'), at };
    }
    default:
      return null;
  }
}

// Jobs submitted and never ended, in submission order.
export function openJobs(records: readonly JobRecord[]): OpenJob[] {
  const open = new Map<string, OpenJob>();
  for (const r of records) {
    if (r.kind === 'submitted') open.set(r.jobId, { jobId: r.jobId, commit: r.commit, jobDir: r.jobDir, role: r.role ?? 'sample', ...(r.node === undefined ? {} : { node: r.node }) });
    else if (r.kind === 'ended') open.delete(r.jobId);
  }
  return [...open.values()];
}

export interface JobCounts {
  submitted: number;
  reattached: number;
  samples: number;
  builds: number;
  infra: number;
  cancelled: number;
  open: number;
}

// Totals over the whole log (every run of the session): infra errors counted apart from samples.
export function countJobs(records: readonly JobRecord[]): JobCounts {
  const c: JobCounts = { submitted: 0, reattached: 0, samples: 0, builds: 0, infra: 0, cancelled: 0, open: openJobs(records).length };
  for (const r of records) {
    if (r.kind === 'submitted') c.submitted++;
    else if (r.kind === 'reattached') c.reattached++;
    else if (r.as === 'infra') c.infra++;
    else if (r.as === 'cancelled') c.cancelled++;
    else if (r.as === 'built') c.builds++;
    else c.samples++;
  }
  return c;
}
