import { describe, expect, it } from 'vitest';
import { describeVerdict, type Verdict } from '../../src/core/verdict.ts';

describe('verdict wording', () => {
  const evidence = { boots: 4, llr: 5.123, estimate: 9123.4, position: 0.97, ci: [0.93, 0.95] as const, source: 'measured' as const };
  it.each([
    [{ kind: 'like-bad', ...evidence }, 'like-bad: 4 boots, LLR 5.12, median 9123.4 (×0.930–0.950 of GOOD)'],
    [{ kind: 'like-good', ...evidence, ci: null }, 'like-good: 4 boots, LLR 5.12, median 9123.4'],
    [{ kind: 'unknown', ...evidence, source: 'manual' }, 'unknown: marked by hand, median 9123.4 (×0.930–0.950 of GOOD)'],
    [{ kind: 'like-good', ...evidence, boots: 0, estimate: null, position: null, ci: null, source: 'manual' }, 'like-good: marked by hand'],
    [{ kind: 'skipped', reason: 'build failed: x (2 times in a row)' }, 'skipped: build failed: x (2 times in a row)'],
  ] as [Verdict, string][])('%o', (verdict, text) => {
    expect(describeVerdict(verdict)).toBe(text);
  });
});
