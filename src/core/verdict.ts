// What the numbers say about one commit. A verdict is a value with its
// evidence, never a bare boolean (cf. Pinpoint's DIFFERENT / SAME / UNKNOWN).

import { assertNever } from './errors.ts';

export interface VerdictEvidence {
  /** Boots (not runs) the verdict rests on. */
  readonly boots: number;
  /** Σ of clipped per-boot ln[p(boot | like BAD) / p(boot | like GOOD)]. */
  readonly llr: number;
  /** Median of the boot summaries, in the metric's own units; null without boots. */
  readonly estimate: number | null;
  /** Where the commit sits between GOOD (0) and BAD (1), on log scale; null without boots. */
  readonly position: number | null;
  /** CI of the ratio commit / GOOD (Hodges–Lehmann on logs), or null with < 2 boots. */
  readonly ci: readonly [number, number] | null;
  readonly source: 'measured' | 'manual';
}

export type Verdict =
  | ({ readonly kind: 'like-good' } & VerdictEvidence)
  | ({ readonly kind: 'like-bad' } & VerdictEvidence)
  | ({ readonly kind: 'unknown' } & VerdictEvidence)
  | { readonly kind: 'skipped'; readonly reason: string };

export type VerdictKind = Verdict['kind'];

// One-line wording shared by logs and reports, so every surface says the same.
export function describeVerdict(verdict: Verdict): string {
  switch (verdict.kind) {
    case 'like-good':
    case 'like-bad':
    case 'unknown': {
      const ratio = verdict.ci ? ` (×${verdict.ci[0].toFixed(3)}–${verdict.ci[1].toFixed(3)} of GOOD)` : '';
      const how = verdict.source === 'manual' ? 'marked by hand' : `${verdict.boots} boots, LLR ${verdict.llr.toFixed(2)}`;
      const median = verdict.estimate === null ? '' : `, median ${verdict.estimate.toPrecision(5)}`;
      return `${verdict.kind}: ${how}${median}${ratio}`;
    }
    case 'skipped':
      return `skipped: ${verdict.reason}`;
    default:
      return assertNever(verdict, 'verdict');
  }
}
