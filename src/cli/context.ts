// What every command handler gets: the global options and the output.
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
  setExitCode(code: number): void;
  exitCode(): number;
}

export function createContext(resolveCwd: (raw: string | undefined) => string): CommandContext {
  let code = 0;
  return {
    output: (argv) => createOutput({ json: argv.json, verbose: argv.verbose }),
    cwd: (argv) => resolveCwd(argv.C),
    setExitCode: (c) => {
      code = c;
    },
    exitCode: () => code,
  };
}
