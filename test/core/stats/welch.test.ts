import { describe, expect, it } from 'vitest';
import { testWelch } from '../../../src/core/stats/index.ts';

const A = [19.2, 23.1, 17.4, 25.0, 21.7, 18.8, 22.4];
const B = [26.3, 24.9, 28.1, 22.9, 27.5, 30.2, 25.6, 29.0];

describe("Welch's t-test (reference values from scipy.stats.ttest_ind(equal_var=False) 1.17)", () => {
  it.each([
    ['two-sided', 0.0009493372458180751],
    ['less', 0.00047466862290903753],
    ['greater', 0.999525331377091],
  ] as const)('%s', (alternative, p) => {
    const result = testWelch(A, B, alternative);
    expect(result.t).toBeCloseTo(-4.338938476747693, 9);
    expect(result.df).toBeCloseTo(12.077569167938032, 9);
    expect(result.p).toBeCloseTo(p, 7);
  });

  it('confidence interval of mean(y) − mean(x)', () => {
    const { ci, difference } = testWelch(A, B);
    // SciPy reports the interval for mean(x) − mean(y) = [−8.6005, −2.8531].
    expect(ci[0]).toBeCloseTo(2.8531077488795216, 5);
    expect(ci[1]).toBeCloseTo(8.600463679691908, 5);
    expect(difference).toBeCloseTo(5.726785714285714, 9);
  });

  it('needs two values per sample', () => {
    expect(() => testWelch([1], [1, 2])).toThrow(/at least two values/);
  });
});
