import { describe, expect, it } from 'vitest';
import { findIdenticalImage, formatByteSize, parseByteSize, planPrune, selectEvictions, type CachedBuildSummary } from '../../src/core/kernel-cache.ts';

describe('selectEvictions', () => {
  const entries = [
    { key: 'a', sizeBytes: 40, lastUsedMs: 300 },
    { key: 'b', sizeBytes: 30, lastUsedMs: 100 },
    { key: 'c', sizeBytes: 20, lastUsedMs: 200 },
    { key: 'd', sizeBytes: 10, lastUsedMs: 400 },
  ];
  it.each([
    [100, [], []],
    [99, [], ['b']],
    [70, [], ['b']],
    [69, [], ['b', 'c']],
    [0, [], ['b', 'c', 'a', 'd']],
    [69, ['b'], ['c', 'a']],
    [0, ['d'], ['b', 'c', 'a']],
  ])('limit %i keeping %j evicts %j (least recently used first)', (max, keep, evicted) => {
    expect(selectEvictions(entries, max, new Set(keep))).toEqual(evicted);
  });
});

function entry(key: string, sizeBytes: number, lastUsedMs: number, meta: Partial<CachedBuildSummary['meta']> = {}): CachedBuildSummary {
  return { key, sizeBytes, lastUsedMs, meta: { kind: 'built', sha: key.repeat(40), builtAt: `2024-05-0${lastUsedMs}`, ...meta } };
}

describe('planPrune', () => {
  const entries = [entry('a', 40, 3), entry('b', 30, 1, { kind: 'build-failed' }), entry('c', 20, 2), entry('d', 10, 4)];
  it.each([
    [{}, [], 0, 100],
    [{ all: true }, ['a', 'b', 'c', 'd'], 100, 0],
    [{ failed: true }, ['b'], 30, 70],
    [{ maxBytes: 50 }, ['b', 'c'], 50, 50],
    [{ failed: true, maxBytes: 60 }, ['b', 'c'], 50, 50],
    [{ failed: true, maxBytes: 30 }, ['a', 'b', 'c'], 90, 10],
  ])('%j removes %j', (opts, keys, freed, remaining) => {
    const plan = planPrune(entries, opts);
    expect(plan.removed.map((e) => e.key)).toEqual(keys);
    expect([plan.freedBytes, plan.remainingBytes]).toEqual([freed, remaining]);
  });
});

describe('findIdenticalImage', () => {
  it('names the oldest other commit that built the same image', () => {
    const entries = [
      entry('a', 1, 3, { imageHash: 'h1' }),
      entry('b', 1, 1, { imageHash: 'h1', kind: 'build-failed' }),
      entry('c', 1, 2, { imageHash: 'h1' }),
      entry('d', 1, 4, { imageHash: 'h2' }),
    ];
    expect(findIdenticalImage(entries, 'h1', 'a'.repeat(40))).toBe('c'.repeat(40));
    expect(findIdenticalImage(entries, 'h2', 'd'.repeat(40))).toBeUndefined();
  });
});

describe('parseByteSize / formatByteSize', () => {
  it.each([
    ['5G', 5 * 1024 ** 3],
    ['5GiB', 5 * 1024 ** 3],
    ['5GB', 5e9],
    ['500M', 500 * 1024 ** 2],
    ['1.5 GiB', 1.5 * 1024 ** 3],
    ['1048576', 1048576],
    ['0', 0],
    ['12k', 12 * 1024],
  ])('%s = %i bytes', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });
  it.each(['', 'lots', '-1G', '5 parsecs', '1e9'])('%j is not a size', (text) => {
    expect(parseByteSize(text)).toBeNull();
  });
  it.each([
    [512, '512 B'],
    [1536, '1.5 KiB'],
    [20 * 1024 ** 2, '20 MiB'],
    [5 * 1024 ** 3, '5.0 GiB'],
  ])('%i bytes reads %s', (bytes, text) => {
    expect(formatByteSize(bytes)).toBe(text);
  });
});
