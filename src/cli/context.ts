// What every command handler gets: the global options and the output.
import type { ExitKind } from '../core/errors.ts';
import { createOutput, type Output } from './output.ts';

export interface GlobalArgs {
  json: boolean;
  verbose: boolean;
  C: string | undefined;
}

export interface CommandContext {
  output(argv: GlobalArgs): Output;
  // the directory to work in (-C), resolved and checked
  cwd(argv: GlobalArgs): string;
  // how the command ended when it did not throw; src/main.ts alone turns it into an exit code
  setOutcome(kind: ExitKind): void;
  outcome(): ExitKind;
}

export function createContext(resolveCwd: (raw: string | undefined) => string): CommandContext {
  let kind: ExitKind = 'ok';
  return {
    output: (argv) => createOutput({ json: argv.json, verbose: argv.verbose }),
    cwd: (argv) => resolveCwd(argv.C),
    setOutcome: (k) => {
      kind = k;
    },
    outcome: () => kind,
  };
}
