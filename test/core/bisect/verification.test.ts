import { describe, expect, it } from 'vitest';
import {
  computeConditionalPower,
  computeFullShift,
  computeResidualAlphas,
  computeResidualPower,
  computeSandwichAlpha,
  computeSandwichCap,
  computeSandwichLooks,
  evaluateResidual,
  evaluateSandwich,
  evaluateSandwichLook,
  FUTILITY_POWER,
} from '../../../src/core/bisect/verification.ts';
import { defaultBisectConfig } from '../../../src/core/bisect/config.ts';
import { makeLogSample as sample } from '../../helpers/samples.ts';
import { makeCommits, runLab, type LabTruth } from './simulated-lab.ts';

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

  it.each([
    ['rules 1', 1, 0.0025],
    ['rules 2: more of it on the boots already there', 2, 0.01],
  ] as const)('splits each side’s α over a first look and the later ones (%s)', (_name, rules, first) => {
    const alphas = computeResidualAlphas({ ...defaultBisectConfig, rules });
    expect(alphas.first).toBeCloseTo(first, 12);
    expect(alphas.first + alphas.final).toBeCloseTo(0.025, 12);
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

describe('the sandwich under rules 2', () => {
  const config = defaultBisectConfig;
  const sigma = 0.0167; // sd of the fixed sample pattern
  const full = -0.15; // GOOD→BAD, 9σ

  it.each([
    ['a budget of 3 pairs', 3, [3, 5, 8, 12, 18, 27, 30]],
    ['a budget of 10 pairs', 10, [3, 5, 8, 10, 12, 18, 27, 30]],
  ] as const)('looks at ×1.5 steps up to maxVerifyBoots and at the budget: %s', (_name, cap, looks) => {
    expect(computeSandwichLooks(config, cap)).toEqual(looks);
  });

  it.each([3, 8, 10, 30])('spends 1 − confidence over its looks in all, half of it at the first (budget %i)', (cap) => {
    const looks = computeSandwichLooks(config, cap);
    const alphas = looks.map((_, k) => computeSandwichAlpha(config, looks, cap, k));
    expect(alphas.reduce((a, b) => a + b, 0)).toBeCloseTo(1 - config.confidence, 12);
    expect(alphas[0]).toBeCloseTo((1 - config.confidence) / 2, 12);
  });

  it('budgets the pairs that show the whole change with 90% power: few for a wide one, the cap for a narrow one', () => {
    expect(computeSandwichCap(config, sigma, full)).toBe(config.verifyBoots);
    expect(computeSandwichCap(config, sigma, -2 * sigma)).toBeGreaterThan(config.verifyBoots);
    expect(computeSandwichCap(config, sigma, -0.1 * sigma)).toBe(config.maxVerifyBoots);
  });

  it.each([
    // fresh before, fresh after, look, budget, status, test
    ['a 9σ drop in 3 + 3 fresh boots: confirmed by the t-test', sample(3, 0), sample(3, full), 0, 3, 'confirmed', 't'],
    ['no change in 3 + 3: look again (the boots may still move the posterior)', sample(3, 0), sample(3, 0), 0, 3, 'continue', 't'],
    ['no change in 8 + 8, past a budget of 3: still look again', sample(8, 0), sample(8, 0), 2, 3, 'continue', 'mann-whitney'],
    ['most of the change in 8 + 8 but not significant, past the budget: not shown', sample(8, 0), sample(8, 0.9 * full).map((v, i) => v + (i % 2 ? 0.2 : -0.2)), 2, 3, 'not-shown', 'mann-whitney'],
    ['no change at the last look: not shown', sample(30, 0), sample(30, 0), 6, 3, 'not-shown', 'mann-whitney'],
  ] as const)('%s', (_name, before, after, look, cap, status, test) => {
    const result = evaluateSandwichLook(before, after, look, cap, full, config);
    expect(result.status).toBe(status);
    expect(result.test).toBe(test);
    expect(result.confirmed).toBe(status === 'confirmed');
  });
});

describe('conditional power (Lan & Wittes 1988)', () => {
  it.each([
    // estimate, current variance, future variance, α, minimum, expected (hand-computed with SciPy's norm)
    ['at the current trend, half-way', 0.01, 1e-4, 1e-4, 0.01, 0, 0.0985335382097251],
    ['a minimum above the bound', 0.01, 1e-4, 1e-4, 0.01, 0.02, 0.02275013194817921],
    ['far above the bound', 0.1, 1e-4, 1e-4, 0.01, 0, 1],
    ['nothing left to measure, below the bound', 0.01, 1e-4, Number.POSITIVE_INFINITY, 0.01, 0, 0],
  ] as const)('%s', (_name, estimate, currentVariance, futureVariance, alpha, minimum, expected) => {
    expect(computeConditionalPower({ estimate, currentVariance, futureVariance, alpha, minimum })).toBeCloseTo(expected, 6);
  });

  it('a residual of 15% of the change in noisy boots has no hope within 12 pairs; a third of the change in quiet ones has', () => {
    const full = computeFullShift(sample(20, 0), sample(20, -0.1));
    expect(computeResidualPower(sample(10, -0.015), sample(10, -0.03), full, 12, 0.04, defaultBisectConfig)).toBeLessThan(FUTILITY_POWER);
    expect(computeResidualPower(sample(10, -0.067), sample(10, -0.1), full, 12, 0.0167, defaultBisectConfig)).toBeGreaterThan(0.5);
  });
});

describe('the explains-all check under rules 2: a budget, then "not shown"', () => {
  // A second, smaller step (−1.5%) after the culprit (−6%) in 64 commits, boot-to-boot σ 3%.
  const truth: LabTruth = { commits: 64, changes: new Map([[40, -0.06], [50, -0.015]]), sigmaBoot: 0.03 };
  const verifyNotes = (seed: number) => {
    const run = runLab({ commits: makeCommits(64), config: { seed } }, truth, 200 + seed);
    return { result: run.result, notes: run.result.steps.filter((s) => s.phase === 'verify').map((s) => s.note) };
  };

  it.each([11, 20])('a suspect residual that could not turn significant stops before any extra boot (seed %i)', (seed) => {
    const { result, notes } = verifyNotes(seed);
    expect(result.culprit?.commit).toBe('commit-40');
    expect(notes.at(-1)).toMatch(/^explains-all check, the culprit vs BAD: a residual of \d+% of GOOD→BAD after 0 extra pairs, not shown \(conditional power \d+\.\d% of showing it within 12 more pairs\)$/);
    // not shown either way: the report must not say the culprit explains all of it (there is a second step)
    expect(result.explainsFullChange).toBeNull();
    expect(result.warnings.join('\n')).toMatch(/Whether the culprit explains all of GOOD→BAD was not shown: BAD is worse than the culprit by about \d+% of GOOD→BAD/);
  });

  it.each([8, 9])('one that stays suspect stops at its budget of 12 pairs (seed %i)', (seed) => {
    const { result, notes } = verifyNotes(seed);
    expect(result.culprit?.commit).toBe('commit-40');
    expect(notes.at(-1)).toMatch(/after 12 extra pairs, not shown \(budget spent\)$/);
    expect(result.explainsFullChange).toBeNull();
  });

  it('a single step: nothing suspect, and the culprit explains all of it', () => {
    const single: LabTruth = { commits: 64, changes: new Map([[40, -0.06]]), sigmaBoot: 0.03 };
    const { result } = runLab({ commits: makeCommits(64), config: { seed: 11 } }, single, 211);
    expect(result.culprit?.commit).toBe('commit-40');
    expect(result.explainsFullChange).toBe(true);
    expect(result.warnings.join('\n')).not.toMatch(/not shown/);
  });

  it('rules 1 take no such step', () => {
    const run = runLab({ commits: makeCommits(64), config: { seed: 11, rules: 1 } }, truth, 211);
    expect(run.result.steps.some((s) => s.note.includes('not shown'))).toBe(false);
  });
});

describe('the sandwich’s first look', () => {
  const config = defaultBisectConfig;
  it('is Student’s test on the fresh boots alone: a load spell that starts inside the 3 + 3 pairs is no change', () => {
    // parent, culprit, parent, culprit, ...: every boot from the 4th on is 20% slower
    const before = [0, 0, Math.log(0.8)];
    const after = [0, Math.log(0.8), Math.log(0.8)];
    const look = evaluateSandwichLook(before, after, 0, 10, -0.08, config);
    expect([look.test, look.status]).toEqual(['t', 'continue']);
    expect(look.p).toBeGreaterThan(0.2);
  });

  it('later looks are Mann–Whitney', () => {
    expect(evaluateSandwichLook(sample(5, 0), sample(5, -0.04), 1, 10, -0.08, config).test).toBe('mann-whitney');
  });
});
