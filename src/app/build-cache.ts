// Managing what builds leave behind: the kernel cache (list, prune, the LRU
// limit after each build) and the build slots of each repository (reset).
import { UserError } from '../core/errors.ts';
import { planPrune, selectEvictions, type PrunePlanOptions } from '../core/kernel-cache.ts';
import { listWorkspaces, lockSlot, removeSlotFiles, removeWorkDir, repoWorkDir, slotPaths } from '../adapters/build-workspace.ts';
import { findGitCommonDir, pruneWorktrees } from '../adapters/git.ts';
import { kernelCacheDir, listEntries, removeEntry, removeTempEntries, type KernelCacheEntry } from '../adapters/kernel-cache.ts';

export type { KernelCacheEntry } from '../adapters/kernel-cache.ts';

export interface WorkspaceResetResult {
  removedSlots: number;
  // slots another kbisect process is building on: left alone
  busySlots: number[];
}

// Removes the slots of one work dir (each under its lock; busy ones are left).
async function removeWorkspaceSlots(workDir: string, slots: readonly number[]): Promise<WorkspaceResetResult> {
  let removedSlots = 0;
  const busySlots: number[] = [];
  for (const slot of slots) {
    const paths = slotPaths(workDir, slot);
    let release: () => Promise<void>;
    try {
      release = await lockSlot(paths);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      busySlots.push(slot);
      continue;
    }
    try {
      await removeSlotFiles(paths);
      removedSlots++;
    } finally {
      await release();
    }
  }
  if (busySlots.length === 0) await removeWorkDir(workDir);
  return { removedSlots, busySlots };
}

// Removes a repository's build slots (worktrees, O= dirs) and prunes git's
// worktree list: what `kbisect reset` does to builds.
export async function resetBuildWorkspace(repo: string): Promise<WorkspaceResetResult> {
  const gitCommonDir = await findGitCommonDir(repo);
  const workDir = await repoWorkDir(repo, gitCommonDir);
  const workspace = (await listWorkspaces()).find((w) => w.dir === workDir);
  const result = await removeWorkspaceSlots(workDir, workspace?.slots ?? []);
  await pruneWorktrees(repo);
  return result;
}

// A repository's build slots (worktree + O= dir each), kept between bisections.
export async function countBuildSlots(repo: string): Promise<number> {
  const workDir = await repoWorkDir(repo, await findGitCommonDir(repo));
  return (await listWorkspaces()).find((w) => w.dir === workDir)?.slots.length ?? 0;
}

export interface CacheListing {
  dir: string;
  entries: KernelCacheEntry[];
  totalBytes: number;
}

// Everything in the kernel cache, most recently used first.
export async function listKernelCache(): Promise<CacheListing> {
  const entries = (await listEntries()).sort((a, b) => b.lastUsedMs - a.lastUsedMs);
  return { dir: kernelCacheDir(), entries, totalBytes: entries.reduce((sum, e) => sum + e.sizeBytes, 0) };
}

export interface PruneOptions extends PrunePlanOptions {
  // also remove the build slots (worktrees and O= dirs) of every repository
  work?: boolean;
}

export interface PruneResult {
  removed: { key: string; sha: string; sizeBytes: number }[];
  freedBytes: number;
  remainingBytes: number;
  removedSlots: number;
  busySlots: string[];
}

// Shrinks the kernel cache (LRU), and optionally clears build slots.
export async function pruneKernelCache(opts: PruneOptions): Promise<PruneResult> {
  await removeTempEntries();
  const plan = planPrune(await listEntries(), opts);
  for (const e of plan.removed) await removeEntry(e.key);
  let removedSlots = 0;
  const busySlots: string[] = [];
  if (opts.work) {
    for (const workspace of await listWorkspaces()) {
      const result = await removeWorkspaceSlots(workspace.dir, workspace.slots);
      removedSlots += result.removedSlots;
      busySlots.push(...result.busySlots.map((s) => `${workspace.dir}/slot-${s}`));
      // the repository may be gone; then there is no worktree list to prune
      if (workspace.record) await pruneWorktrees(workspace.record.repo).catch(() => undefined);
    }
  }
  return {
    removed: plan.removed.map((e) => ({ key: e.key, sha: e.meta.sha, sizeBytes: e.sizeBytes })),
    freedBytes: plan.freedBytes,
    remainingBytes: plan.remainingBytes,
    removedSlots,
    busySlots,
  };
}

// Evicts least recently used entries until the cache fits, never `keep` (the build just stored).
export async function enforceCacheLimit(maxBytes: number, keep: string): Promise<void> {
  const entries = await listEntries();
  for (const key of selectEvictions(entries, maxBytes, new Set([keep]))) await removeEntry(key);
}
