// `kbisect build <rev>...`: build guest kernels (or find them in the cache) and
// say where the bzImage is, whether it came from the cache, and how long it took.
import type { Argv, CommandModule } from 'yargs';
import { buildRevisions, readKernelConfigSpec, type BuildProgress, type BuildResult } from '../../app/build.ts';
import { UserError } from '../../core/errors.ts';
import { formatDuration, validateToolchain } from '../../core/kernel-build.ts';
import { parseByteSize } from '../../core/kernel-cache.ts';
import { formatTable } from '../output.ts';
import type { CommandContext, GlobalArgs } from '../context.ts';

interface BuildArgs extends GlobalArgs {
  revs: string[];
  profile: string | undefined;
  base: 'tinyconfig' | 'defconfig';
  config: string | undefined;
  fragment: string[];
  toolchain: string | undefined;
  jobs: number;
  'make-jobs': number | undefined;
  slot: number;
  rebuild: boolean;
  ccache: boolean;
  'max-cache-size': string | undefined;
}

// One result as the lines a person reads.
export function formatBuildResult(r: BuildResult): string {
  const sha = r.sha.slice(0, 12);
  switch (r.kind) {
    case 'built':
    case 'cached': {
      const how =
        r.kind === 'cached'
          ? `cached (built in ${formatDuration(r.durationMs)}; found in ${formatDuration(r.elapsedMs)})`
          : `built in ${formatDuration(r.durationMs)} (slot ${r.slot ?? '?'}, ${r.reusedOutDir ? 'incremental' : 'fresh O= dir'}` +
            `${r.objectsCompiled === undefined ? '' : `, ${r.objectsCompiled} objects compiled`}` +
            `${r.ccache?.hitRate == null ? '' : `, ccache hits ${Math.round(r.ccache.hitRate * 100)}%`})`;
      const rows = [
        ['bzImage', r.bzImage],
        ['vmlinux', r.vmlinux],
        ['config', r.configPath],
        ['log', r.logPath],
        ['image', `sha256:${r.imageHash}${r.identicalTo ? ` (identical to ${r.identicalTo.slice(0, 12)})` : ''}`],
      ];
      return `${sha}  ${how}\n${formatTable(rows)}`;
    }
    case 'build-failed':
      return [
        `${sha}  BUILD FAILED${r.cached ? ' (recorded earlier; --rebuild to try again)' : ` after ${formatDuration(r.durationMs)}`}: ${r.firstError}`,
        ...(r.hint ? [`  hint: ${r.hint}`] : []),
        formatTable([['log', r.logPath]]),
      ].join('\n');
  }
}

// The live progress line: "8f87aee7befc slot 0 compile 41% (612/1490 objects) 1m23s  CC kernel/fork.o".
export function formatBuildProgress(p: BuildProgress): string {
  const objects =
    p.phase !== 'compile'
      ? ''
      : p.percent === null
        ? ` ${p.objectsDone} objects`
        : ` ${p.percent}% (${p.objectsDone}/${p.objectsExpected ?? '?'} objects)`;
  return `${p.sha.slice(0, 12)} slot ${p.slot} ${p.phase}${objects} ${formatDuration(p.elapsedMs)}${p.step ? `  ${p.step}` : ''}`;
}

function positiveInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new UserError(`Expected the \`--${name}\` option to be a positive integer, got \`${String(value)}\`.`);
  }
  return value;
}

// The compiler to build with: --toolchain, else $CC (a leading `ccache`, which
// kbisect adds itself, dropped), else gcc; refused when it is not one safe word.
function checkToolchain(option: string | undefined, envCc: string | undefined): string {
  const [name, raw] = option !== undefined ? ['--toolchain', option] : envCc !== undefined && envCc.trim() !== '' ? ['$CC', envCc.trim().replace(/^ccache\s+/, '')] : ['', 'gcc'];
  const errors = validateToolchain(raw);
  if (errors.length > 0) throw new UserError(`${name}: ${errors.join('; ')}`, 'give a compiler name (gcc-12) or an absolute path (/opt/gcc/bin/gcc)');
  return raw;
}

