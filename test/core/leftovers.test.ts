import { describe, expect, it } from 'vitest';
import { planLeftoverCleanup } from '../../src/core/leftovers.ts';

describe('planLeftoverCleanup', () => {
  it('removes leftovers of dead runs and keeps live runs', () => {
    expect(
      planLeftoverCleanup(
        [
          { name: 'kbisect-100-aaaaaa', ownerPid: 100, ownerAlive: false, ownerCommand: '' },
          { name: 'kbisect-200-bbbbbb', ownerPid: 200, ownerAlive: true, ownerCommand: 'node /usr/lib/kbisect/dist/kbisect.mjs measure' },
          { name: 'kbisect-300-cccccc', ownerPid: 300, ownerAlive: true, ownerCommand: '/usr/sbin/sshd -D' },
          { name: 'kbisect-400-dddddd', ownerPid: 400, ownerAlive: true, ownerCommand: 'node /x/kbisect.mjs' },
          { name: 'kbisect-odd', ownerPid: null, ownerAlive: false, ownerCommand: '' },
        ],
        400,
      ),
    ).toEqual([
      { name: 'kbisect-100-aaaaaa', action: 'remove', why: 'owner pid 100 is gone' },
      { name: 'kbisect-200-bbbbbb', action: 'keep', why: 'run still going (pid 200)' },
      { name: 'kbisect-300-cccccc', action: 'remove', why: 'owner pid 300 is now "/usr/sbin/sshd -D" (pid reused)' },
      { name: 'kbisect-400-dddddd', action: 'keep', why: 'belongs to this kbisect process' },
      { name: 'kbisect-odd', action: 'remove', why: 'no owner recorded in the name' },
    ]);
  });
});
