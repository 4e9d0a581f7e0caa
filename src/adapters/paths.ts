// Where kbisect keeps things on this host. Overridable for tests and for
// users who want the cache on a bigger disk.
import { homedir } from 'node:os';
import { join } from 'node:path';

function home(): string {
  return process.env.HOME ?? homedir();
}

// Built kernels, guest images, worktrees: large, re-creatable.
export function cacheDir(): string {
  return process.env.KBISECT_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(home(), '.cache'), 'kbisect');
}

// Measurements: small, never lost.
export function dataDir(): string {
  return process.env.KBISECT_DATA_DIR ?? join(process.env.XDG_DATA_HOME ?? join(home(), '.local', 'share'), 'kbisect');
}

// Machine-local settings (accelerator choice, toolchains): never part of a shared profile.
export function configDir(): string {
  return process.env.KBISECT_CONFIG_DIR ?? join(process.env.XDG_CONFIG_HOME ?? join(home(), '.config'), 'kbisect');
}
