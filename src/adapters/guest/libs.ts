// Which shared libraries a dynamic executable needs, as ldd resolves them on
// this host (the guest gets byte-identical copies at the same paths).
import { UserError } from '../../core/errors.ts';
import { runCommand } from '../exec.ts';

export interface LddResult {
  // absolute paths of every resolved library and the program interpreter
  libraries: string[];
  // sonames ldd could not find
  missing: string[];
}

// Parses `ldd FILE...` output; with several files ldd prints a "FILE:" header before each block.
export function parseLddOutput(text: string): LddResult {
  const libraries = new Set<string>();
  const missing = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.endsWith(':')) continue;
    const arrow = /^(\S+)\s+=>\s+(.*)$/.exec(line);
    if (arrow) {
      const target = (arrow[2] ?? '').trim();
      if (target.startsWith('not found')) missing.add(arrow[1] ?? '');
      else {
        const path = target.split(/\s+/)[0] ?? '';
        if (path.startsWith('/')) libraries.add(path);
      }
      continue;
    }
    // "/lib64/ld-linux-x86-64.so.2 (0x...)"; "linux-vdso.so.1 (0x...)" has no file
    const direct = /^(\/\S+)\s+\(0x[0-9a-f]+\)$/.exec(line);
    if (direct?.[1]) libraries.add(direct[1]);
  }
  return { libraries: [...libraries].sort(), missing: [...missing].sort() };
}

// Resolves the libraries of the given executables with the host's ldd.
export async function resolveSharedLibraries(executables: readonly string[]): Promise<string[]> {
  const r = await runCommand({ file: 'ldd', args: [...executables], timeoutMs: 10_000 }, { hint: 'ldd comes with libc-bin' });
  const { libraries, missing } = parseLddOutput(r.stdout);
  if (missing.length > 0) {
    throw new UserError(
      `${executables.join(', ')}: shared libraries not found on this host: ${missing.join(', ')}`,
      'reinstall the package that provides them (apt-get install --reinstall netperf)',
    );
  }
  return libraries;
}
