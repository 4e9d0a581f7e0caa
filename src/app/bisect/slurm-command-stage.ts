// Generic mode through Slurm: each sample is one job on the measurement
// partition that runs the user's command in a copy of the commit's tree in
// the shared directory and leaves its result there. The job machinery (jobs
// log, re-attach after kill -9, infra errors, Ctrl-C) is slurm-jobs.ts.
import { join } from 'node:path';
import { assertNever, tailLines } from '../../core/errors.ts';
import type { MeasuredSession } from '../../core/session.ts';
import { DEFAULT_COMMAND_TIMEOUT_S } from '../../core/session-settings.ts';
import { parseUserSample, type UserSampleOutcome } from '../../core/user-sample.ts';
import { buildSampleJobScript } from '../../core/slurm/job-script.ts';
import { measurementPlacement } from '../../core/slurm/sbatch.ts';
import type { OpenJob } from '../../core/slurm/jobs-log.ts';
import { exportTree, readSampleFiles } from '../../adapters/slurm.ts';
import { USER_OUTPUT_TAIL_BYTES } from '../../adapters/user-command.ts';
import { checkJobNode, createSlurmJobs, type SlurmStageContext } from './slurm-jobs.ts';
import type { Stage, StageOptions } from './stage.ts';

export type { SlurmStageContext } from './slurm-jobs.ts';

const STDERR_TAIL_LINES = 20;
const STDERR_TAIL_CHARS = 2000;

export function createSlurmCommandStage(session: Extract<MeasuredSession, { mode: 'command' }>, opts: StageOptions, ctx: SlurmStageContext): Stage {
  const timeoutS = session.commandTimeoutS ?? DEFAULT_COMMAND_TIMEOUT_S;
  const jobs = createSlurmJobs(ctx, opts);
  const submit = (sha: string, tree: string, host: string | undefined): Promise<OpenJob> =>
    jobs.submit({
      commit: sha,
      role: 'sample',
      script: (jobDir) => buildSampleJobScript({ tree, jobDir, commit: sha, command: session.command, timeoutS }),
      placement: measurementPlacement(ctx.settings, host),
      // a backstop: the script's own timeout ends the command first
      timeLimitMin: Math.ceil(timeoutS / 60) + 2,
    });

  return {
    prefetch() {},
    async measure(sha, samples, record, emit, host) {
      const tree = join(jobs.root, 'trees', sha);
      await exportTree(session.repo, sha, tree, opts.signal);
      // re-attach: jobs a killed run submitted and never dealt with (with several hosts: this host's own)
      const queue: OpenJob[] = [];
      for (const job of await jobs.openFromLog()) {
        if (host !== undefined && job.node !== host) continue;
        if (job.commit !== sha || job.role !== 'sample' || queue.length >= samples) {
          await jobs.cancel([job], `not needed: measuring ${sha.slice(0, 12)} now`);
          continue;
        }
        await jobs.reattach(job);
        queue.push(job);
      }
      let done = 0;
      let infraInARow = 0;
      try {
        while (done < samples) {
          // every sample still wanted is queued at once: Slurm runs them one after the other on the exclusive node
          while (queue.length < samples - done) queue.push(await submit(sha, tree, host));
          const job = queue.shift() as OpenJob;
          emit({ stage: 'command', bootIndex: done, bootsWanted: samples });
          const wait = await jobs.waitFor(job);
          const files = wait.hasResult ? await readSampleFiles(job.jobDir, USER_OUTPUT_TAIL_BYTES) : null;
          if (files === null || files.result === null) {
            infraInARow++;
            await jobs.infraError(job, wait, infraInARow, `a sample of ${sha.slice(0, 12)}`);
            continue;
          }
          const { status } = wait;
          const r = files.result;
          const outcome = toOutcome(r, files.stdoutTail, files.stdoutDropped, files.stderrTail, timeoutS);
          const stderrTail = tailLines(files.stderrTail, STDERR_TAIL_LINES);
          const detail = {
            source: 'command' as const,
            exitCode: r.exitCode,
            signal: null,
            timedOut: r.timedOut,
            durationMs: r.durationMs,
            stderrTail: stderrTail.length > STDERR_TAIL_CHARS ? stderrTail.slice(-STDERR_TAIL_CHARS) : stderrTail,
            job: {
              executor: 'slurm' as const,
              id: job.jobId,
              node: r.node ?? (status !== null && status !== 'unknown' ? status.node : null),
              infraRetries: infraInARow,
              ...(r.cpuModel === null ? {} : { cpuModel: r.cpuModel }),
              ...(r.hostKernel === null ? {} : { hostKernel: r.hostKernel }),
            },
          };
          checkJobNode(host, detail.job.node, job);
          infraInARow = 0;
          // ended before recorded: a crash in between loses this sample, never counts it twice
          await jobs.end(job, outcome.kind, status);
          switch (outcome.kind) {
            case 'sample':
              await record({ kind: 'boot', commit: sha, runs: [outcome.value], ...(host === undefined ? {} : { host }) }, detail);
              done++;
              break;
            case 'skip':
              await record({ kind: 'skip', commit: sha, reason: outcome.reason }, detail);
              return;
            case 'failed':
              await record({ kind: 'boot-failed', commit: sha, reason: outcome.reason }, detail);
              return;
            default:
              assertNever(outcome, 'user sample');
          }
        }
      } finally {
        // a skip, a failure or an error leaves queued samples that nobody wants
        await jobs.cancel(queue, 'not needed any more');
      }
    },
    dispose: () => jobs.dispose(),
  };
}

// The job's exit status and output read exactly as a local run's would be.
function toOutcome(r: { exitCode: number; timedOut: boolean }, stdoutTail: string, stdoutDropped: number, stderr: string, timeoutS: number): UserSampleOutcome {
  let stdout = stdoutTail;
  if (stdoutDropped > 0) {
    const body = stdoutTail.replace(/\n+$/, '');
    const nl = body.indexOf('\n');
    if (nl < 0 && r.exitCode === 0 && !r.timedOut) return { kind: 'failed', reason: `the last line of the output is longer than ${USER_OUTPUT_TAIL_BYTES / 1024} KiB; expected a positive number on it` };
    stdout = nl < 0 ? '' : body.slice(nl + 1);
  }
  return parseUserSample(r.exitCode, undefined, stdout, { stderr, timedOutAfterMs: r.timedOut ? timeoutS * 1000 : undefined });
}
