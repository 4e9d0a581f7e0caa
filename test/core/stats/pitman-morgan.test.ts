import { describe, expect, it } from 'vitest';
import { testPairedSpread } from '../../../src/core/stats/pitman-morgan.ts';
import { createRng, nextNormal } from '../../../src/core/rng.ts';

// n pairs with var u = su², var v = sv², corr(u, v) = rho
function pairs(seed: number, n: number, su: number, sv: number, rho: number): [number, number][] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => {
    const a = nextNormal(rng);
    const b = rho * a + Math.sqrt(1 - rho * rho) * nextNormal(rng);
    return [su * a, sv * b];
  });
}

describe('testPairedSpread (Pitman–Morgan)', () => {
  it('is r·sqrt(ν/(1 − r²)) on the correlation of u + v with u − v, ν = pairs − groups − 1', () => {
    const p = pairs(1, 12, 1, 0.7, 0.8);
    const res = testPairedSpread([p]);
    const mu = p.reduce((a, [u]) => a + u, 0) / p.length;
    const mv = p.reduce((a, [, v]) => a + v, 0) / p.length;
    const s = p.map(([u, v]) => u - mu + v - mv);
    const d = p.map(([u, v]) => u - mu - (v - mv));
    const r = s.reduce((a, x, i) => a + x * (d[i] as number), 0) / Math.sqrt(s.reduce((a, x) => a + x * x, 0) * d.reduce((a, x) => a + x * x, 0));
    expect(res?.r).toBeCloseTo(r, 12);
    expect(res?.df).toBe(10);
    expect(res?.t).toBeCloseTo(r * Math.sqrt(10 / (1 - r * r)), 12);
  });

  it('says u spreads more when it does, and not the other way round', () => {
    const p = pairs(2, 20, 1, 0.5, 0.7);
    const res = testPairedSpread([p]);
    expect(res?.pGreater).toBeLessThan(0.01);
    const swapped = testPairedSpread([p.map(([u, v]) => [v, u] as [number, number])]);
    expect(swapped?.pGreater).toBeCloseTo(1 - (res?.pGreater ?? 0), 12);
    // v = u / 2 exactly: u + v and u − v are one line
    expect(testPairedSpread([p.map(([u]) => [u, u / 2] as [number, number])])?.pGreater).toBe(0);
  });

  it('holds its level on equal spreads, however correlated the pair', () => {
    for (const rho of [0, 0.9]) {
      let rejected = 0;
      for (let s = 0; s < 2000; s++) if ((testPairedSpread([pairs(100 + s, 12, 1, 1, rho)])?.pGreater ?? 1) < 0.05) rejected++;
      expect(rejected / 2000).toBeGreaterThan(0.035);
      expect(rejected / 2000).toBeLessThan(0.065);
    }
  });

  it('centres each group on its own means (GOOD and BAD differ by the regression)', () => {
    const a = pairs(3, 8, 1, 0.6, 0.5);
    const b = pairs(4, 8, 1, 0.6, 0.5);
    const shifted = b.map(([u, v]) => [u + 5, v - 3] as [number, number]);
    const [moved, plain] = [testPairedSpread([a, shifted]), testPairedSpread([a, b])];
    expect(moved?.r).toBeCloseTo(plain?.r ?? Number.NaN, 12);
    expect(moved?.pGreater).toBeCloseTo(plain?.pGreater ?? Number.NaN, 12);
    expect(testPairedSpread([a, b])?.df).toBe(13);
  });

  it('is null without a degree of freedom, and p = 1 when the two are identical or constant', () => {
    expect(testPairedSpread([[[1, 2], [2, 3]]])).toBeNull();
    expect(testPairedSpread([])).toBeNull();
    const same = pairs(5, 6, 1, 1, 1).map(([u]) => [u, u] as [number, number]);
    expect(testPairedSpread([same])?.pGreater).toBe(1);
    expect(testPairedSpread([[[1, 1], [1, 1], [1, 1], [1, 1]]])?.pGreater).toBe(1);
  });
});
