import { describe, expect, it } from 'vitest';
import { formatByteSize, parseByteSize, selectEvictions } from '../../src/core/kernel-cache.ts';

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
