// What a bisection report is made of: the engine's result plus what the app
// knows about the commits, the profile and the host.
import type { BisectResult } from '../bisect/types.ts';

export interface CommitInfo {
  readonly sha: string;
  readonly subject: string;
  readonly author: string;
  readonly date: string;
}

export interface ReportSampling {
  readonly runsPerBoot: number;
  readonly warmupRuns: number;
  // GOOD and BAD boots the decision was taken on
  readonly endpointBoots: readonly [number, number];
  readonly reason: string;
}

export interface ReportInput {
  readonly repo: string;
  // 'command': a user's script measured checkouts (samples, not boots); absent means 'kernel'
  readonly mode?: 'kernel' | 'command';
  // ordered oldest → newest; [0] is GOOD, last is BAD
  readonly commits: readonly CommitInfo[];
  // sourceUrl/sourceCommit: a profile of a team source, where its file came from
  readonly profile: { readonly name: string; readonly hash: string; readonly sourceUrl?: string; readonly sourceCommit?: string };
  readonly metric: { readonly name: string; readonly unit: string; readonly higherIsBetter: boolean };
  // the host fingerprint id and the accelerator the guests ran under (kvm | tcg); ignored in command mode
  readonly host: { readonly fingerprint: string; readonly accel: string };
  readonly result: BisectResult;
  // boot (or command-mode sample) summaries by commit sha, in arrival order
  readonly bootsByCommit: Readonly<Record<string, readonly number[]>>;
  // posterior over candidates commits[1..] after each step
  readonly posteriorHistory: readonly (readonly number[])[];
  readonly wallMs: number | null;
  // sampling.adaptive: the runs per boot decided from the endpoint boots, for the boots after it (absent: the profile's fixed runs)
  readonly sampling?: ReportSampling;
  readonly generatedAt: string;
}
