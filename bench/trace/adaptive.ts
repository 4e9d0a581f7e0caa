// `sampling.adaptive` on a recorded trace: the replay boots with the
// profile's warm-up and its first probeRunsPerBoot runs until the app would decide
// (core/measure/runs-per-boot.ts: the same trigger and the same decision,
// from the endpoint boots drawn so far), then takes the decided number of
// runs from each recorded boot. A dropped warm-up makes the recorded warm-up
// run the boot's first judged run, as it would be on the host. Each draw is
// charged its modelled wall time.
import { planRunsPerBoot, probeRunsPerBoot, type RunsPerBootDecision, type SampledBoot } from '../../src/core/measure/runs-per-boot.ts';
import type { Rng } from '../../src/core/rng.ts';
import type { BootOutcome } from '../sim/history.ts';
import { createTraceHost, type ExhaustedPolicy, type TraceHost } from './host.ts';
import type { Trace } from './trace.ts';

export interface CostedHost extends TraceHost {
  // modelled seconds of every boot drawn so far: overhead + (warm-up + runs) × run length
  readonly wallS: () => number;
  readonly decision: () => RunsPerBootDecision | null;
}

// A replay host with a fixed number of judged runs per boot (the first k of each recorded boot).
export function createFixedHost(trace: Trace, runsPerBoot: number, rng: Rng, overheadS: number, exhausted: ExhaustedPolicy = 'stop'): CostedHost {
  const inner = createTraceHost(trace, runsPerBoot, rng, exhausted);
  const bootS = overheadS + (trace.run.warmupRuns + runsPerBoot) * trace.run.seconds;
  let wall = 0;
  return {
    ...inner,
    wallS: () => wall,
    decision: () => null,
    boot(index: number): BootOutcome {
      const out = inner.boot(index);
      if (out.kind !== 'build-failed') wall += bootS;
      return out;
    },
  };
}

export function createAdaptiveHost(trace: Trace, rng: Rng, opts: { overheadS: number; minEffect: number; rounds: { minBoots: number; errorRate: number }; exhausted?: ExhaustedPolicy }): CostedHost {
  const inner = createTraceHost(trace, trace.run.runsPerBoot, rng, opts.exhausted ?? 'stop');
  const last = trace.commits.length - 1;
  const endpoints: [SampledBoot[], SampledBoot[]] = [[], []];
  const { runsPerBoot, warmupRuns, seconds } = trace.run;
  // before the decision: the profile's warm-up and at most PROBE_RUNS runs, as the app measures
  const probe = probeRunsPerBoot(runsPerBoot);
  let decision: RunsPerBootDecision | null = null;
  let wall = 0;
  return {
    ...inner,
    wallS: () => wall,
    decision: () => decision,
    boot(index: number): BootOutcome {
      if (decision === null) {
        decision = planRunsPerBoot(index, last, { endpoints, runsPerBoot, warmupRuns, runS: seconds, bootOverheadS: opts.overheadS, minEffect: opts.minEffect, rounds: opts.rounds });
      }
      const out = inner.boot(index);
      const k = decision?.runsPerBoot ?? probe;
      const w = decision?.warmupRuns ?? warmupRuns;
      if (out.kind !== 'build-failed') wall += opts.overheadS + (w + k) * seconds;
      const recorded = inner.lastDrawn();
      if (out.kind !== 'boot' || recorded === null) return out;
      if (decision === null) {
        const runs = recorded.runs.slice(0, probe);
        if (index === 0 || index === last) endpoints[index === 0 ? 0 : 1].push({ runs, warmup: recorded.warmup });
        return { kind: 'boot', runs };
      }
      // the runs after w warm-ups, in the order the boot took them
      const sequence = [...recorded.warmup.slice(Math.min(w, recorded.warmup.length)), ...recorded.runs];
      return { kind: 'boot', runs: sequence.slice(0, k) };
    },
  };
}
