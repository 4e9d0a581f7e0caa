// sampling.adaptive in a kernel bisection: how many netperf runs (and warm-up
// runs) the next boots take. The profile's warm-up and at most three runs
// (probeRunsPerBoot) until the endpoints have enough boots
// (core/measure/runs-per-boot.ts says when and what); then the decision is
// appended to the session log as its own record, once, and
// every later boot, of this run or of a resumed or replayed one, is measured
// with what the log says rather than with a decision taken again on other
// boots.
import { UserError } from '../../core/errors.ts';
import { estimateBootOverheadS, planRunsPerBoot, probeRunsPerBoot, type SampledBoot } from '../../core/measure/runs-per-boot.ts';
import type { Profile, ProfileSampling } from '../../core/profile/index.ts';
import { configOf } from '../../core/session-settings.ts';
import { loggedSamplingSchema, type LoggedEvent, type LoggedSampling, type MeasuredSession } from '../../core/session.ts';
import { appendEvent, readEvents, type SessionPaths } from '../../adapters/session-store.ts';

export interface SamplingPlanner {
  // the sampling plan for the next boots of `sha`
  samplingFor(sha: string): Promise<ProfileSampling>;
}

type KernelSession = Extract<MeasuredSession, { mode: 'kernel' }>;

// The profile's sampling as measured: `adaptive` is how the numbers were chosen, not part of them.
function fixedSampling(sampling: ProfileSampling, runs?: { runsPerBoot: number; warmupRuns: number }): ProfileSampling {
  const { adaptive: _adaptive, ...fixed } = sampling;
  return runs === undefined ? fixed : { ...fixed, runsPerBoot: runs.runsPerBoot, warmupRuns: runs.warmupRuns };
}

// A logged decision must fit the session's profile: never more runs or warm-up than it asks for.
function checkLogged(record: LoggedSampling, profile: Profile, where: string): LoggedSampling {
  const { runsPerBoot, warmupRuns } = record.decision;
  if (runsPerBoot > profile.sampling.runsPerBoot || warmupRuns > profile.sampling.warmupRuns) {
    throw new UserError(
      `${where}: expected a logged sampling decision within profile ${profile.name}'s ${profile.sampling.runsPerBoot} run(s) and ${profile.sampling.warmupRuns} warm-up run(s) per boot, got ${runsPerBoot} and ${warmupRuns}; the log was edited or belongs to another profile`,
      'kbisect reset moves the bisection files aside so that you can start again',
    );
  }
  return record;
}

// The judged test's runs and warm-up of each successful boot of one commit, in log order.
function sampledBoots(events: readonly LoggedEvent[], sha: string, test: string): SampledBoot[] {
  const out: SampledBoot[] = [];
  for (const e of events) {
    if (e.event.kind !== 'boot' || e.event.commit !== sha) continue;
    const detail = e.detail?.source === 'boot' ? e.detail.tests?.find((t) => t.test === test) : undefined;
    out.push({ runs: e.event.runs, warmup: detail?.warmup ?? [] });
  }
  return out;
}

export function createSamplingPlanner(session: KernelSession, profile: Profile, paths: SessionPaths, onNote?: (text: string) => void): SamplingPlanner {
  const good = session.commits[0]?.sha ?? '';
  const bad = session.commits[session.commits.length - 1]?.sha ?? '';
  const last = session.commits.length - 1;
  const config = configOf(session);
  let decided: LoggedSampling | null = null;
  return {
    async samplingFor(sha) {
      if (profile.sampling.adaptive !== true) return profile.sampling;
      if (decided !== null) return fixedSampling(profile.sampling, decided.decision);
      const { events, sampling } = await readEvents(paths, session);
      const logged = sampling[0];
      if (logged !== undefined) {
        decided = checkLogged(logged, profile, paths.dir);
        onNote?.(`sampling.adaptive: ${decided.decision.runsPerBoot} run(s) and ${decided.decision.warmupRuns} warm-up run(s) per boot, as logged ${decided.at}`);
        return fixedSampling(profile.sampling, decided.decision);
      }
      const endpoints: [SampledBoot[], SampledBoot[]] = [sampledBoots(events, good, session.test.name), sampledBoots(events, bad, session.test.name)];
      const index = session.commits.findIndex((c) => c.sha === sha);
      const runS = profile.tests.reduce((sum, t) => sum + t.durationS, 0);
      // until the decision, boots take the profile's warm-up and at most PROBE_RUNS runs
      const probe = { runsPerBoot: probeRunsPerBoot(profile.sampling.runsPerBoot), warmupRuns: profile.sampling.warmupRuns };
      const netperfS = (probe.warmupRuns + probe.runsPerBoot) * runS;
      const boots = events.filter((e) => e.event.kind === 'boot').map((e) => ({ commit: e.event.commit, atMs: Date.parse(e.at) }));
      const decision = planRunsPerBoot(index, last, {
        endpoints,
        runsPerBoot: profile.sampling.runsPerBoot,
        warmupRuns: profile.sampling.warmupRuns,
        runS,
        bootOverheadS: estimateBootOverheadS(boots, netperfS),
        minEffect: profile.minEffect,
        rounds: { minBoots: config.minBootsPerCommit, errorRate: config.verdictErrorRate },
      });
      if (decision === null) return fixedSampling(profile.sampling, probe);
      // through the schema: what is appended is exactly what a reader accepts
      const record = loggedSamplingSchema.parse({ kind: 'sampling', at: new Date().toISOString(), afterEvents: events.length, decision });
      const torn = await appendEvent(paths, session, record);
      if (torn) onNote?.(`moved a last line of the log cut short by a crash (${torn.bytes} bytes) aside to ${torn.savedAs}`);
      decided = record;
      onNote?.(`sampling.adaptive: ${decision.reason}`);
      if (decision.optimum !== null && decision.optimum < 1) {
        onNote?.(
          `sampling.adaptive: the optimum is below one run (k* = ${decision.optimum.toFixed(2)}): shorter runs would save more, but a run of another length measures another quantity than the endpoint boots already taken, so the profile's durationS stays`,
        );
      }
      return fixedSampling(profile.sampling, decision);
    },
  };
}
