import { describe, expect, it } from 'vitest';
import { defaultBisectConfig, validateBisectConfig, type BisectConfig } from '../../../src/core/bisect/config.ts';

describe('validateBisectConfig', () => {
  it('keeps the settings given over the defaults', () => {
    expect(validateBisectConfig({ confidence: 0.99, direction: 'higher-is-worse' })).toEqual({
      config: { ...defaultBisectConfig, confidence: 0.99, direction: 'higher-is-worse' },
      errors: [],
    });
  });

  it.each([
    [{ minEffect: 0 }, 'Expected the `minEffect` option to be a number in (0, 1), got `0`.'],
    [{ referenceEvery: -1 }, 'Expected the `referenceEvery` option to be an integer ≥ 0 (0: no reference boots), got `-1`.'],
    [{ seed: Number.POSITIVE_INFINITY }, 'Expected the `seed` option to be a finite number, got `Infinity`.'],
    // what a JavaScript caller passing an unset option sends
    [{ confidence: undefined }, 'Expected the `confidence` option to be a number in (0.5, 1), got `undefined`.'],
    [{ direction: 'up' }, 'Expected the `direction` option to be "lower-is-worse" or "higher-is-worse", got `up`.'],
    [{ verifyBoots: 5, maxVerifyBoots: 3 }, 'Expected `maxVerifyBoots` (3) to be at least `verifyBoots` (5).'],
    [{ rules: 3 }, 'Expected the `rules` option to be 1 or 2, got `3`.'],
    [{ firstLookBoots: 1 }, 'Expected the `firstLookBoots` option to be an integer ≥ 2, got `1`.'],
    [{ maxReferenceEvery: 0 }, 'Expected the `maxReferenceEvery` option to be an integer ≥ 1, got `0`.'],
  ] as [Record<string, unknown>, string][])('%j', (raw, message) => {
    expect(validateBisectConfig(raw as Partial<BisectConfig>).errors).toEqual([message]);
  });

  it('checks the caps against their first looks even when another option is wrong', () => {
    expect(validateBisectConfig({ confidence: 2, minBootsPerCommit: 5, maxBootsPerCommit: 3, calibrationBoots: 10, maxCalibrationBoots: 4 }).errors).toEqual([
      'Expected the `confidence` option to be a number in (0.5, 1), got `2`.',
      'Expected `maxBootsPerCommit` (3) to be at least `minBootsPerCommit` (5).',
      'Expected `maxCalibrationBoots` (4) to be at least `calibrationBoots` (10).',
    ]);
  });
});
