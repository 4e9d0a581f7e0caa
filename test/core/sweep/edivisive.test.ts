import { describe, expect, it } from 'vitest';
import { createRng, nextNormal } from '../../../src/core/rng.ts';
import { findWeakChangePoints } from '../../../src/core/sweep/edivisive.ts';
import { buildPrefixSums } from '../../../src/core/sweep/segments.ts';

const OPTIONS = { windowLength: 50, minSegment: 3, splitPValue: 0.01 };

function series(n: number, level: (i: number) => number, seed: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => level(i) + nextNormal(rng));
}

const find = (values: readonly number[], options = OPTIONS): number[] => findWeakChangePoints(values, buildPrefixSums(values), options);

describe('E-divisive split in sliding windows (weak change points)', () => {
  it.each([
    ['one step of 3 σ', 60, (i: number) => (i >= 30 ? 3 : 0), [30]],
    ['a step and its revert', 90, (i: number) => (i >= 30 && i < 60 ? 3 : 0), [30, 60]],
  ] as const)('%s', (_, n, level, expected) => {
    expect(find(series(n, level, 3))).toEqual(expected);
  });

  it('finds two steps of a long series in different windows, among weak points the merge will prune', () => {
    const found = find(series(300, (i) => (i >= 70 ? 4 : 0) + (i >= 230 ? -4 : 0), 3));
    expect(found).toEqual(expect.arrayContaining([70, 230]));
    expect([...found].sort((a, b) => a - b)).toEqual(found);
  });

  it('never splits off fewer than minSegment points', () => {
    const values = series(60, () => 0, 4);
    values[0] = 50;
    values[59] = -50;
    for (const at of find(values)) {
      expect(at).toBeGreaterThanOrEqual(3);
      expect(at).toBeLessThanOrEqual(57);
    }
  });

  it('finds nothing in a window shorter than two minimum segments', () => {
    expect(find([0, 0, 9, 9, 9])).toEqual([]);
  });
});
