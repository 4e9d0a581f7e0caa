import { describe, expect, it } from 'vitest';
import { createRng, nextNormal } from '../../../src/core/rng.ts';
import { byEpochKey, detectChangePointsByEpoch, splitEpochs } from '../../../src/core/sweep/index.ts';

interface Point {
  readonly sha: string;
  readonly host: string;
  readonly value: number;
}

const byHost = byEpochKey<Point>((p) => p.host);

function points(hosts: readonly string[], level: (i: number) => number = () => 0, seed = 1): Point[] {
  const rng = createRng(seed);
  return hosts.map((host, i) => ({ sha: `c${i}`, host, value: Math.log(9400) + level(i) + 0.01 * nextNormal(rng) }));
}

const hosts = (...runs: readonly (readonly [string, number])[]): string[] => runs.flatMap(([h, n]) => Array<string>(n).fill(h));

describe('splitting a series into epochs', () => {
  it.each([
    ['one host', hosts(['a', 5]), [[0, 5]]],
    ['a host change', hosts(['a', 3], ['b', 4]), [[0, 3], [3, 7]]],
    ['back to the first host: a new epoch', hosts(['a', 2], ['b', 2], ['a', 2]), [[0, 2], [2, 4], [4, 6]]],
    ['every point on its own host', ['a', 'b', 'c'], [[0, 1], [1, 2], [2, 3]]],
    ['no points', [], []],
  ] as const)('%s', (_, labels, expected) => {
    expect(splitEpochs(points(labels), byHost).map((e) => [e.start, e.end])).toEqual(expected);
  });

  it('takes any predicate, e.g. a rewritten branch (a point whose parent is not the previous point)', () => {
    const chain = [
      { sha: 'a', parent: '' },
      { sha: 'b', parent: 'a' },
      { sha: 'x', parent: 'q' },
      { sha: 'y', parent: 'x' },
    ];
    expect(splitEpochs(chain, (previous, current) => current.parent !== previous.sha)).toEqual([
      { start: 0, end: 2 },
      { start: 2, end: 4 },
    ]);
  });
});

describe('detection per epoch', () => {
  it('a host change that moves every value is not a change point', () => {
    const series = points(hosts(['a', 60], ['b', 60]), (i) => (i >= 60 ? Math.log(0.8) : 0));
    const found = detectChangePointsByEpoch(series, (p) => p.value, byHost);
    expect(found.map((e) => e.changePoints)).toEqual([[], []]);
  });

  it('a step inside the second epoch is found, with indices into the whole series', () => {
    const series = points(hosts(['a', 60], ['b', 80]), (i) => (i >= 60 ? Math.log(0.8) : 0) + (i >= 100 ? Math.log(0.95) : 0));
    series[30] = { ...(series[30] as Point), value: (series[30] as Point).value + Math.log(0.6) };
    const found = detectChangePointsByEpoch(series, (p) => p.value, byHost);
    expect(found[0]?.excluded).toEqual([30]);
    const [change] = found[1]?.changePoints ?? [];
    expect(change?.index).toBe(100);
    expect(change && change.lastBeforeIndex < 100 && change.firstAfterIndex >= 100).toBe(true);
    expect(found[1]?.epoch).toEqual({ start: 60, end: 140 });
  });

  it('passes the options on (min effect)', () => {
    const series = points(hosts(['a', 100]), (i) => (i >= 50 ? Math.log(0.98) : 0));
    expect(detectChangePointsByEpoch(series, (p) => p.value, byHost, { minEffect: 0.01 })[0]?.changePoints).toHaveLength(1);
    expect(detectChangePointsByEpoch(series, (p) => p.value, byHost, { minEffect: 0.03 })[0]?.changePoints).toHaveLength(0);
  });
});
