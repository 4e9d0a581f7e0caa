// Content hashes (sha256, hex): profiles, guest images, kernel images and
// host fingerprints are identified by what they contain, not by where they are.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

// sha256 of a string (UTF-8) or bytes.
export function sha256Hex(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

// sha256 of a file, streamed (kernel images are tens of MiB).
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
