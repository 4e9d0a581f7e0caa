// `kbisect profile schema`: the JSON Schema of profiles as written in YAML,
// so that an editor (yaml-language-server, VS Code's YAML extension) flags a
// wrong key or value as it is typed, before kbisect ever reads the file.
import type { Argv, CommandModule } from 'yargs';
import { profileJsonSchema } from '../../core/profile/index.ts';
import type { CommandContext, GlobalArgs } from '../context.ts';

export function profileSchemaCommand(ctx: CommandContext): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'schema',
    describe: 'print the JSON Schema of profiles, for editors that check YAML as it is typed',
    builder: (y) =>
      (y as Argv<GlobalArgs>)
        .example('$0 profile schema > kbisect-profile.schema.json', 'save it next to your profiles')
        .epilogue(
          'Then put `# yaml-language-server: $schema=./kbisect-profile.schema.json` on the first line of a profile, ' +
            'or map the schema to profiles/*.yaml in your editor (VS Code: the "yaml.schemas" setting).',
        ),
    handler: (argv) => {
      ctx.output(argv).printJson(profileJsonSchema());
    },
  };
}
