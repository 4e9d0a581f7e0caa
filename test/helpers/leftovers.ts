// What a finished run may have left behind on the host: network namespaces
// and QEMU processes of kbisect runs whose owner process is gone. End-to-end
// tests expect none after every step. Those of runs still going (another
// test on the same machine) are not leftovers: the owner pid is in the name
// (kbisect-<pid>-<hex>, QEMU's -name starts with it).
import { spawnSync } from 'node:child_process';

const ownerAlive = (name: string): boolean => {
  const m = /kbisect-(\d+)-[0-9a-f]+/.exec(name);
  if (!m) return false;
  try {
    process.kill(Number(m[1]), 0);
    return true;
  } catch {
    return false;
  }
};

export function countKbisectLeftovers(): { netns: string[]; qemu: string } {
  const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.startsWith('kbisect') && !ownerAlive(l));
  const qemu = spawnSync('pgrep', ['-af', 'qemu-system-x86_64.*kbisect'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.trim() !== '' && !ownerAlive(l))
    .join('\n');
  return { netns, qemu };
}
