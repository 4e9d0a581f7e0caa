// What every method reports, in one shape, so they can be scored alike.

export interface MethodOutcome {
  /** Candidate range the method names (first == last for one culprit), or null. */
  readonly claim: { readonly first: number; readonly last: number; readonly confident: boolean } | null;
  readonly boots: number;
  readonly builds: number;
  /** Boots of the per-commit tests on candidate commits (not GOOD/BAD, not verification). */
  readonly testBoots: number;
  /** Candidate commits that got at least one such boot. */
  readonly testedCommits: number;
  /** Methods that can say "the change is not fully explained" set this. */
  readonly warnedPartial: boolean;
  /** kbisect only: boots by the phase that asked for them; reference boots (of GOOD or BAD, to follow drift) apart. */
  readonly phaseBoots?: PhaseBoots;
  /** Several hosts: boot slots until done, each host booting at most once per slot (one host: the boots). */
  readonly wallBoots?: number;
  /** kbisect, one host: commits the engine hinted to build speculatively (the app builds them with a spare build slot) and never measured. */
  readonly unusedPrefetches?: number;
  /** kbisect, one host: builds that failed (counted in builds; a failed build tells nothing of the culprit). */
  readonly failedBuilds?: number;
  /** Several hosts: whether the result reported a host × commit interaction. */
  readonly interactionReported?: boolean;
}

export interface PhaseBoots {
  readonly calibrate: number;
  readonly bisect: number;
  readonly verify: number;
  readonly reference: number;
}
