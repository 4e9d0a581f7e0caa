// The progress line of `kbisect run`: with several measurement hosts, which host a boot is on.
import { describe, expect, it } from 'vitest';
import { formatProgress } from '../../src/cli/commands/bisect.ts';

const base = { step: 3, commit: 'a'.repeat(40), subject: 'net: change', phase: 'bisect', stage: 'command' as const, bootIndex: 0, bootsWanted: 1, leader: null, leaderProbability: null, elapsedMs: 1500 };

describe('formatProgress', () => {
  it('names no host on one host', () => {
    expect(formatProgress(base)).toBe('[1.5 s] step 3 bisect aaaaaaaaaaaa net: change · sample 1/1');
  });
  it('names the host a boot runs on when several measure at once', () => {
    expect(formatProgress({ ...base, host: 'perf2' })).toBe('[1.5 s] step 3 bisect aaaaaaaaaaaa net: change · sample 1/1 on perf2');
  });
});
