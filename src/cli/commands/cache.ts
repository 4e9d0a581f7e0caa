// `kbisect cache ls|prune`: the built kernels kept by (commit, config, toolchain),
// and LRU eviction to a size limit.
import type { Argv, CommandModule } from 'yargs';
import { listKernelCache, pruneKernelCache, type CacheListing, type PruneResult } from '../../app/build-cache.ts';
import { UserError } from '../../core/errors.ts';
import { formatDuration } from '../../core/format.ts';
import { DEFAULT_KERNEL_CACHE_MAX_BYTES, formatByteSize, parseByteSize } from '../../core/kernel-cache.ts';
import { formatTable } from '../output.ts';
import type { CommandContext, GlobalArgs } from '../context.ts';

interface PruneArgs extends GlobalArgs {
  'max-size': string | undefined;
  all: boolean;
  failed: boolean;
  work: boolean;
}

// Commits whose images are byte-identical to an earlier entry's, by key.
function identicalByKey(listing: CacheListing): Map<string, string> {
  const firstByImage = new Map<string, { sha: string; builtAt: string }>();
  for (const e of listing.entries) {
    const hash = e.meta.imageHash;
    if (hash === undefined) continue;
    const seen = firstByImage.get(hash);
    if (!seen || e.meta.builtAt < seen.builtAt) firstByImage.set(hash, { sha: e.meta.sha, builtAt: e.meta.builtAt });
  }
  const result = new Map<string, string>();
  for (const e of listing.entries) {
    const first = e.meta.imageHash === undefined ? undefined : firstByImage.get(e.meta.imageHash);
    if (first && first.sha !== e.meta.sha) result.set(e.key, first.sha);
  }
  return result;
}

// The cache as a table, most recently used first.
export function formatCacheListing(listing: CacheListing): string {
  const { dir } = listing;
  if (listing.entries.length === 0) return `kernel cache ${dir}: empty`;
  const identical = identicalByKey(listing);
  const rows = [
    ['COMMIT', 'STATUS', 'CONFIG', 'TOOLCHAIN', 'SIZE', 'BUILD', 'LAST USED', 'NOTE'],
    ...listing.entries.map((e) => [
      e.meta.sha.slice(0, 12),
      e.meta.kind === 'built' ? 'built' : 'FAILED',
      e.meta.configHash.slice(0, 8),
      e.meta.toolchainId,
      formatByteSize(e.sizeBytes),
      formatDuration(e.meta.durationMs),
      new Date(e.lastUsedMs).toISOString().slice(0, 16).replace('T', ' '),
      e.meta.kind === 'build-failed'
        ? (e.meta.firstError ?? '').slice(0, 80)
        : identical.has(e.key)
          ? `identical to ${identical.get(e.key)?.slice(0, 12)}`
          : '',
    ]),
  ];
  return `${formatTable(rows, '')}\n\n${listing.entries.length} kernel(s), ${formatByteSize(listing.totalBytes)} in ${dir}`;
}

// What a prune removed and what is left, for people.
export function formatPruneResult(r: PruneResult): string {
  const lines = [
    `removed ${r.removed.length} kernel(s), freed ${formatByteSize(r.freedBytes)}; ${formatByteSize(r.remainingBytes)} remain`,
  ];
  if (r.removedSlots > 0) lines.push(`removed ${r.removedSlots} build slot(s) (worktrees and O= dirs)`);
  if (r.busySlots.length > 0) lines.push(`left ${r.busySlots.length} build slot(s) in use by another kbisect: ${r.busySlots.join(', ')}`);
  return lines.join('\n');
}

// `kbisect cache ls|prune` as a yargs command with two subcommands.
export function cacheCommand(ctx: CommandContext): CommandModule<GlobalArgs, GlobalArgs> {
  const ls: CommandModule<GlobalArgs, GlobalArgs> = {
    command: 'ls',
    describe: 'list the built kernels in the cache',
    builder: (y) =>
      y
        .example('$0 cache ls', 'commit, status, config hash, toolchain, size, build time, last use')
        .example('$0 cache ls --json', '{dir, totalBytes, entries: [{key, sha, kind, configHash, toolchainId, imageHash, ...}]}'),
    handler: async (argv) => {
      const out = ctx.output(argv);
      const listing = await listKernelCache();
      if (out.json) {
        const identical = identicalByKey(listing);
        out.printJson({
          dir: listing.dir,
          totalBytes: listing.totalBytes,
          entries: listing.entries.map((e) => ({
            ...e.meta,
            dir: e.dir,
            sizeBytes: e.sizeBytes,
            lastUsedAt: new Date(e.lastUsedMs).toISOString(),
            ...(identical.has(e.key) ? { identicalTo: identical.get(e.key) } : {}),
          })),
        });
      } else out.print(formatCacheListing(listing));
    },
  };
  const prune: CommandModule<GlobalArgs, PruneArgs> = {
    command: 'prune',
    describe: 'evict least recently used kernels down to a size limit; optionally remove failures and build slots',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .option('max-size', {
          type: 'string',
          requiresArg: true,
          describe: `size limit (default ${formatByteSize(DEFAULT_KERNEL_CACHE_MAX_BYTES)}): 2GiB, 500M, 0`,
        })
        .option('all', { type: 'boolean', default: false, describe: 'remove every kernel' })
        .option('failed', { type: 'boolean', default: false, describe: 'remove recorded build failures (built again next time)' })
        .option('work', {
          type: 'boolean',
          default: false,
          describe: 'also remove the build slots (private worktrees and O= dirs) of every repository',
        })
        .example('$0 cache prune', `evict LRU kernels until the cache fits in ${formatByteSize(DEFAULT_KERNEL_CACHE_MAX_BYTES)}`)
        .example('$0 cache prune --max-size 1GiB --failed', 'a smaller cache, and forget build failures')
        .example('$0 cache prune --all --work', 'remove everything kbisect built') as unknown as Argv<PruneArgs>,
    handler: async (argv) => {
      const out = ctx.output(argv);
      let maxBytes: number | undefined = DEFAULT_KERNEL_CACHE_MAX_BYTES;
      if (argv['max-size'] !== undefined) {
        const parsed = parseByteSize(argv['max-size']);
        if (parsed === null) throw new UserError(`Expected \`--max-size\` to be a size such as 5GiB, 500M or 0, got \`${argv['max-size']}\`.`);
        maxBytes = parsed;
      }
      const result = await pruneKernelCache({ maxBytes, all: argv.all, failed: argv.failed, work: argv.work });
      if (out.json) out.printJson(result);
      else out.print(formatPruneResult(result));
    },
  };
  return {
    command: 'cache <command>',
    describe: 'the kernel cache: ls, prune',
    builder: (y) => y.command(ls).command(prune as unknown as CommandModule<GlobalArgs, GlobalArgs>).demandCommand(1, 'cache: ls or prune'),
    handler: () => undefined,
  };
}
