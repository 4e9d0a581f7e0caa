import { describe, expect, it } from 'vitest';
import { computeCalibrationSchedule } from '../../../src/core/bisect/calibration.ts';
import { validateBisectConfig } from '../../../src/core/bisect/config.ts';
import { evaluateHostsCalibration, screenWildEndpointBoots, WILD_SIGMAS, type HostEndpoints } from '../../../src/core/bisect/hosts-calibration.ts';

const { config } = validateBisectConfig({});
const WILD = Math.log(0.7);
// log boots of 4 hosts at their own levels, BAD 2σ (σ ≈ 1.7%) below GOOD, 3 of each: the first early look
const spread = [0, 0.017, -0.017];
const hostsAt = (offsets: readonly number[]): HostEndpoints[] => offsets.map((o) => ({ good: spread.map((e) => o + e), bad: spread.map((e) => o - 0.034 + e * 0.8) }));

describe('screenWildEndpointBoots', () => {
  it.each([
    ['a wild boot among normal ones goes', [0, 0.01, WILD], [0, 0.01]],
    ['normal boots all stay', [0, 0.02, -0.02], [0, 0.02, -0.02]],
    ['a group of two is left alone', [0, WILD], [0, WILD]],
  ])('%s', (_name, good, kept) => {
    expect(screenWildEndpointBoots([{ good, bad: [0, 0.01, -0.01] }], 0.017)).toEqual([{ good: kept, bad: [0, 0.01, -0.01] }]);
  });

  it('screens each group against its own median at WILD_SIGMAS σ, never across hosts or endpoints', () => {
    const sigma = 0.01;
    const near = (WILD_SIGMAS - 0.1) * sigma;
    const far = (WILD_SIGMAS + 0.1) * sigma;
    const [screened] = screenWildEndpointBoots([{ good: [1, 1, 1, 1 + near, 1 + far], bad: [5, 5, 5 - far] }], sigma);
    expect(screened).toEqual({ good: [1, 1, 1, 1 + near], bad: [5, 5] });
    expect(screenWildEndpointBoots([{ good: [0, 1, 2], bad: [0] }], Number.NaN)).toEqual([{ good: [0, 1, 2], bad: [0] }]);
  });
});

describe('evaluateHostsCalibration, early look', () => {
  const look = computeCalibrationSchedule(config)[0]!;
  it('confirms a 2σ change over 4 hosts at 3 + 3 boots each', () => {
    expect(look.test).toBe('t');
    expect(evaluateHostsCalibration(hostsAt([0, 0.1, -0.1, 0.2]), look, config).status).toBe('confirmed');
  });

  it('still confirms it when one GOOD boot is wild (the t-test alone would wait for the rank looks)', () => {
    const hosts = hostsAt([0, 0.1, -0.1, 0.2]);
    hosts[1] = { ...hosts[1]!, good: [0.1, 0.117, 0.1 + WILD] };
    expect(evaluateHostsCalibration(hosts, look, config).status).toBe('confirmed');
  });

  it('does not confirm a wild BAD boot alone: with it screened out, no change is left', () => {
    const hosts = [0, 0.1, -0.1, 0.2].map((o) => ({ good: spread.map((e) => o + e), bad: spread.map((e) => o + e * 0.8) }));
    hosts[2] = { ...hosts[2]!, bad: [-0.1, -0.1 + 0.0136, -0.1 + WILD] };
    expect(evaluateHostsCalibration(hosts, look, config).status).toBe('continue');
  });
});
