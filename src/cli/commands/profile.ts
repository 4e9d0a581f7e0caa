// `kbisect profile list|show|export|import`: the built-in and imported
// measurement profiles, their content hashes, and sharing them as YAML.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { importProfile, listProfiles, loadProfile, renderProfileYaml, type LoadedProfile } from '../../app/profiles.ts';
import { profileToDocument } from '../../core/profile/index.ts';
import type { CommandContext, GlobalArgs } from '../context.ts';
import { formatTable } from '../output.ts';

interface ProfileArgs extends GlobalArgs {
  name?: string;
  file?: string;
  out?: string;
}

function summaryRow(p: LoadedProfile): string[] {
  const tests = p.profile.tests.map((t) => `${t.type}:${t.durationS}s`).join(',');
  return [p.profile.name, p.profile.topology, tests, p.profile.nic.vhost ? 'vhost' : '', p.hash.slice(0, 12), p.origin];
}

function asJson(p: LoadedProfile): Record<string, unknown> {
  return { hash: p.hash, source: p.source, origin: p.origin, warnings: p.warnings, profile: profileToDocument(p.profile) };
}

export function profileCommand(ctx: CommandContext): CommandModule<GlobalArgs, ProfileArgs> {
  return {
    command: 'profile <action>',
    describe: 'list, show, export and import measurement profiles',
    builder: (y) =>
      (y as Argv<GlobalArgs>)
        .command<ProfileArgs>({
          command: 'list',
          describe: 'built-in and imported profiles with their content hashes',
          handler: async (argv) => {
            const out = ctx.output(argv);
            const { profiles, problems } = await listProfiles();
            for (const p of problems) out.info(`warning: ${p}`);
            if (out.json) out.printJson(profiles.map(asJson));
            else out.print(formatTable([['name', 'topology', 'tests', 'nic', 'hash', 'origin'], ...profiles.map(summaryRow)]));
          },
        })
        .command<ProfileArgs>({
          command: 'show <name>',
          describe: 'validate a profile (name or YAML file) and print it with every default filled in',
          handler: async (argv) => {
            const out = ctx.output(argv);
            const loaded = await loadProfile(argv.name ?? '', ctx.cwd(argv));
            for (const w of loaded.warnings) out.info(`warning: ${w}`);
            if (out.json) out.printJson(asJson(loaded));
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
          handler: async (argv) => {
            const out = ctx.output(argv);
            const { loaded, savedAs } = await importProfile(argv.file ?? '', ctx.cwd(argv));
            for (const w of loaded.warnings) out.info(`warning: ${w}`);
            if (out.json) out.printJson({ ...asJson(loaded), savedAs });
            else out.print(`imported ${loaded.profile.name} (sha256 ${loaded.hash}) as ${savedAs}`);
          },
        })
        .demandCommand(1, 'say which: list, show, export or import')
        .example('$0 profile list', 'every profile with its hash')
        .example('$0 profile show tcp-rr', 'the complete profile as YAML')
        .example('$0 profile import ./team-rr.yaml', 'validate and keep a shared profile') as unknown as Argv<ProfileArgs>,
    handler: () => {},
  };
}
