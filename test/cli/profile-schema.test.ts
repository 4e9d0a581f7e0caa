import yargs, { type Argv } from 'yargs';
import { describe, expect, it } from 'vitest';
import { profileSchemaCommand } from '../../src/cli/commands/profile-schema.ts';
import { createOutput } from '../../src/cli/output.ts';
import type { CommandContext, GlobalArgs } from '../../src/cli/context.ts';

// Runs `profile schema` registered under a `profile` command, as src/cli/commands/profile.ts does.
async function run(args: string[]): Promise<string> {
  let stdout = '';
  const streams = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true } };
  const ctx: CommandContext = {
    output: (argv) => createOutput({ json: argv.json, verbose: argv.verbose }, streams),
    cwd: () => '/',
    setOutcome: () => {},
    outcome: () => 'ok',
  };
  await (yargs(args) as unknown as Argv<GlobalArgs>)
    .option('json', { type: 'boolean', default: false })
    .option('verbose', { type: 'boolean', default: false })
    .command({ command: 'profile <action>', describe: '', builder: (y) => y.command(profileSchemaCommand(ctx)), handler: () => {} })
    .strict()
    .exitProcess(false)
    .parseAsync();
  return stdout;
}

describe('kbisect profile schema', () => {
  it('prints the JSON Schema of profiles on stdout', async () => {
    const schema = JSON.parse(await run(['profile', 'schema'])) as Record<string, unknown>;
    expect(schema.title).toBe('kbisect measurement profile');
    // a profile of its own, or one that extends another: the same keys
    for (const branch of schema.anyOf as Record<string, unknown>[]) expect(branch.properties).toHaveProperty('tests');
  });
});