// `kbisect build <revs..>`: parses options, builds through the pool, prints results.
export function buildCommand(ctx: CommandContext): CommandModule<GlobalArgs, BuildArgs> {
  return {
    command: 'build <revs..>',
    describe: 'build guest kernels for revisions (or find them in the cache) and print where the bzImage is',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .positional('revs', { type: 'string', array: true, demandOption: true, describe: 'commit-ish(es) in the kernel tree (-C)' })
        .option('profile', {
          alias: 'p',
          type: 'string',
          requiresArg: true,
          describe: "take the profile's kernel fragment (built-in name, imported name, or YAML file)",
        })
        .option('base', {
          choices: ['tinyconfig', 'defconfig'] as const,
          default: 'tinyconfig' as const,
          describe: 'base configuration (the guest fragment and --fragment go on top)',
        })
        .option('config', { type: 'string', requiresArg: true, describe: 'a .config file as the base instead of --base' })
        .option('fragment', {
          type: 'string',
          array: true,
          requiresArg: true,
          default: [] as string[],
          describe: 'extra config fragment file (CONFIG_FOO=y lines); repeatable, later ones win',
        })
        .option('toolchain', {
          type: 'string',
          requiresArg: true,
          describe: 'compiler: gcc-8, /opt/gcc-4.9/bin/gcc ... (default: $CC or gcc); old kernels need old compilers',
        })
        .option('jobs', { type: 'number', default: 1, requiresArg: true, describe: 'builds at once, each on its own slot' })
        .option('make-jobs', { type: 'number', requiresArg: true, describe: 'make -j per build (default: CPUs / --jobs)' })
        .option('slot', { type: 'number', default: 0, requiresArg: true, describe: 'first build slot (worktree + O= dir) to use' })
        .option('rebuild', { type: 'boolean', default: false, describe: 'build again even if the cache has a result' })
        .option('ccache', { type: 'boolean', default: true, describe: 'compile through ccache (--no-ccache to turn off)' })
        .option('max-cache-size', { type: 'string', requiresArg: true, describe: 'kernel cache size limit, LRU (default 5GiB)' })
        .conflicts('config', 'base')
        .example('$0 -C ~/linux build v6.1', 'tinyconfig + the guest fragment; prints the bzImage path')
        .example('$0 -C ~/linux build HEAD~3 HEAD --jobs 2', 'two builds at once on slots 0 and 1')
        .example('$0 build v6.1 --profile tcp-rr', "the profile's kernel fragment on top of tinyconfig + the guest fragment")
        .example('$0 build v2.6.31 --toolchain gcc-4.9 --fragment net.cfg', 'an old kernel with an old compiler and an extra fragment')
        .example('$0 build HEAD --json', '{kind: built|cached|build-failed, sha, bzImage, vmlinux, imageHash, durationMs, ...}')
        .epilogue(
          'Builds run in private worktrees under the kbisect cache dir; your working tree is never touched.\n' +
            'A build that fails because of the commit prints BUILD FAILED and exits 1 (a bisection skips it); ' +
            'one that fails because of the host (disk full, missing tool) is an error.',
        ) as unknown as Argv<BuildArgs>,
    handler: async (argv) => {
      const out = ctx.output(argv);
      const repo = ctx.cwd(argv);
      const toolchain = checkToolchain(argv.toolchain, process.env.CC);
      const jobs = positiveInt('jobs', argv.jobs);
      const makeJobs = argv['make-jobs'] === undefined ? undefined : positiveInt('make-jobs', argv['make-jobs']);
      if (!Number.isInteger(argv.slot) || argv.slot < 0) {
        throw new UserError(`Expected the \`--slot\` option to be a non-negative integer, got \`${argv.slot}\`.`);
      }
      let maxCacheBytes: number | undefined;
      if (argv['max-cache-size'] !== undefined) {
        const parsed = parseByteSize(argv['max-cache-size']);
        if (parsed === null) throw new UserError(`Expected \`--max-cache-size\` to be a size such as 5GiB or 500M, got \`${argv['max-cache-size']}\`.`);
        maxCacheBytes = parsed;
      }
      const config = await readKernelConfigSpec({
        base: argv.base,
        cwd: repo,
        ...(argv.profile === undefined ? {} : { profile: argv.profile }),
        ...(argv.config === undefined ? {} : { configFile: argv.config }),
        fragmentFiles: argv.fragment,
      });
      const live = process.stderr.isTTY === true && !out.json;
      let lastDrawMs = 0;
      const onProgress = (p: BuildProgress): void => {
        const now = performance.now();
        if (now - lastDrawMs < 200 && p.phase === 'compile') return;
        lastDrawMs = now;
        out.progress(formatBuildProgress(p));
      };
      const poolOptions = {
        repo,
        config,
        slots: jobs,
        firstSlot: argv.slot,
        toolchain,
        ccache: argv.ccache,
        rebuild: argv.rebuild,
        ...(makeJobs === undefined ? {} : { jobs: makeJobs }),
        ...(maxCacheBytes === undefined ? {} : { maxCacheBytes }),
        ...(live ? { onProgress } : {}),
      };
      let results: BuildResult[];
      try {
        results = await buildRevisions(argv.revs, poolOptions);
      } finally {
        out.endProgress();
      }
      if (out.json) out.printJson(results.length === 1 ? results[0] : results);
      else out.print(results.map(formatBuildResult).join('\n\n'));
      ctx.setOutcome(results.some((r) => r.kind === 'build-failed') ? 'processFailure' : 'ok');
    },
  };
}
