import { describe, expect, it } from 'vitest';
import {
  chooseNextCommit,
  computeExpectedInformation,
  computePosterior,
  findCredibleInterval,
  findLeadingBlock,
  tiltPosterior,
} from '../../../src/core/bisect/posterior.ts';

describe('probabilistic bisection posterior', () => {
  it('is uniform over the candidates without evidence', () => {
    expect(computePosterior(5, [])).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('a verdict with LLR L at commit i multiplies hypotheses k ≤ i by e^L (noisy-oracle update)', () => {
    // 6 commits → candidates 1..5; commit 3 like BAD with L = ln 99 (error rate 1%).
    const posterior = computePosterior(6, [{ index: 3, llr: Math.log(99) }]);
    const z = 3 * 99 + 2;
    expect(posterior.map((p) => p * z)).toEqual([99, 99, 99, 1, 1].map((v) => expect.closeTo(v, 9)));
  });

  it('ignores evidence on the endpoints, which weighs every hypothesis alike', () => {
    expect(computePosterior(4, [{ index: 0, llr: 5 }, { index: 3, llr: -5 }])).toEqual(computePosterior(4, []));
  });

  it('stays finite for certain (manual) verdicts', () => {
    const posterior = computePosterior(4, [{ index: 1, llr: -1000 }, { index: 2, llr: 1000 }]);
    expect(posterior).toEqual([0, 1, 0]);
  });

  it.each([
    // commits, evidence, eligible, expected pick
    [9, [], () => true, 4],
    [1024, [], () => true, 511],
    [9, [], (i: number) => i !== 4, 3],
    [9, [{ index: 4, llr: 20 }], () => true, 2],
    [9, [{ index: 4, llr: -20 }], () => true, 6],
  ])('picks the most informative commit (N=%d, case %#)', (n, evidence, eligible, expected) => {
    expect(chooseNextCommit(computePosterior(n, evidence), eligible, 0.01)).toBe(expected);
  });

  it('returns null when nothing eligible would teach anything', () => {
    const settled = computePosterior(5, [{ index: 2, llr: 1000 }, { index: 1, llr: -1000 }]);
    expect(chooseNextCommit(settled, () => true, 0.01)).toBeNull();
    expect(chooseNextCommit(computePosterior(5, []), () => false, 0.01)).toBeNull();
  });

  it('expected information of a verdict is 1 − H(ε) bits at an even split, 0 when settled', () => {
    const h = -(0.01 * Math.log2(0.01) + 0.99 * Math.log2(0.99));
    expect(computeExpectedInformation(0.5, 0.01)).toBeCloseTo(1 - h, 12);
    expect(computeExpectedInformation(1, 0.01)).toBeCloseTo(0, 12);
  });

  it('tilting equals recomputing with the extra evidence', () => {
    const base = computePosterior(20, [{ index: 5, llr: 2 }]);
    const tilted = tiltPosterior(base, 9, -3);
    const direct = computePosterior(20, [{ index: 5, llr: 2 }, { index: 9, llr: -3 }]);
    tilted.forEach((p, k) => expect(p).toBeCloseTo(direct[k] as number, 12));
  });

  it('merges hypotheses that a skipped commit cannot tell apart', () => {
    // Candidates 1..5; commits 2 and 3 skipped → hypotheses 2, 3, 4 form one block.
    const posterior = [0.02, 0.3, 0.3, 0.36, 0.02];
    expect(findLeadingBlock(posterior, (i) => i === 2 || i === 3)).toEqual({ first: 2, last: 4, probability: expect.closeTo(0.96, 12) });
    expect(findLeadingBlock(posterior, () => false)).toEqual({ first: 4, last: 4, probability: 0.36 });
  });

  it('finds the shortest run of candidates holding the requested mass', () => {
    expect(findCredibleInterval([0.01, 0.02, 0.5, 0.45, 0.02], 0.95)).toEqual({ first: 3, last: 4, probability: expect.closeTo(0.95, 12) });
    expect(findCredibleInterval([0.25, 0.25, 0.25, 0.25], 0.95)).toEqual({ first: 1, last: 4, probability: 1 });
  });
});
