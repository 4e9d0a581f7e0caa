import { describe, expect, it } from 'vitest';
import { estimateHodgesLehmannShift } from '../../../src/core/stats/index.ts';
import { createRng, nextNormal } from '../../../src/core/rng.ts';

// 10 vs 10 (NumPy seed 7). Expected values: median of the 100 differences and
// the order statistics D(24), D(77) given by the published two-sided 5% U
// critical value 23 for n1 = n2 = 10 (computed with NumPy, not with kbisect).
const X10 = [10.001, 10.299, 9.726, 9.109, 9.545, 9.008, 10.06, 11.34, 9.508, 9.38];
const Y10 = [11.49, 11.357, 11.105, 10.07, 10.971, 11.695, 9.656, 10.542, 9.099, 9.71];
// 40 vs 45 (NumPy seed 3); m + n > 50 uses the normal critical rank
// k = ⌊mn/2 − z·√(mn(m+n+1)/12)⌋ = 677 (Hollander & Wolfe 1999, eq. 4.40).
const A40 = [2.0409, -2.5557, 0.4181, -0.5678, -0.4526, -0.2156, -2.02, -0.2319, -0.8652, 3.323, 0.2258, -0.3526, -0.2813, -0.668, -1.0552, -0.3908, 0.4819, -0.2386, 0.9578, -0.1998, 0.0243, 1.5458, 0.5451, -0.5052, -0.1828, 0.5405, 1.9351, -0.2696, -0.2436, 1.0023, -0.8865, -0.2917, 0.8825, 0.5804, 0.0915, 0.6701, -2.8282, 1.0213, -0.9596, -1.6686];
const B45 = [0.9764, 1.4005, 0.2552, -0.3764, 0.7261, 0.6473, 2.1056, 1.4474, 0.8938, 1.8116, 0.4945, -0.2259, 1.2841, 1.2825, 0.4852, -0.0828, 0.9292, -1.7939, 1.3901, 1.1914, -0.9389, 0.7614, -0.2641, 1.4572, -1.3342, -0.2145, 1.4096, 1.8564, -1.458, 0.202, 1.028, 0.0908, 2.2906, -0.4912, 1.0545, -0.3484, 2.106, 0.6783, 0.3277, -1.0182, 2.3818, 1.4528, 1.4536, 1.8379, 1.0492];

describe('Hodges–Lehmann shift with Moses confidence interval', () => {
  it.each([
    ['exact critical rank, 10 vs 10', X10, Y10, 0.8634999999999993, -0.009999999999999787, 1.6349999999999998],
    ['normal critical rank, 40 vs 45', A40, B45, 0.8095, 0.3247, 1.2681],
  ])('%s', (_name, x, y, estimate, lo, hi) => {
    const result = estimateHodgesLehmannShift(x, y, 0.95);
    expect(result.estimate).toBeCloseTo(estimate, 10);
    expect(result.ci[0]).toBeCloseTo(lo, 10);
    expect(result.ci[1]).toBeCloseTo(hi, 10);
  });

  it('covers the true shift about 95% of the time (seeded simulation, 400 trials)', () => {
    const rng = createRng(5);
    let covered = 0;
    for (let t = 0; t < 400; t++) {
      const x = Array.from({ length: 8 }, () => nextNormal(rng));
      const y = Array.from({ length: 8 }, () => 1.5 + nextNormal(rng));
      const { ci } = estimateHodgesLehmannShift(x, y);
      if (ci[0] <= 1.5 && 1.5 <= ci[1]) covered++;
    }
    expect(covered / 400).toBeGreaterThan(0.92);
    expect(covered / 400).toBeLessThan(0.99);
  });

  it('falls back to the full range when samples are too small for the level', () => {
    expect(estimateHodgesLehmannShift([1, 2], [4, 6]).ci).toEqual([2, 5]);
  });
});
