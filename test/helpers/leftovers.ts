// What a real run may leave behind on the host: kbisect's network namespaces
// and QEMU processes. End-to-end tests expect none after every step.
import { spawnSync } from 'node:child_process';

export function countKbisectLeftovers(): { netns: string[]; qemu: string } {
  const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith('kbisect'));
  const qemu = spawnSync('pgrep', ['-af', 'qemu-system-x86_64.*kbisect'], { encoding: 'utf8' }).stdout.trim();
  return { netns, qemu };
}
