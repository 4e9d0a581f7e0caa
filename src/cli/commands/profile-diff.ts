// `kbisect profile diff A B`: what differs between two resolved profiles,
// field by field: why two teams' numbers differ, or what an upstream change
// did to a pinned profile (`perf/tcp-rr@568adfd9 perf/tcp-rr`).
import type { Argv, CommandModule } from 'yargs';
import { loadProfile, type LoadedProfile } from '../../app/profiles.ts';
import { diffProfiles, formatProfileDiff } from '../../core/profile/index.ts';
import type { CommandContext, GlobalArgs } from '../context.ts';

interface DiffArgs extends GlobalArgs {
  a?: string;
  b?: string;
}

function label(p: LoadedProfile): string {
  const from = p.sourceCommit === undefined ? '' : `, source commit ${p.sourceCommit.slice(0, 12)}`;
  return `${p.profile.name} (sha256 ${p.hash.slice(0, 12)}${from})`;
}

function side(p: LoadedProfile): Record<string, unknown> {
  return {
    name: p.profile.name,
    hash: p.hash,
    source: p.source,
    origin: p.origin,
    ...(p.sourceUrl === undefined ? {} : { sourceUrl: p.sourceUrl, sourceCommit: p.sourceCommit ?? null }),
    chain: p.chain.map((l) => l.name),
  };
}

// Both sides are resolved (and a pinned one looked up) before they are compared.
export function profileDiffCommand(ctx: CommandContext): CommandModule<GlobalArgs, DiffArgs> {
  return {
    command: 'diff <a> <b>',
    describe: 'what differs between two resolved profiles, field by field (NAME, SOURCE/NAME, NAME@HASH or a YAML file)',
    builder: (y) =>
      (y as Argv<GlobalArgs>)
        .example('$0 profile diff tcp-rr udp-rr-small', 'two built-in profiles')
        .example('$0 profile diff perf/tcp-rr@568adfd9 perf/tcp-rr', 'what changed upstream since the pin') as unknown as Argv<DiffArgs>,
    handler: async (argv) => {
      const out = ctx.output(argv);
      const cwd = ctx.cwd(argv);
      const a = await loadProfile(argv.a ?? '', cwd, { pinned: 'lookup' });
      const b = await loadProfile(argv.b ?? '', cwd, { pinned: 'lookup' });
      const diff = diffProfiles(a.profile, b.profile);
      if (out.json) {
        out.printJson({ a: side(a), b: side(b), sameContent: diff.sameContent, measured: diff.measured, labels: diff.labels });
        return;
      }
      const lines = [`profile diff ${label(a)} → ${label(b)}`];
      lines.push(...formatProfileDiff(diff));
      const n = diff.measured.length;
      lines.push(diff.sameContent ? 'same measurement: both resolve to the same content hash' : `${n} difference${n === 1 ? '' : 's'} in what is measured`);
      out.print(lines.join('\n'));
    },
  };
}
