// The verdict on one commit from all the evidence it holds, as the
// discriminated union reports and `kbisect status` print.

import { estimateHodgesLehmannShift, median } from '../stats/index.ts';
import type { Verdict, VerdictEvidence } from '../verdict.ts';
import { computeCommitLlr, computePosition, getRecord, readLogBoots, type LogModel } from './model.ts';
import type { BisectState } from './types.ts';

// Null for a commit never built or measured; a skipped commit with boots keeps them as evidence.
export function judgeCommit(state: BisectState, index: number, model: LogModel | null): Verdict | null {
  const record = getRecord(state, index);
  if (record === undefined) return null;
  const logs = readLogBoots(state, index);
  if (record.mark === null && logs.length === 0) return record.skipped === null ? null : { kind: 'skipped', reason: record.skipped };
  const good = readLogBoots(state, 0);
  const ci = logs.length >= 2 && good.length >= 2 ? estimateHodgesLehmannShift(good, logs).ci : null;
  const evidence: VerdictEvidence = {
    boots: logs.length,
    llr: model === null ? 0 : computeCommitLlr(state, index, model),
    estimate: logs.length > 0 ? median(record.boots) : null,
    position: logs.length > 0 && model !== null ? computePosition(median(logs), model) : null,
    ci: ci === null ? null : [Math.exp(ci[0]), Math.exp(ci[1])],
    source: record.mark === null ? 'measured' : 'manual',
  };
  if (record.mark === 'bad' || (model !== null && evidence.llr >= model.upper)) return { kind: 'like-bad', ...evidence };
  if (record.mark === 'good' || (model !== null && evidence.llr <= model.lower)) return { kind: 'like-good', ...evidence };
  return { kind: 'unknown', ...evidence };
}
