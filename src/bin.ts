// The executable's entry point (bundled into dist/kbisect.mjs and dist/kbisect).
import { main, reportError } from './main.ts';

main().catch((error: unknown) => {
  process.exitCode = reportError(error, false);
});
