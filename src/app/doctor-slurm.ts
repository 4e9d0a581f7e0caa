// `kbisect doctor --executor slurm`: does the cluster in host.yaml answer,
// are its partitions and nodes there, can a job write into the shared
// directory, does the ccache remote storage answer.
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SlurmSettings } from '../core/host-config.ts';
import { quoteShellWord } from '../core/slurm/job-script.ts';
import { ccacheRemoteProblem, evaluateSlurm, slurmTools, type SlurmDoctorReport, type SlurmFacts, type SlurmTool } from '../core/slurm/doctor.ts';
import { runCommand } from '../adapters/exec.ts';
import { findExecutable } from '../adapters/host.ts';
import { loadHostConfig } from '../adapters/host-config.ts';
import { cancelJobs, listPartitions, pingController, pingRedis, queryJob, submitJob, writeJobScript } from '../adapters/slurm.ts';

const TEST_JOB_WAIT_MS = 60_000;

// A job on the measurement partition writes a token into the shared directory; it is read back here.
async function probeSharedDir(s: SlurmSettings): Promise<{ ok: boolean; detail: string }> {
  const dir = join(s.sharedDir, 'kbisect', 'doctor', randomUUID().slice(0, 12));
  const token = randomUUID();
  const tokenFile = join(dir, 'token');
  let script: string;
  try {
    script = await writeJobScript(dir, `#!/bin/bash\nprintf '%s %s\\n' ${quoteShellWord(token)} "$(hostname -s)" > ${quoteShellWord(`${tokenFile}.tmp`)} && mv -f ${quoteShellWord(`${tokenFile}.tmp`)} ${quoteShellWord(tokenFile)}\n`);
  } catch (error) {
    return { ok: false, detail: `cannot write ${dir} here: ${(error as Error).message}` };
  }
  const started = performance.now();
  let jobId: string | null = null;
  try {
    jobId = await submitJob({
      script,
      partition: s.perfPartition,
      jobName: 'kbisect-doctor',
      stdoutPath: join(dir, 'slurm.out'),
      stderrPath: join(dir, 'slurm.err'),
      chdir: dir,
      exclusive: false,
      timeLimitMin: 1,
      ...(s.nodes?.[0] === undefined ? {} : { nodelist: s.nodes[0] }),
      ...(s.constraint === undefined ? {} : { constraint: s.constraint }),
      ...(s.account === undefined ? {} : { account: s.account }),
      ...(s.qos === undefined ? {} : { qos: s.qos }),
    });
    while (performance.now() - started < TEST_JOB_WAIT_MS) {
      const text = await readFile(tokenFile, 'utf8').catch(() => null);
      if (text !== null) {
        const [got, node] = text.trim().split(' ');
        const ms = Math.round(performance.now() - started);
        return got === token ? { ok: true, detail: `test job ${jobId} on ${node ?? '?'} wrote ${s.sharedDir} and it was read back here (${ms} ms from sbatch)` } : { ok: false, detail: `test job ${jobId} wrote something else into ${tokenFile}` };
      }
      const status = await queryJob(jobId);
      if (status !== 'unknown' && status.phase === 'ended' && (await readFile(tokenFile, 'utf8').catch(() => null)) === null) {
        const err = (await readFile(join(dir, 'slurm.err'), 'utf8').catch(() => '')).trim().split('\n').slice(-2).join(' | ');
        return { ok: false, detail: `test job ${jobId} ended ${status.state} (${status.reason ?? 'no reason'}) without writing ${tokenFile}${err ? `: ${err}` : ''}` };
      }
      await sleep(200);
    }
    return { ok: false, detail: `test job ${jobId} did not write ${tokenFile} within ${TEST_JOB_WAIT_MS / 1000} s (still queued? squeue -j ${jobId})` };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  } finally {
    if (jobId !== null) await cancelJobs([jobId]);
    await rm(dir, { recursive: true, force: true });
  }
}

// Gathers the cluster's facts (each check only when the one before it can succeed) and judges them.
export async function runSlurmDoctor(): Promise<SlurmDoctorReport> {
  const config = await loadHostConfig();
  const settings = config.slurm ?? null;
  const tools = Object.fromEntries(await Promise.all(slurmTools.map(async (t) => [t, await findExecutable(t)] as const))) as Record<SlurmTool, string | null>;
  const facts: SlurmFacts = { settings, tools, controller: null, partitions: null, nodes: null, sharedDirJob: null, ccache: null };
  if (slurmTools.every((t) => tools[t] !== null)) {
    facts.controller = await pingController();
    if (facts.controller.up) {
      const { partitions, nodes } = await listPartitions();
      facts.partitions = partitions;
      facts.nodes = nodes;
      if (settings !== null) facts.sharedDirJob = await probeSharedDir(settings);
    }
  }
  if (settings?.ccacheRemoteStorage !== undefined) {
    const url = settings.ccacheRemoteStorage;
    const version = (await findExecutable('ccache')) === null ? null : (await runCommand({ file: 'ccache', args: ['--version'], timeoutMs: 10_000 }, { reject: false })).stdout;
    const problem = ccacheRemoteProblem(version, url);
    if (problem !== null) facts.ccache = { url, ok: false, detail: `${problem} (build jobs run this host's kind of ccache)` };
    else facts.ccache = url.startsWith('redis://') ? { url, ...(await pingRedis(url)) } : { url, ok: true, detail: `${url} (only redis:// is pinged; not checked)` };
  }
  return evaluateSlurm(facts);
}
