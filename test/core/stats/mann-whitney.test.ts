import { describe, expect, it } from 'vitest';
import { countUDistribution, testMannWhitney, rankWithTies } from '../../../src/core/stats/index.ts';

const A = [19.2, 23.1, 17.4, 25.0, 21.7, 18.8, 22.4];
const B = [26.3, 24.9, 28.1, 22.9, 27.5, 30.2, 25.6, 29.0];
// Hollander & Wolfe (1999) example 4.1 (has ties → normal approximation).
const HW_X = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
const HW_Y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
// 30 and 35 draws from N(0,1) and N(0.5,1) (NumPy seed 1), no ties, m+n > 50.
const C = [0.3456, 0.8216, 0.3304, -1.3032, 0.9054, 0.4464, -0.537, 0.5811, 0.3646, 0.2941, 0.0284, 0.5467, -0.7365, -0.1629, -0.4821, 0.5988, 0.0397, -0.2925, -0.7819, -0.2572, 0.0081, -0.2756, 1.2941, 1.0067, -2.7112, -1.889, -0.1748, -0.4222, 0.2136, 0.2173];
const D = [2.6178, -0.612, 0.1224, 2.5428, 1.1467, 1.1631, -0.014, -1.1481, 0.6675, 0.609, -0.7274, -0.1832, 0.428, -0.4448, 0.4017, 0.5955, 0.5356, -0.0063, 1.0937, 1.3912, 0.8208, -0.3182, 1.2317, -0.0014, 1.3792, -0.5718, 1.4145, 0.4799, -0.7487, 0.1861, 0.5541, 0.7728, -0.4822, -0.6074, 0.6996];

describe('Mann–Whitney U (reference p-values from scipy.stats.mannwhitneyu 1.17)', () => {
  it.each([
    ['exact, two-sided', A, B, 'two-sided', 3, 0.0021756021756021756, 'exact'],
    ['exact, less', A, B, 'less', 3, 0.0010878010878010878, 'exact'],
    ['exact, greater', A, B, 'greater', 3, 0.9993783993783995, 'exact'],
    ['ties, two-sided', HW_X, HW_Y, 'two-sided', 58, 0.13291945818531892, 'normal'],
    ['ties, less', HW_X, HW_Y, 'less', 58, 0.9442044002897128, 'normal'],
    ['ties, greater', HW_X, HW_Y, 'greater', 58, 0.06645972909265946, 'normal'],
    ['large, two-sided', C, D, 'two-sided', 385, 0.06640422379487575, 'normal'],
    ['large, less', C, D, 'less', 385, 0.03320211189743787, 'normal'],
    ['large, greater', C, D, 'greater', 385, 0.9677598480663778, 'normal'],
  ] as const)('%s', (_name, x, y, alternative, u, p, method) => {
    const result = testMannWhitney(x, y, alternative);
    expect(result.u).toBe(u);
    expect(result.p).toBeCloseTo(p, 6);
    expect(result.method).toBe(method);
  });

  it('exact distribution reproduces published critical values (Mann & Whitney 1947 tables)', () => {
    // Two-sided α = 0.05 critical U: n1=n2=5 → 2, n1=n2=10 → 23, n1=n2=20 → 127.
    for (const [n, critical] of [[5, 2], [10, 23], [20, 127]] as const) {
      const counts = countUDistribution(n, n);
      const total = counts.reduce((a, b) => a + b, 0);
      const tail = (u: number) => counts.slice(0, u + 1).reduce((a, b) => a + b, 0) / total;
      expect(tail(critical)).toBeLessThanOrEqual(0.025);
      expect(tail(critical + 1)).toBeGreaterThan(0.025);
    }
  });

  it('exact counts sum to C(m+n, m) and are symmetric', () => {
    expect(countUDistribution(2, 2)).toEqual([1, 1, 2, 1, 1]);
    const counts = countUDistribution(25, 25);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(126410606437752);
    expect(counts).toEqual([...counts].reverse());
  });

  it('mid-ranks ties', () => {
    expect(rankWithTies([3, 1, 3, 2])).toEqual({ ranks: [3.5, 1, 3.5, 2], tieSizes: [2] });
  });

  it('identical samples are not different', () => {
    expect(testMannWhitney([1, 1, 1], [1, 1, 1]).p).toBe(1);
  });
});
