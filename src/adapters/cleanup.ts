// Process-wide list of things to undo on exit, error or Ctrl-C (network
// namespaces, taps, QEMU processes, locks). Adapters register what they create
// and unregister it when they remove it themselves; an undo step that is
// already running (its owner started it) is awaited, not forgotten, so that
// Ctrl-C never exits in the middle of removing a namespace.

type Cleanup = () => Promise<void> | void;
const cleanups = new Map<number, { what: string; fn: Cleanup }>();
let nextId = 1;

// Registers an undo step and returns the function that runs it now: at most
// once, whoever asks first (the owner or runCleanups), and it stays on the
// list while it runs, so runCleanups waits for it to end.
export function registerUndo(what: string, fn: () => Promise<void>): () => Promise<void> {
  const id = nextId++;
  let running: Promise<void> | null = null;
  const run = (): Promise<void> => {
    running ??= Promise.resolve()
      .then(fn)
      .finally(() => cleanups.delete(id));
    return running;
  };
  cleanups.set(id, { what, fn: run });
  return run;
}

// Registers an undo step; returns the function that removes it again.
export function registerCleanup(what: string, fn: Cleanup): () => void {
  const id = nextId++;
  cleanups.set(id, { what, fn });
  return () => {
    cleanups.delete(id);
  };
}

// Runs every registered undo step, newest first; one failing does not stop the rest.
// Steps registered while it runs (an owner's code still finishing) are run too.
export async function runCleanups(onError: (what: string, error: unknown) => void = () => {}): Promise<void> {
  while (cleanups.size > 0) {
    const steps = [...cleanups.entries()].reverse();
    cleanups.clear();
    for (const [, { what, fn }] of steps) {
      try {
        await fn();
      } catch (error) {
        onError(what, error);
      }
    }
  }
}

let shuttingDown = false;

// Ctrl-C or SIGTERM arrived: from now on nothing that fails is evidence (a
// killed guest or command is not a failed commit), so nothing more is logged.
export function beginShutdown(): void {
  shuttingDown = true;
}

export function isShuttingDown(): boolean {
  return shuttingDown;
}

// Tests only: leave the stopping state again.
export function endShutdownForTest(): void {
  shuttingDown = false;
}
