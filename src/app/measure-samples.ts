// The samples of one boot, collected run by run as netperf's outputs arrive
// (from the client guest's console or the host-side netperf).
import { metricValue, type NetperfOutcome, type NetperfRecord } from '../adapters/netperf.ts';
import type { MeasureProgress, RunRecord, TestSamples } from '../core/measure/types.ts';
import type { Profile, ProfileTest } from '../core/profile/index.ts';
import { countRepsPerTest } from '../core/measure/plan.ts';

function toRunRecord(r: NetperfRecord): RunRecord {
  return {
    throughput: r.throughput,
    throughputUnits: r.throughputUnits,
    meanLatencyUs: r.meanLatencyUs,
    p50LatencyUs: r.p50LatencyUs,
    p99LatencyUs: r.p99LatencyUs,
    transactionRate: r.transactionRate,
    elapsedS: r.elapsedS,
  };
}

// Collects one boot's runs test by test; the first warmupRuns of each test are warm-up.
export class SampleCollector {
  private readonly samples = new Map<string, TestSamples>();
  netperfMs = 0;
  failure: string | null = null;

  constructor(
    private readonly profile: Profile,
    private readonly bootIndex: number,
    private readonly emit: (e: MeasureProgress) => void,
  ) {
    for (const t of profile.tests) {
      this.samples.set(t.name, {
        test: t.name,
        type: t.type,
        metric: t.metric,
        unit: '',
        higherIsBetter: t.higherIsBetter,
        runs: [],
        warmup: [],
        records: [],
      });
    }
  }

  // Records one run; returns false (and remembers why) when it failed.
  add(test: ProfileTest, rep: number, outcome: NetperfOutcome): boolean {
    const reps = countRepsPerTest(this.profile);
    if (outcome.kind === 'failed') {
      this.failure ??= `netperf ${test.type} (${test.name}) run ${rep}/${reps}: ${outcome.failure}: ${outcome.message}`;
      return false;
    }
    const s = this.samples.get(test.name);
    if (!s) return false;
    const { value, unit } = metricValue(outcome.record, test.metric);
    this.netperfMs += (outcome.record.elapsedS ?? test.durationS) * 1000;
    s.records.push(toRunRecord(outcome.record));
    const warmup = rep <= this.profile.sampling.warmupRuns;
    this.emit({ kind: 'run', bootIndex: this.bootIndex, test: test.name, rep, reps, warmup, value, unit });
    if (value === null) {
      this.failure ??= `netperf ${test.type} (${test.name}) run ${rep}/${reps} reported no ${test.metric}`;
      return false;
    }
    s.unit = unit;
    (warmup ? s.warmup : s.runs).push(value);
    return true;
  }

  tests(): TestSamples[] {
    return [...this.samples.values()];
  }
}
