import { describe, expect, it } from 'vitest';
import { createRng, forkRng, nextInt, nextNormal, nextUniform } from '../../src/core/rng.ts';

describe('seeded RNG', () => {
  it('same seed, same stream; state survives JSON', () => {
    const a = createRng(123);
    const b = createRng(123);
    const first = [nextUniform(a), nextUniform(a)];
    expect([nextUniform(b), nextUniform(b)]).toEqual(first);
    const copy = JSON.parse(JSON.stringify(a));
    expect(nextUniform(copy)).toBe(nextUniform(a));
  });

  it('nearby seeds give different streams', () => {
    expect(nextUniform(createRng(1))).not.toBe(nextUniform(createRng(2)));
  });

  it('uniform draws are in [0,1) with mean ≈ ½, normals have mean ≈ 0 and sd ≈ 1', () => {
    const rng = createRng(9);
    let sum = 0;
    let min = 1;
    let max = 0;
    let sumN = 0;
    let sumN2 = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const u = nextUniform(rng);
      min = Math.min(min, u);
      max = Math.max(max, u);
      sum += u;
      const z = nextNormal(rng);
      sumN += z;
      sumN2 += z * z;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(sum / n).toBeCloseTo(0.5, 1);
    expect(sumN / n).toBeCloseTo(0, 1);
    expect(Math.sqrt(sumN2 / n)).toBeCloseTo(1, 1);
  });

  it('integers cover the range; forks are independent of later parent draws', () => {
    const rng = createRng(4);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(nextInt(rng, 5));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
    const child = forkRng(rng);
    expect(child.state).not.toBe(rng.state);
  });

  it('rejects a non-finite seed', () => {
    expect(() => createRng(Number.NaN)).toThrow(/finite number/);
  });
});
