import { describe, expect, it } from 'vitest';
import { computePrecisionBoots, estimateCalibrationPower, evaluateCalibration } from '../../../src/core/bisect/calibration.ts';
import { computeCalibrationLooks, defaultBisectConfig, validateBisectConfig } from '../../../src/core/bisect/config.ts';
import { makeLogSample as sample } from '../../helpers/samples.ts';

describe('endpoint calibration', () => {
  it('looks at 6, 9, 14, … boots per endpoint up to the cap', () => {
    expect(computeCalibrationLooks(defaultBisectConfig)).toEqual([6, 9, 14, 21, 32, 48, 72, 96]);
    expect(computeCalibrationLooks({ ...defaultBisectConfig, calibrationBoots: 4, maxCalibrationBoots: 5 })).toEqual([4, 5]);
  });

  it.each([
    ['a clear drop is confirmed', sample(9, 0), sample(9, -0.08), 0, 'lower-is-worse', 'confirmed'],
    ['a clear rise in latency is confirmed', sample(9, 0), sample(9, 0.08), 0, 'higher-is-worse', 'confirmed'],
    ['a rise in throughput is an improvement', sample(9, 0), sample(9, 0.08), 0, 'lower-is-worse', 'improvement'],
    ['a small drift early on: look again', sample(6, 0), sample(6, -0.004), 0, 'lower-is-worse', 'continue'],
    ['a small drift at the last look: inconclusive', sample(96, 0), sample(96, -0.004).map((v, i) => v + (i % 2 ? 0.01 : -0.01)), 7, 'lower-is-worse', 'inconclusive'],
  ] as const)('%s', (_name, good, bad, look, direction, status) => {
    const config = { ...defaultBisectConfig, direction, minEffect: 0.001 };
    expect(evaluateCalibration(good, bad, look, config).status).toBe(status);
  });

  it('a change confidently inside ±minEffect is "no regression"', () => {
    const config = { ...defaultBisectConfig, minEffect: 0.05 };
    const evaluation = evaluateCalibration(sample(40, 0), sample(40, -0.002), 4, config);
    expect(evaluation.status).toBe('no-regression');
    expect(evaluation.alpha).toBeCloseTo(0.01 / 8, 12);
  });

  it('asks for enough endpoint boots to pin the midpoint down to a fifth of the change', () => {
    const evaluation = { status: 'confirmed', p: 0.001, alpha: 0.001, logShift: -0.02, logCi: [-0.03, -0.01], sigma: 0.02 } as const;
    // ⌈(1.2533 · 0.02 / (0.2 · 0.02))²⌉ = ⌈39.27⌉
    expect(computePrecisionBoots(evaluation, defaultBisectConfig)).toBe(40);
    expect(computePrecisionBoots({ ...evaluation, logShift: -0.2 }, defaultBisectConfig)).toBe(6);
    expect(computePrecisionBoots({ ...evaluation, logShift: -0.001 }, defaultBisectConfig)).toBe(96);
  });

  it('power estimate: boots per endpoint for the minimum effect at this noise', () => {
    const power = estimateCalibrationPower(0.02, { ...defaultBisectConfig, minEffect: 0.02 });
    expect(power.forEffect).toBe(0.02);
    expect(power.power).toBe(0.8);
    expect(power.bootsNeeded).toBe(2 * power.bootsPerEndpoint);
    // (π/3)·2·((z_{1−0.01/8} + z_{0.8})·0.02/ln 1.02)² with z values from SciPy: 3.0233 + 0.8416.
    expect(power.bootsPerEndpoint).toBe(Math.ceil((Math.PI / 3) * 2 * (((3.0233 + 0.8416) * 0.02) / Math.log(1.02)) ** 2));
  });
});

describe('bisect options', () => {
  it('fills defaults and reports every problem at once', () => {
    const { config, errors } = validateBisectConfig({ confidence: 2, maxBuilds: 1.5, seed: Number.NaN });
    expect(config.direction).toBe('lower-is-worse');
    expect(errors).toEqual([
      'Expected the `confidence` option to be a number in (0.5, 1), got `2`.',
      'Expected the `maxBuilds` option to be an integer ≥ 2, got `1.5`.',
      'Expected the `seed` option to be a finite number, got `NaN`.',
    ]);
  });

  it('accepts the defaults', () => {
    expect(validateBisectConfig({}).errors).toEqual([]);
  });
});
