import { describe, expect, it } from 'vitest';
import { apply, createBisection } from '../../../src/core/bisect/index.ts';
import { estimateModel, MARK_LLR, sumBootLlr, type LogModel } from '../../../src/core/bisect/model.ts';
import { computeGaussianLlr } from '../../../src/core/stats/index.ts';

const model: LogModel = { muGood: 0, muBad: -0.05, sigma: 0.02, bootLlrBound: Math.log(99) / 2, upper: Math.log(99), lower: -Math.log(99) };

describe('the GOOD/BAD boot model', () => {
  it('is Gaussian near the two levels', () => {
    for (const y of [-0.01, -0.02, -0.025, -0.03]) {
      expect(sumBootLlr([y], model)).toBeCloseTo(computeGaussianLlr(y, 0, -0.05, 0.02), 1);
    }
  });

  it.each([
    ['a wild boot (×0.7) counts for about nothing', Math.log(0.7), 0, 0.05],
    ['a wild boot the other way too', Math.log(1.3), 0, 0.05],
    ['a boot right at BAD is clipped at half the boundary', -0.05, Math.log(99) / 2, 1e-9],
    ['and so is one far below BAD but not wild', -0.09, Math.log(99) / 2, 1e-9],
  ])('%s', (_name, y, expected, tolerance) => {
    expect(Math.abs(sumBootLlr([y], model) - expected)).toBeLessThan(tolerance);
  });

  it('needs both endpoints before it exists', () => {
    const state = createBisection({ commits: ['a', 'b', 'c'] });
    expect(estimateModel(state)).toBeNull();
    const fitted = estimateModel(apply(apply(apply(state, { kind: 'boot', commit: 'a', runs: [100] }), { kind: 'boot', commit: 'c', runs: [90] }), { kind: 'boot', commit: 'a', runs: [102] }));
    expect(fitted?.muGood).toBeCloseTo(Math.log(101), 3);
    expect(fitted?.muBad).toBeCloseTo(Math.log(90), 12);
  });

  it('a mark is certain but finite, so that the state stays JSON', () => {
    expect(Number.isFinite(MARK_LLR)).toBe(true);
    expect(MARK_LLR).toBeGreaterThan(100);
  });
});
