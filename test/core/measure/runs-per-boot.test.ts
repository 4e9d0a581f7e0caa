import { describe, expect, it } from 'vitest';
import { checkWarmup, chooseMoreRuns, decideRunsPerBoot, measureSummarySpread, planRunsPerBoot, probeRunsPerBoot, DEFAULT_BOOT_OVERHEAD_S, estimateBootOverheadS, type SampledBoot } from '../../../src/core/measure/runs-per-boot.ts';
import { createRng, nextNormal } from '../../../src/core/rng.ts';

// Endpoint boots on log scale: level per endpoint, σ between boots, σ within, first-run offset.
function endpoints(seed: number, o: { boots: number; k: number; sdBetween: number; sdWithin: number; warmupOffset?: number; warmupSd?: number; levels?: readonly number[] }): SampledBoot[][] {
  const rng = createRng(seed);
  return (o.levels ?? [1000, 900]).map((base) =>
    Array.from({ length: o.boots }, () => {
      const level = Math.log(base) + o.sdBetween * nextNormal(rng);
      const run = (): number => Math.exp(level + o.sdWithin * nextNormal(rng));
      const warmup = Math.exp(level + (o.warmupOffset ?? 0) + (o.warmupSd ?? o.sdWithin) * nextNormal(rng));
      return { warmup: [warmup], runs: Array.from({ length: o.k }, run) };
    }),
  );
}

const shipped = { runsPerBoot: 5, warmupRuns: 1, runS: 5, bootOverheadS: 11, minEffect: 0.05, rounds: { minBoots: 2, errorRate: 0.01 } };

