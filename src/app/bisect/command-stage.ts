// Generic mode: each sample is one run of the user's command in a private
// worktree checked out at the commit (never the user's own tree), in its own
// process group, killed whole on timeout, Ctrl-C or SIGTERM.
import { assertNever } from '../../core/errors.ts';
import type { MeasuredSession } from '../../core/session.ts';
import { DEFAULT_COMMAND_TIMEOUT_S } from '../../core/session-settings.ts';
import { addWorktree, checkoutWorktree, findGitCommonDir, isWorktreeOf, worktreeHead } from '../../adapters/git.ts';
import { repoWorkDir, slotPaths } from '../../adapters/build-workspace.ts';
import { runUserCommand } from '../../adapters/user-command.ts';
import type { Stage, StageOptions } from './stage.ts';

export async function createCommandStage(session: Extract<MeasuredSession, { mode: 'command' }>, opts: StageOptions): Promise<Stage> {
  const { command } = session;
  const timeoutMs = (session.commandTimeoutS ?? DEFAULT_COMMAND_TIMEOUT_S) * 1000;
  const workDir = await repoWorkDir(session.repo, await findGitCommonDir(session.repo));
  const worktree = slotPaths(workDir, 0).src;
  return {
    prefetch() {},
    async measure(sha, samples, record, emit) {
      if ((await worktreeHead(worktree)) !== null && (await isWorktreeOf(worktree, session.repo))) await checkoutWorktree(worktree, sha, opts.signal);
      else await addWorktree(session.repo, worktree, sha, opts.signal);
      for (let i = 0; i < samples; i++) {
        emit({ stage: 'command', bootIndex: i, bootsWanted: samples });
        const { outcome, detail } = await runUserCommand({
          command,
          cwd: worktree,
          env: { ...process.env, KBISECT_COMMIT: sha } as Record<string, string>,
          timeoutMs,
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
        const d = { source: 'command' as const, ...detail };
        switch (outcome.kind) {
          case 'sample':
            await record({ kind: 'boot', commit: sha, runs: [outcome.value] }, d);
            break;
          case 'skip':
            await record({ kind: 'skip', commit: sha, reason: outcome.reason }, d);
            return;
          case 'failed':
            await record({ kind: 'boot-failed', commit: sha, reason: outcome.reason }, d);
            return;
          default:
            assertNever(outcome, 'user sample');
        }
      }
    },
  };
}
