import { describe, expect, it } from 'vitest';
import { computeFullShift, computeResidualAlphas, evaluateResidual, evaluateSandwich } from '../../../src/core/bisect/verification.ts';
import { defaultBisectConfig } from '../../../src/core/bisect/config.ts';
import { makeLogSample as sample } from '../../helpers/samples.ts';

describe('culprit verification', () => {
  it.each([
    ['three fresh pairs fully separated: confirmed (exact p = 1/20)', sample(3, 0), sample(3, -0.1), true, 0.05],
    ['no change: not confirmed', sample(10, 0), sample(10, 0), false, null],
    ['no fresh boots yet', [], sample(3, -0.1), false, 1],
  ])('%s', (_name, before, after, confirmed, p) => {
    const result = evaluateSandwich(before, after, defaultBisectConfig);
    expect(result.confirmed).toBe(confirmed);
    if (p !== null) expect(result.p).toBeCloseTo(p, 12);
  });

  it('splits each side’s α over a strict first look and a final look', () => {
    const { first, final } = computeResidualAlphas(defaultBisectConfig);
    expect(first).toBeCloseTo(0.0025, 12);
    expect(first + final).toBeCloseTo(0.025, 12);
  });

  it.each([
    ['nothing left over', sample(20, -0.1), sample(20, -0.1), 'none'],
    ['a third of the change left, clearly', sample(20, -0.07), sample(20, -0.1), 'significant'],
    ['a third left, but too few boots to tell', sample(3, -0.07), sample(3, -0.1), 'suspect'],
    ['a residual in the good direction is none', sample(20, -0.1), sample(20, -0.07), 'none'],
  ] as const)('residual: %s', (_name, reference, worse, status) => {
    const full = computeFullShift(sample(20, 0), sample(20, -0.1));
    expect(full).toBeCloseTo(-0.1, 3);
    expect(evaluateResidual(reference, worse, full, 0.0025, defaultBisectConfig).status).toBe(status);
  });
});
