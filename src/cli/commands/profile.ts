// `kbisect profile list|show|diff|export|import|source|pull`: the built-in,
// imported and team-source measurement profiles, their content hashes, what
// differs between two, and sharing them.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { importProfile, listProfiles, loadProfile, renderProfileYaml, type ImportResult, type LoadedProfile } from '../../app/profiles.ts';
import { profileToDocument } from '../../core/profile/index.ts';
import type { CommandContext, GlobalArgs } from '../context.ts';
import { formatTable } from '../output.ts';
import { profileDiffCommand } from './profile-diff.ts';
import { profileSchemaCommand } from './profile-schema.ts';
import { profilePullCommand, profileSourceCommand } from './profile-source.ts';

interface ProfileArgs extends GlobalArgs {
  name?: string;
  file?: string;
  out?: string;
  force?: boolean;
}

function summaryRow(p: LoadedProfile): string[] {
  const tests = p.profile.tests.map((t) => `${t.type}:${t.durationS}s`).join(',');
  const origin = p.sourceCommit === undefined ? p.origin : `${p.origin} ${p.sourceCommit.slice(0, 8)}`;
  const parent = p.chain[1]?.name ?? '';
  return [p.profile.name, p.profile.topology, tests, p.profile.nic.vhost ? 'vhost' : '', p.hash.slice(0, 12), origin, parent];
}

// A loaded profile as JSON: what it is, where it came from, and the chain it was resolved through.
export function profileAsJson(p: LoadedProfile): Record<string, unknown> {
  return {
    hash: p.hash,
    source: p.source,
    origin: p.origin,
    ...(p.sourceUrl === undefined ? {} : { sourceUrl: p.sourceUrl, sourceCommit: p.sourceCommit ?? null }),
    chain: p.chain,
    warnings: p.warnings,
    profile: profileToDocument(p.profile),
  };
}

// One line saying what `profile import` did.
export function describeImport(r: ImportResult): string {
  const what = `${r.loaded.profile.name} (sha256 ${r.loaded.hash})`;
  switch (r.status) {
    case 'imported':
      return `imported ${what} as ${r.savedAs}`;
    case 'unchanged':
      return `${what} is already imported with identical content as ${r.savedAs}: nothing to do`;
    case 'updated':
      return `updated ${what} in ${r.savedAs}: same measurement, new description or comments`;
    case 'replaced':
      return `replaced ${r.savedAs}: it was sha256 ${r.previousHash ?? '(an invalid profile)'}, it is now ${what}`;
  }
}

export function profileCommand(ctx: CommandContext): CommandModule<GlobalArgs, ProfileArgs> {
  return {
    command: 'profile <action>',
    describe: 'list, show, compare, share and pull measurement profiles',
    builder: (y) =>
      (y as Argv<GlobalArgs>)
        .command<ProfileArgs>({
          command: 'list',
          describe: 'built-in and imported profiles with their content hashes',
          handler: async (argv) => {
            const out = ctx.output(argv);
            const { profiles, problems } = await listProfiles();
            for (const p of problems) out.info(`warning: ${p}`);
            if (out.json) out.printJson(profiles.map(profileAsJson));
            else out.print(formatTable([['name', 'topology', 'tests', 'nic', 'hash', 'origin', 'extends'], ...profiles.map(summaryRow)]));
          },
        })
        .command<ProfileArgs>({
          command: 'show <name>',
          describe: 'validate a profile (name, SOURCE/NAME, NAME@HASH or YAML file) and print it resolved, with the chain it came from',
          handler: async (argv) => {
            const out = ctx.output(argv);
            const loaded = await loadProfile(argv.name ?? '', ctx.cwd(argv), { pinned: 'lookup' });
            for (const w of loaded.warnings) out.info(`warning: ${w}`);
            if (out.json) out.printJson(profileAsJson(loaded));
            else out.print(renderProfileYaml(loaded));
          },
        })
        .command<ProfileArgs>({
          command: 'export <name>',
          describe: 'write a profile as complete YAML (to share it): stdout, or --out FILE',
          builder: (b) => b.option('out', { alias: 'o', type: 'string', requiresArg: true, describe: 'file to write' }) as unknown as Argv<ProfileArgs>,
          handler: async (argv) => {
            const out = ctx.output(argv);
            const loaded = await loadProfile(argv.name ?? '', ctx.cwd(argv));
            const yaml = renderProfileYaml(loaded);
            if (argv.out) {
              const path = resolve(ctx.cwd(argv), argv.out);
              await writeFile(path, yaml);
              if (out.json) out.printJson({ written: path, hash: loaded.hash });
              else out.info(`wrote ${path} (sha256 ${loaded.hash})`);
            } else out.print(yaml);
          },
        })
        .command<ProfileArgs>({
          command: 'import <file>',
          describe: 'validate a YAML profile and keep it, so that it can be used by name',
          builder: (b) =>
            b.option('force', {
              type: 'boolean',
              default: false,
              describe: 'replace an imported profile of the same name that measures something else',
            }) as unknown as Argv<ProfileArgs>,
          handler: async (argv) => {
            const out = ctx.output(argv);
            const result = await importProfile(argv.file ?? '', ctx.cwd(argv), { force: argv.force === true });
            const { loaded, savedAs, status } = result;
            for (const w of loaded.warnings) out.info(`warning: ${w}`);
            if (out.json) out.printJson({ ...profileAsJson(loaded), savedAs, status, ...(result.previousHash ? { previousHash: result.previousHash } : {}) });
            else out.print(describeImport(result));
          },
        })
        .command(profileDiffCommand(ctx))
        .command(profileSourceCommand(ctx))
        .command(profilePullCommand(ctx))
        .command(profileSchemaCommand(ctx))
        .demandCommand(1, 'say which: list, show, diff, export, import, source, pull or schema')
        .example('$0 profile list', 'every profile with its hash')
        .example('$0 profile show tcp-rr', 'the complete profile as YAML')
        .example('$0 profile diff perf/tcp-rr tcp-rr', 'what the perf team measures differently')
        .example('$0 profile source add perf https://git.example.com/perf/profiles.git', "the perf team's profiles, as perf/NAME")
        .example('$0 profile import ./team-rr.yaml', 'validate and keep a shared profile')
        .example('$0 profile import ./team-rr.yaml --force', 'replace an imported team-rr that measures something else') as unknown as Argv<ProfileArgs>,
    handler: () => {},
  };
}
