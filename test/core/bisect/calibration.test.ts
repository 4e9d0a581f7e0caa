import { describe, expect, it } from 'vitest';
import {
  computeCalibrationSchedule,
  computeLateCalibrationAlpha,
  computePrecisionBoots,
  estimateCalibrationPower,
  evaluateCalibration,
  evaluateEarlyCalibration,
  testStudentT,
} from '../../../src/core/bisect/calibration.ts';
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
    // After an early look (rules 2) the floor is that look's boots, not calibrationBoots.
    expect(computePrecisionBoots({ ...evaluation, logShift: -0.2 }, defaultBisectConfig, 3)).toBe(3);
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

describe('early looks (rules 2)', () => {
  const sigma = 0.016653; // sd of the first three values of the fixed sample pattern

  it('looks with t-tests at 3, 4 and 5 boots per endpoint, then with Mann–Whitney from 6 as before', () => {
    const schedule = computeCalibrationSchedule(defaultBisectConfig);
    expect(schedule.map((l) => [l.boots, l.test])).toEqual([
      [3, 't'], [4, 't'], [5, 't'],
      ...[6, 9, 14, 21, 32, 48, 72, 96].map((n) => [n, 'mann-whitney']),
    ]);
    expect(computeCalibrationSchedule({ ...defaultBisectConfig, rules: 1 }).map((l) => l.boots)).toEqual(computeCalibrationLooks(defaultBisectConfig));
    expect(computeCalibrationSchedule({ ...defaultBisectConfig, firstLookBoots: 6 }).every((l) => l.test === 'mann-whitney')).toBe(true);
  });

  it('spends calibrationAlpha in all: a tenth over the early looks, the rest over the Mann–Whitney ones', () => {
    const config = defaultBisectConfig;
    const early = [sample(3, 0), sample(4, 0), sample(5, 0)].map((good) => evaluateEarlyCalibration(good, good, config).alpha);
    const late = computeCalibrationLooks(config).map((_, look) => evaluateCalibration(sample(6, 0), sample(6, 0), look, { ...config, calibrationAlpha: computeLateCalibrationAlpha(config) }).alpha);
    expect(early.reduce((a, b) => a + b, 0) + late.reduce((a, b) => a + b, 0)).toBeCloseTo(config.calibrationAlpha, 12);
    expect(early[0]).toBeCloseTo(0.01 / 30, 12);
    // Mann–Whitney with 6 + 6 can still decide: its smallest p, 1/924, is below 0.009/8.
    expect(late[0]).toBeGreaterThan(1 / 924);
    expect(computeLateCalibrationAlpha({ ...config, rules: 1 })).toBe(config.calibrationAlpha);
  });

  it.each([
    ['a drop 9σ wide at 3 + 3 is confirmed', 3, -9 * sigma, 'lower-is-worse', 'confirmed'],
    ['a drop 1σ wide at 3 + 3 is not', 3, -1 * sigma, 'lower-is-worse', 'continue'],
    ['a drop 5σ wide at 3 + 3 is not yet', 3, -5 * sigma, 'lower-is-worse', 'continue'],
    ['a drop 5σ wide at 5 + 5 is', 5, -5 * sigma, 'lower-is-worse', 'confirmed'],
    ['a rise 9σ wide in throughput is never confirmed', 3, 9 * sigma, 'lower-is-worse', 'continue'],
    ['a rise 9σ wide in latency is', 3, 9 * sigma, 'higher-is-worse', 'confirmed'],
  ] as const)('%s', (_name, n, shift, direction, status) => {
    expect(evaluateEarlyCalibration(sample(n, 0), sample(n, shift), { ...defaultBisectConfig, direction }).status).toBe(status);
  });

  it.each([
    // SciPy: stats.ttest_ind(good, bad, alternative='greater'), and the 95% CI of mean(bad) − mean(good) by hand
    ['fixed samples, a 4% drop', sample(3, 0), sample(3, -0.04), 'lower-is-worse', 0.021157827919432243, [-0.07775239405286058, -0.0022476059471394153]],
    // SciPy: stats.ttest_ind([1,2,3,5], [4,5,6,9,7], alternative='less')
    ['unequal sizes, a rise', [1, 2, 3, 5], [4, 5, 6, 9, 7], 'higher-is-worse', 0.013187537599460607, null],
  ] as const)("Student's pooled t-test agrees with SciPy: %s", (_name, reference, worse, direction, p, ci) => {
    const result = testStudentT(reference, worse, direction, 0.95);
    expect(result.p).toBeCloseTo(p, 10);
    if (ci !== null) {
      expect(result.ci[0]).toBeCloseTo(ci[0], 10);
      expect(result.ci[1]).toBeCloseTo(ci[1], 10);
    }
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
