// `kbisect profile source add|list|remove` and `kbisect profile pull`: team
// repositories of profiles, whose profiles are named SOURCE/NAME.
import type { Argv, CommandModule } from 'yargs';
import { addProfileSource, listProfileSources, pullProfileSources, removeProfileSource, type PullReport } from '../../app/profile-sources.ts';
import type { CommandContext, GlobalArgs } from '../context.ts';
import { formatTable } from '../output.ts';

interface SourceArgs extends GlobalArgs {
  name?: string;
  url?: string;
  ref?: string;
}

const STATUS_TEXT: Record<PullReport['profiles'][number]['status'], string> = {
  added: 'added',
  unchanged: 'unchanged',
  updated: 'updated (same hash)',
  changed: 'changed',
  kept: 'KEPT previous',
  rejected: 'REJECTED',
  removed: 'removed',
};

function short(hash: string | undefined): string {
  return hash === undefined ? '' : hash.slice(0, 12);
}

// What a pull did, one line per profile; refused upstream versions with their problems.
export function formatPullReport(r: PullReport): string {
  const was = r.previousCommit === null ? '' : r.previousCommit === r.commit ? ' (no new commits)' : ` (was ${r.previousCommit.slice(0, 12)})`;
  const lines = [`${r.source}: ${r.url}${r.ref === null ? '' : ` (--ref ${r.ref})`} at ${r.commit.slice(0, 12)}${was}`];
  const rows = r.profiles.map((p) => {
    const hash = p.status === 'changed' ? `${short(p.previousHash)} → ${short(p.hash)}` : p.status === 'removed' || p.status === 'rejected' ? '' : short(p.hash);
    return [`${r.source}/${p.name}`, STATUS_TEXT[p.status], hash];
  });
  if (rows.length > 0) lines.push(formatTable(rows).replace(/\n$/, ''));
  for (const p of r.profiles.filter((x) => x.problem !== undefined)) {
    const what = p.status === 'kept' ? 'upstream version refused, the previous one is still used' : 'upstream version refused';
    lines.push(`  ${r.source}/${p.name}: ${what}:`, ...(p.problem ?? '').split('\n').map((l) => `    ${l.trim()}`));
  }
  for (const s of r.skipped) lines.push(`  skipped ${s.path}: ${s.reason}`);
  return lines.join('\n');
}

function refused(reports: readonly PullReport[]): boolean {
  return reports.some((r) => r.profiles.some((p) => p.status === 'kept' || p.status === 'rejected'));
}

// The sources a user follows: add (and pull), list, remove.
export function profileSourceCommand(ctx: CommandContext): CommandModule<GlobalArgs, SourceArgs> {
  return {
    command: 'source <action>',
    describe: "team profile sources: git repositories whose profiles are named SOURCE/NAME",
    builder: (y) =>
      (y as Argv<GlobalArgs>)
        .command<SourceArgs>({
          command: 'add <name> <url>',
          describe: 'add a git repository (URL or local path) of profiles under NAME, and pull it',
          builder: (b) => b.option('ref', { type: 'string', requiresArg: true, describe: 'branch, tag or commit to follow (default: the default branch)' }) as unknown as Argv<SourceArgs>,
          handler: async (argv) => {
            const out = ctx.output(argv);
            const report = await addProfileSource(argv.name ?? '', argv.url ?? '', { cwd: ctx.cwd(argv), ...(argv.ref === undefined ? {} : { ref: argv.ref }) });
            if (out.json) out.printJson(report);
            else out.print(formatPullReport(report));
            if (refused([report])) ctx.setOutcome('userError');
          },
        })
        .command<SourceArgs>({
          command: 'list',
          describe: 'the sources, their URLs and the commit of their last pull',
          handler: async (argv) => {
            const out = ctx.output(argv);
            const sources = await listProfileSources();
            if (out.json) out.printJson(sources);
            else if (sources.length === 0) out.print('no profile sources (kbisect profile source add NAME URL-or-PATH)');
            else {
              out.print(
                formatTable([
                  ['name', 'url', 'ref', 'commit', 'profiles'],
                  ...sources.map((s) => [s.config.name, s.config.url, s.config.ref ?? '(default)', s.commit?.slice(0, 12) ?? 'never pulled', String(s.profiles.length)]),
                ]),
              );
            }
          },
        })
        .command<SourceArgs>({
          command: 'remove <name>',
          describe: 'forget a source and its profiles (sessions keep the profiles they recorded)',
          handler: async (argv) => {
            const out = ctx.output(argv);
            const config = await removeProfileSource(argv.name ?? '');
            if (out.json) out.printJson({ removed: config });
            else out.print(`removed source ${config.name} (${config.url})`);
          },
        })
        .demandCommand(1, 'say which: add, list or remove')
        .example('$0 profile source add perf https://git.example.com/perf/profiles.git', 'the performance team\'s profiles, as perf/NAME')
        .example('$0 profile source add perf ../perf-profiles --ref v2', 'a local clone, at its tag v2') as unknown as Argv<SourceArgs>,
    handler: () => {},
  };
}

// Exit 2 when an upstream profile was refused, so that a cron job notices; the rest is taken.
export function profilePullCommand(ctx: CommandContext): CommandModule<GlobalArgs, SourceArgs> {
  return {
    command: 'pull [name]',
    describe: 'fetch every source (or one) and take its valid profiles; an invalid upstream profile keeps the previous version',
    handler: async (argv) => {
      const out = ctx.output(argv);
      const reports = await pullProfileSources(argv.name);
      if (out.json) out.printJson(reports);
      else out.print(reports.map(formatPullReport).join('\n'));
      if (refused(reports)) ctx.setOutcome('userError');
    },
  };
}
