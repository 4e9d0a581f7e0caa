// Puts the process in the "being stopped" state that Ctrl-C sets, for one test.
import { beginShutdown, endShutdownForTest } from '../../src/adapters/cleanup.ts';

export function beginShutdownForTest(): () => void {
  beginShutdown();
  return endShutdownForTest;
}
