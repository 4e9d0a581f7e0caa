// Reading a profile file that may be hostile: bounded, so a FIFO, /dev/zero
// or a huge file cannot make kbisect read forever.
import { open } from 'node:fs/promises';
import { UserError } from '../core/errors.ts';
import { MAX_PROFILE_BYTES } from '../core/profile/types.ts';
import { sizeError } from '../core/profile/yaml.ts';

// Reads at most MAX_PROFILE_BYTES of a file (a FIFO or /dev/zero cannot make it read forever).
export async function readProfileFile(path: string, source: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`${source}: cannot read the profile (${(error as NodeJS.ErrnoException).code ?? String(error)})`, 'give a built-in profile name (kbisect profile list) or an existing YAML file');
  }
  try {
    const stat = await handle.stat();
    if (stat.isFile() && stat.size > MAX_PROFILE_BYTES) throw sizeError(source, stat.size);
    const buffer = Buffer.alloc(MAX_PROFILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_PROFILE_BYTES) throw sizeError(source, stat.isFile() ? stat.size : length);
    }
    return buffer.subarray(0, length).toString('utf8');
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`${source}: cannot read the profile (${(error as NodeJS.ErrnoException).code ?? String(error)})`, 'give an existing YAML file');
  } finally {
    await handle.close();
  }
}
