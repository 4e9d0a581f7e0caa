// The sweep's progress line while a kernel builds or boots.
import { describe, expect, it } from 'vitest';
import { describeStageProgress } from '../../../src/app/sweep/progress.ts';

describe('describeStageProgress', () => {
  it.each([
    [{ stage: 'build', build: { phase: 'checkout', percent: null } }, 'checkout'],
    [{ stage: 'build', build: { phase: 'compile', percent: 41.7 } }, 'compile 41%'],
    [{ stage: 'boot', bootIndex: 1, bootsWanted: 3 }, '2/3'],
    [{ stage: 'boot', bootIndex: 0 }, '1/5'],
    [{ stage: 'build' }, ''],
  ] as const)('%j → %s (never "null%")', (p, text) => {
    expect(describeStageProgress(p, 5)).toBe(text);
  });
});
