// Temporary directories for tests, removed afterwards, and the KBISECT_*
// directory variables pointed into them and restored: one copy instead of one
// per test file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';

export type KbisectDirVariable = 'KBISECT_CACHE_DIR' | 'KBISECT_DATA_DIR' | 'KBISECT_CONFIG_DIR';

export interface TempDirOptions {
  // 'test': a fresh directory for every test; 'file': one for the whole file
  readonly per?: 'test' | 'file';
  // variables to point into the directory, each to a path relative to it ('.' = the directory itself)
  readonly env?: Partial<Record<KbisectDirVariable, string>>;
}

// A fresh directory under the system's temporary one, named kbisect-PREFIX-XXXXXX.
export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `kbisect-${prefix}-`));
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

// Sets environment variables (undefined deletes one) and returns what puts them back.
export function setEnv(values: Readonly<Record<string, string | undefined>>): () => void {
  const saved = Object.keys(values).map((key) => [key, process.env[key]] as const);
  const apply = (pairs: readonly (readonly [string, string | undefined])[]): void => {
    for (const [key, value] of pairs) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(Object.entries(values));
  return () => apply(saved);
}

// Registers the hooks that create and remove a temporary directory (and set and
// restore the variables); read `.path` inside tests and hooks, not at import time.
export function useTempDir(prefix: string, opts: TempDirOptions = {}): { readonly path: string } {
  let dir: string | undefined;
  let restore: (() => void) | undefined;
  const setUp = (): void => {
    const made = makeTempDir(prefix);
    dir = made;
    restore = setEnv(Object.fromEntries(Object.entries(opts.env ?? {}).map(([key, rel]) => [key, rel === '.' ? made : join(made, rel)])));
  };
  const tearDown = (): void => {
    restore?.();
    if (dir !== undefined) removeTempDir(dir);
    dir = undefined;
    restore = undefined;
  };
  if (opts.per === 'file') {
    beforeAll(setUp);
    afterAll(tearDown);
  } else {
    beforeEach(setUp);
    afterEach(tearDown);
  }
  return {
    get path(): string {
      if (dir === undefined) throw new Error(`useTempDir('${prefix}'): .path read outside a test or hook`);
      return dir;
    },
  };
}
