// What `kbisect doctor --executor slurm` concludes from the facts gathered
// about a cluster: pure, so that a missing partition, a controller that does
// not answer or an unwritable shared directory can be checked without one.
import type { DoctorCheck } from '../doctor.ts';
import type { SlurmSettings } from '../host-config.ts';
import type { PartitionInfo } from './job-state.ts';

export const slurmTools = ['sbatch', 'squeue', 'scontrol', 'scancel', 'sinfo'] as const;
export type SlurmTool = (typeof slurmTools)[number];

export interface SlurmFacts {
  // null: host.yaml has no slurm: block
  settings: SlurmSettings | null;
  tools: Record<SlurmTool, string | null>;
  // null when not asked (a client is missing)
  controller: { up: boolean; detail: string } | null;
  partitions: PartitionInfo[] | null;
  nodes: { node: string; partition: string; state: string }[] | null;
  // null when not tried (no settings, or no controller)
  sharedDirJob: { ok: boolean; detail: string } | null;
  // null when no ccacheRemoteStorage is set
  ccache: { url: string; ok: boolean; detail: string } | null;
}

export interface SlurmDoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
}

const SETUP_FIX = 'apt-get install -y slurm-wlm munge (scripts/setup-host.sh), or a Slurm client configured for your cluster';
const LOCAL_FIX = 'a local test cluster: bash scripts/slurm-local.sh start, then eval "$(bash scripts/slurm-local.sh env)"';
// Node states in which a node takes jobs (sinfo %t; a trailing * means not responding).
const USABLE = /^(idle|mix|alloc|comp|completing|allocated|mixed)$/;

// Turns cluster facts into the doctor's table; `ok` only when every required check passed.
export function evaluateSlurm(f: SlurmFacts): SlurmDoctorReport {
  const checks: DoctorCheck[] = [];
  const s = f.settings;
  checks.push(
    s === null
      ? { id: 'slurm-settings', label: 'host.yaml slurm:', required: true, status: 'missing', detail: 'no slurm: block', fix: 'add slurm: {sharedDir: /srv/kbisect, buildPartition: build, perfPartition: perf} to host.yaml' }
      : {
          id: 'slurm-settings',
          label: 'host.yaml slurm:',
          required: true,
          status: 'ok',
          detail: `partitions ${s.buildPartition} (build), ${s.perfPartition} (perf); ${s.nodes ? (s.nodes.length > 1 ? `measurement nodes ${s.nodes.join(", ")} (a bisection measures on all at once)` : `measurement node ${s.nodes[0]}`) : s.constraint ? `constraint ${s.constraint}` : 'any perf node'}; shared ${s.sharedDir}`,
        },
  );
  const missingTools = slurmTools.filter((t) => f.tools[t] === null);
  checks.push(
    missingTools.length === 0
      ? { id: 'slurm-clients', label: 'Slurm clients', required: true, status: 'ok', detail: slurmTools.join(', ') }
      : { id: 'slurm-clients', label: 'Slurm clients', required: true, status: 'missing', detail: `not on PATH: ${missingTools.join(', ')}`, fix: SETUP_FIX },
  );
  if (f.controller !== null) {
    checks.push(
      f.controller.up
        ? { id: 'slurm-controller', label: 'slurmctld', required: true, status: 'ok', detail: f.controller.detail }
        : { id: 'slurm-controller', label: 'slurmctld', required: true, status: 'missing', detail: f.controller.detail || 'no answer', fix: `is SLURM_CONF set and the controller up? ${LOCAL_FIX}` },
    );
  }
  if (s !== null && f.partitions !== null) {
    for (const [role, name] of [
      ['build', s.buildPartition],
      ['perf', s.perfPartition],
    ] as const) {
      const p = f.partitions.find((x) => x.name === name);
      const id = `slurm-partition-${role}`;
      const label = `partition ${name}`;
      if (p === undefined) checks.push({ id, label, required: true, status: 'missing', detail: `no such partition (the controller has: ${f.partitions.map((x) => x.name).join(', ') || 'none'})`, fix: `set slurm.${role}Partition in host.yaml to one of them, or add the partition to slurm.conf` });
      else if (!p.available) checks.push({ id, label, required: true, status: 'missing', detail: 'partition is down', fix: `scontrol update partitionname=${name} state=up` });
      else if (!p.states.some((st) => USABLE.test(st))) checks.push({ id, label, required: true, status: 'warn', detail: `${p.nodes} node(s), none usable now (${p.states.join(', ')})`, fix: 'sinfo -R says why; scontrol update nodename=NODE state=resume' });
      else checks.push({ id, label, required: true, status: 'ok', detail: `${p.nodes} node(s): ${p.states.join(', ')}` });
    }
  }
  if (s?.nodes !== undefined && f.nodes !== null) {
    const perfNodes = new Set(f.nodes.filter((n) => n.partition === s.perfPartition).map((n) => n.node));
    const unknown = s.nodes.filter((n) => !perfNodes.has(n));
    checks.push(
      unknown.length === 0
        ? { id: 'slurm-nodes', label: 'measurement nodes', required: true, status: 'ok', detail: `${s.nodes.join(', ')} in ${s.perfPartition}` }
        : { id: 'slurm-nodes', label: 'measurement nodes', required: true, status: 'missing', detail: `not in partition ${s.perfPartition}: ${unknown.join(', ')}`, fix: `sinfo -N -p ${s.perfPartition} lists its nodes; fix slurm.nodes in host.yaml` },
    );
  }
  if (f.sharedDirJob !== null && s !== null) {
    checks.push(
      f.sharedDirJob.ok
        ? { id: 'slurm-shared-dir', label: 'shared directory', required: true, status: 'ok', detail: f.sharedDirJob.detail }
        : { id: 'slurm-shared-dir', label: 'shared directory', required: true, status: 'missing', detail: f.sharedDirJob.detail, fix: `${s.sharedDir} must be writable here and on every worker, at the same path (NFS in a lab)` },
    );
  }
  if (f.ccache !== null) {
    checks.push(
      f.ccache.ok
        ? { id: 'ccache-remote', label: 'ccache remote storage', required: true, status: 'ok', detail: f.ccache.detail }
        : { id: 'ccache-remote', label: 'ccache remote storage', required: true, status: 'missing', detail: f.ccache.detail, fix: `is the storage at ${f.ccache.url} up? (scripts/slurm-local.sh start runs a redis-server on 127.0.0.1:6379)` },
    );
  }
  return { ok: checks.every((c) => !c.required || c.status === 'ok'), checks };
}

// ccache's remote storage needs ccache >= 4.4 built with the backend of the URL
// (`ccache --version` lists "Features: ... redis-storage http-storage"); the problem, or null.
export function ccacheRemoteProblem(versionText: string | null, url: string): string | null {
  if (versionText === null) return 'ccache not found on PATH: build jobs would compile without it';
  const m = /ccache version (\d+)\.(\d+)/.exec(versionText);
  if (m === null) return `cannot read a version from \`ccache --version\`: ${JSON.stringify(versionText.split('\n')[0] ?? '')}`;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major < 4 || (major === 4 && minor < 4)) return `ccache ${major}.${minor} has no remote storage (4.4 or newer needed)`;
  const scheme = /^(\w+):/.exec(url)?.[1] ?? '';
  const feature = scheme === 'https' ? 'http-storage' : `${scheme}-storage`;
  const features = /^Features:\s*(.*)$/m.exec(versionText)?.[1]?.split(/\s+/) ?? [];
  return features.includes(feature) ? null : `this ccache ${major}.${minor} was built without ${feature} (Features: ${features.join(' ') || 'none'})`;
}