describe('decideRunsPerBoot', () => {
  it("takes one run per boot where boots dominate (the issue's TCG host: σ_b 0.08, σ_w 0.03)", () => {
    const d = decideRunsPerBoot({ ...shipped, endpoints: endpoints(1, { boots: 12, k: 5, sdBetween: 0.08, sdWithin: 0.03 }) });
    expect(d.runsPerBoot).toBeLessThanOrEqual(2);
    expect(d.optimum).toBeLessThan(1.5);
    expect(d.summarySd).toHaveLength(5);
    expect(d.boots).toEqual([12, 12]);
    expect(d.reason).toMatch(/^[12] run\(s\) per boot \(cap 5\)/);
    // from 6 + 6 boots, over 100 seeds: mostly 1, never the cap
    const ks = Array.from({ length: 100 }, (_, s) => decideRunsPerBoot({ ...shipped, endpoints: endpoints(100 + s, { boots: 6, k: 5, sdBetween: 0.08, sdWithin: 0.03 }) }).runsPerBoot);
    expect(ks.filter((k) => k === 1).length).toBeGreaterThanOrEqual(70);
    expect(Math.max(...ks)).toBeLessThan(5);
  });

  it('keeps three runs or more where one run in five is wild (a boot\'s median needs three to outvote it)', () => {
    const rng = createRng(9);
    const wild = [1000, 900].map((base) =>
      Array.from({ length: 12 }, () => {
        const level = Math.log(base) + 0.08 * nextNormal(rng);
        const run = (i: number): number => Math.exp(level + 0.01 * nextNormal(rng) + (i % 5 === 0 ? Math.log(1.5) : 0));
        // the wild run comes first in half the boots (as a run of any place could)
        const runs = Array.from({ length: 5 }, (_, i) => run(i));
        if (nextNormal(rng) > 0) runs.reverse();
        return { warmup: [run(1)], runs };
      }),
    );
    const d = decideRunsPerBoot({ ...shipped, endpoints: wild });
    expect(d.runsPerBoot).toBeGreaterThanOrEqual(3);
    // the median of one run carries the wild run whole; of three, it is outvoted
    expect(d.summarySd[0]).toBeGreaterThan(2 * (d.summarySd[2] ?? 0));
  });

  it('decides on the probe\'s 3 runs a boot as on the profile\'s 5: the wild run still keeps 3, runs that dominate still take the cap', () => {
    expect([1, 2, 3, 5, 9].map(probeRunsPerBoot)).toEqual([1, 2, 3, 3, 3]);
    const rng = createRng(19);
    const wild = [1000, 900].map((base) =>
      Array.from({ length: 12 }, () => {
        const level = Math.log(base) + 0.08 * nextNormal(rng);
        const run = (i: number): number => Math.exp(level + 0.01 * nextNormal(rng) + (i === 0 ? Math.log(1.5) : 0));
        const runs = Array.from({ length: 3 }, (_, i) => run(i));
        if (nextNormal(rng) > 0) runs.reverse();
        return { warmup: [run(1)], runs };
      }),
    );
    const d = decideRunsPerBoot({ ...shipped, endpoints: wild });
    expect(d.summarySd).toHaveLength(3);
    expect(d.runsPerBoot).toBeGreaterThanOrEqual(3);
    expect(d.summarySd[0]).toBeGreaterThan(2 * (d.summarySd[2] ?? 0));
    expect(d.reason).toMatch(/SD of a boot's median of 1\.\.3 runs/);
    // the model reaches past what was measured: Cochran's k from the components, capped by the profile
    const runsDominate = decideRunsPerBoot({ ...shipped, endpoints: endpoints(2, { boots: 8, k: 3, sdBetween: 0.002, sdWithin: 0.06, levels: [1000, 990] }) });
    expect(runsDominate.summarySd).toHaveLength(3);
    expect(runsDominate.runsPerBoot).toBe(5);
  });

  it('keeps the cap where runs dominate and GOOD and BAD are close', () => {
    const d = decideRunsPerBoot({ ...shipped, endpoints: endpoints(2, { boots: 8, k: 5, sdBetween: 0.002, sdWithin: 0.06, levels: [1000, 990] }) });
    expect(d.runsPerBoot).toBe(5);
    expect(d.effect).toBe(0);
    expect(d.reason).toMatch(/no GOOD→BAD shift shown yet, so variance per second decides/);
  });

  it("takes fewer runs than Cochran's optimum when a commit's test ends at its least boots with them (a shift many σ wide)", () => {
    // runs dominate (k* ≈ 6) but GOOD and BAD are −10% apart, 3.5 run σ: two boots of 3 runs decide a commit as surely as two of 5
    const d = decideRunsPerBoot({ ...shipped, endpoints: endpoints(2, { boots: 8, k: 5, sdBetween: 0.002, sdWithin: 0.06 }) });
    expect(d.optimum).toBeGreaterThan(5);
    expect(d.runsPerBoot).toBe(3);
    expect(d.effect).toBeLessThan(-0.07);
    // about the least 2 boots a round: the fewer runs cost more boots than they save seconds only below 3
    expect(d.roundBoots).toBeGreaterThanOrEqual(2);
    expect(d.roundBoots).toBeLessThan(2.5);
    expect(d.reason).toMatch(/GOOD→BAD down by \d+\.\d% or more takes ~2\.\d boots a commit's test/);
    // the demo range's shape (−38%, σ_b 0.15, σ_w 0.09, 2 s runs, ~2 s a boot): one run, where Cochran's k* is ~0.8 and its rounding may say 2
    const demo = { ...shipped, runS: 2, bootOverheadS: 1.9 };
    const ks = Array.from({ length: 100 }, (_, s) => decideRunsPerBoot({ ...demo, endpoints: endpoints(300 + s, { boots: 6, k: 5, sdBetween: 0.15, sdWithin: 0.09, levels: [1000, 620] }) }).runsPerBoot);
    expect(ks.filter((k) => k === 1).length).toBeGreaterThanOrEqual(95);
  });

  it("needs evidence to take more runs than the model: the least measured spread of a boot's median is mostly noise at 6 + 6 boots", () => {
    // boots dominate, no shift to lean on: Cochran's integer optimum is 1, and 6 + 6 boots seldom show otherwise
    const ks = Array.from({ length: 200 }, (_, s) =>
      decideRunsPerBoot({ ...shipped, runS: 2, bootOverheadS: 1.9, endpoints: endpoints(500 + s, { boots: 6, k: 5, sdBetween: 0.15, sdWithin: 0.06, levels: [1000, 1000] }) }),
    );
    const raised = ks.filter((d) => /rather than the model's/.test(d.reason)).length;
    // one-sided 5%, Bonferroni over the j tried: a few in 200 by chance at most
    expect(raised).toBeLessThanOrEqual(6);
    expect(ks.filter((d) => d.runsPerBoot === 1).length).toBeGreaterThanOrEqual(150);
  });

  it('never asks for more runs than the profile', () => {
    const d = decideRunsPerBoot({ ...shipped, runsPerBoot: 3, endpoints: endpoints(3, { boots: 8, k: 3, sdBetween: 0, sdWithin: 0.06 }) });
    expect(d.runsPerBoot).toBe(3);
  });

  it('drops the warm-up on a quiet host whose first run is like the others', () => {
    const d = decideRunsPerBoot({ ...shipped, endpoints: endpoints(4, { boots: 6, k: 5, sdBetween: 0.08, sdWithin: 0.01 }) });
    expect(d.warmupRuns).toBe(0);
    expect(d.warmup?.needed).toBe(false);
    expect(d.reason).toMatch(/dropped the warm-up/);
  });

  it.each([
    ['is off by −10%', { warmupOffset: Math.log(0.9) }],
    ['spreads 5× more than a run', { warmupSd: 0.05 }],
  ])('keeps the warm-up when the first run %s', (_, extra) => {
    const d = decideRunsPerBoot({ ...shipped, endpoints: endpoints(5, { boots: 6, k: 5, sdBetween: 0.08, sdWithin: 0.01, ...extra }) });
    expect(d.warmupRuns).toBe(1);
    expect(d.warmup?.needed).toBe(true);
    expect(d.reason).toMatch(/kept the 1 warm-up/);
  });

  it('keeps the warm-up when the host is too noisy to show the first run harmless', () => {
    const d = decideRunsPerBoot({ ...shipped, endpoints: endpoints(6, { boots: 6, k: 5, sdBetween: 0.08, sdWithin: 0.05 }) });
    expect(d.warmupRuns).toBe(1);
  });

  it("keeps the profile's settings with one boot per endpoint, or one run per boot", () => {
    for (const e of [endpoints(7, { boots: 1, k: 5, sdBetween: 0.08, sdWithin: 0.03 }), endpoints(7, { boots: 6, k: 1, sdBetween: 0.08, sdWithin: 0.03 })]) {
      const d = decideRunsPerBoot({ ...shipped, endpoints: e });
      expect([d.runsPerBoot, d.warmupRuns, d.optimum, d.sdBetween]).toEqual([5, 1, null, null]);
      expect(d.reason).toMatch(/kept the profile's 5 run\(s\) per boot/);
    }
    expect(decideRunsPerBoot({ ...shipped, endpoints: [] }).runsPerBoot).toBe(5);
  });

  it('is NaN-free JSON when every run is identical', () => {
    const same = [0, 1].map(() => Array.from({ length: 4 }, () => ({ warmup: [100], runs: [100, 100, 100, 100, 100] })));
    const d = decideRunsPerBoot({ ...shipped, endpoints: same });
    const text = JSON.stringify(d);
    expect(text).not.toMatch(/NaN|Infinity/);
    expect(JSON.parse(text)).toEqual(d);
    expect(d.runsPerBoot).toBe(5);
  });

  it('ignores boots with non-positive or non-finite runs', () => {
    const e = endpoints(8, { boots: 6, k: 5, sdBetween: 0.08, sdWithin: 0.03 });
    e[0]?.push({ warmup: [1], runs: [0, -1, Number.NaN] });
    const d = decideRunsPerBoot({ ...shipped, endpoints: e });
    expect(d.boots).toEqual([6, 6]);
    expect(JSON.stringify(d)).not.toMatch(/NaN/);
  });
});

describe('chooseMoreRuns', () => {
  it('takes the j shown better per second, the least measured among several, and says so', () => {
    const rng = createRng(11);
    // one run in five is 50% off its boot: the median of 3 outvotes it, of 5 too; 3 costs less
    const wild = [1000, 900].map((base) =>
      Array.from({ length: 10 }, (_, b) => {
        const level = Math.log(base) + 0.05 * nextNormal(rng);
        const runs = Array.from({ length: 5 }, () => Math.exp(level + 0.01 * nextNormal(rng)));
        runs[b % 2 === 0 ? 0 : 3] = Math.exp(level + Math.log(1.5));
        return { warmup: [Math.exp(level)], runs };
      }),
    );
    const more = chooseMoreRuns(wild, { from: 1, cap: 5, warmupRuns: 1, bootCostS: 2, runS: 2 });
    expect(more.runs).toBeGreaterThanOrEqual(3);
    expect(more.p).toBeLessThan(0.05 / 4);
    expect(more.tested).toBe(4);
    // nothing above the cap to try
    expect(chooseMoreRuns(wild, { from: 5, cap: 5, warmupRuns: 1, bootCostS: 2, runS: 2 })).toEqual({ runs: 5, p: null, tested: 0 });
  });
});

describe('planRunsPerBoot', () => {
  const input = (e: SampledBoot[][]) => ({ ...shipped, runS: 2, bootOverheadS: 1.9, endpoints: e });
  it('decides at 3 + 3 boots when the shift is so wide that one run a boot ends every round at its least boots', () => {
    const wide = endpoints(21, { boots: 3, k: 5, sdBetween: 0.05, sdWithin: 0.05, levels: [1000, 500] });
    const d = planRunsPerBoot(0, 16, input(wide));
    expect(d?.runsPerBoot).toBe(1);
    expect(d?.boots).toEqual([3, 3]);
    // fewer boots: not yet
    expect(planRunsPerBoot(0, 16, input(wide.map((side) => side.slice(0, 2))))).toBeNull();
  });

  it('waits for 6 + 6 boots when the shift is small or the choice is not one run', () => {
    const close = endpoints(22, { boots: 5, k: 5, sdBetween: 0.05, sdWithin: 0.05, levels: [1000, 980] });
    expect(planRunsPerBoot(0, 16, input(close))).toBeNull();
    expect(planRunsPerBoot(16, 16, input(close))).toBeNull();
    const six = endpoints(22, { boots: 6, k: 5, sdBetween: 0.05, sdWithin: 0.05, levels: [1000, 980] });
    expect(planRunsPerBoot(0, 16, input(six))?.boots).toEqual([6, 6]);
  });

  it('decides on whatever boots there are once the engine asks for another commit', () => {
    const two = endpoints(23, { boots: 2, k: 5, sdBetween: 0.05, sdWithin: 0.05, levels: [1000, 980] });
    expect(planRunsPerBoot(7, 16, input(two))?.boots).toEqual([2, 2]);
    expect(planRunsPerBoot(0, 16, input(two))).toBeNull();
  });
});

describe('measureSummarySpread', () => {
  it("is the pooled SD of the median of a boot's first j runs; a dropped warm-up becomes the first run", () => {
    // the first judged run is wild in half the boots; the median of three outvotes it
    const boot = (first: number, warmup = 100): SampledBoot => ({ warmup: [warmup], runs: [first, 100, 100, 100] });
    const sd = measureSummarySpread([[boot(150), boot(100), boot(150), boot(100)], [boot(100), boot(150)]], 4, 1);
    const wild = Math.log(1.5);
    // j = 1: values 0 or log 1.5 around each endpoint's mean; SS = 4·(wild/2)² + 2·(wild/2)², df = 3 + 1
    expect(sd[0]).toBeCloseTo(Math.sqrt((6 * (wild / 2) ** 2) / 4), 12);
    expect(sd.slice(2)).toEqual([0, 0]);
    // without the warm-up, the (steady) warm-up run is the first judged run
    expect(measureSummarySpread([[boot(150, 120), boot(100, 100)]], 4, 0)[0]).toBeCloseTo(Math.log(1.2) / Math.SQRT2, 12);
    expect(measureSummarySpread([[boot(150)]], 4, 1)).toEqual([]);
  });
});

describe('checkWarmup', () => {
  it('needs three boots with a warm-up', () => {
    const boots = [{ warmup: [100], runs: [100, 101] }, { warmup: [], runs: [100, 101] }, { warmup: [99], runs: [100, 101] }];
    expect(checkWarmup(boots, { varWithin: 1e-4, dfWithin: 3 }, 0.05)).toBeNull();
  });
});

describe('estimateBootOverheadS', () => {
  it('is the median gap between successive boots of one commit, less their netperf time', () => {
    const t0 = Date.parse('2026-11-30T06:00:00Z');
    const boots = [
      { commit: 'a', atMs: t0 },
      { commit: 'a', atMs: t0 + 40_000 },
      { commit: 'a', atMs: t0 + 81_000 },
      // a build came between: not a boot's gap
      { commit: 'b', atMs: t0 + 900_000 },
      { commit: 'b', atMs: t0 + 942_000 },
    ];
    expect(estimateBootOverheadS(boots, 30)).toBe(11);
    expect(estimateBootOverheadS([], 30)).toBe(DEFAULT_BOOT_OVERHEAD_S);
  });
  it('counts the gaps of a calibration that alternates GOOD and BAD, not the first boot of a commit (its build came before it)', () => {
    // the demo's calibration: BAD, GOOD (built in between), then alternating, 8 s of netperf and 1.2 s more a boot
    const t0 = Date.parse('2026-11-30T18:49:20Z');
    const boots = [
      { commit: 'bad', atMs: t0 },
      { commit: 'good', atMs: t0 + 60_000 },
      { commit: 'bad', atMs: t0 + 69_200 },
      { commit: 'good', atMs: t0 + 78_400 },
      { commit: 'bad', atMs: t0 + 87_600 },
      { commit: 'good', atMs: t0 + 96_800 },
      { commit: 'bad', atMs: t0 + 106_000 },
      // a bisected commit: its build came first
      { commit: 'mid', atMs: t0 + 125_000 },
    ];
    expect(estimateBootOverheadS(boots, 8)).toBeCloseTo(1.2, 6);
  });
});
