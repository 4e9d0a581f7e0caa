// Building guest kernels, one concern per file: build-revision.ts (one
// revision on one slot, through the kernel cache), build-pool.ts (the slot
// queue), build-config.ts (config resolution), build-cache.ts (kernel cache
// and build slots). This file is the stage's public surface.
export { buildRevision, type BuildFailure, type BuildOptions, type BuildProgress, type BuildResult, type BuildSuccess } from './build-revision.ts';
export { buildRevisions, createBuildPool, type BuildPool, type BuildPoolOptions } from './build-pool.ts';
export { readKernelConfigSpec, resolveKernelConfig, type KernelConfigSpec, type ResolvedKernelConfig } from './build-config.ts';
export {
  listKernelCache,
  pruneKernelCache,
  resetBuildWorkspace,
  type CacheListing,
  type KernelCacheEntry,
  type PruneOptions,
  type PruneResult,
  type WorkspaceResetResult,
} from './build-cache.ts';
