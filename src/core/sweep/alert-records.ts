// Folding one run's merged alerts into the stored alert records: each
// alert keeps its record (history, confirmation, bisection), new ones are
// stamped, and what happened is said once in its history. Pure.
import type { Alert, AlertEvent } from './alerts.ts';
import type { AlertRecord } from './store-schema.ts';

// The merged alert list with each alert's record kept (history, confirmation, bisection) and new ones stamped.
export function foldMerge(old: readonly AlertRecord[], merged: readonly Alert[], events: readonly AlertEvent[], now = new Date().toISOString()): AlertRecord[] {
  const byId = new Map(old.map((a) => [a.id, a] as const));
  return merged.map((a) => {
    const prev = byId.get(a.id);
    const mine = events.filter((e) => e.alertId === a.id);
    const noteOf = (e: AlertEvent): string =>
      e.kind === 'raised'
        ? `raised: ${(a.evidence.relativeChange * 100).toFixed(1)}% ${a.evidence.direction} (${a.evidence.kind}, p=${a.evidence.pValue.toPrecision(2)}) between ${a.lastGoodSha.slice(0, 12)} and ${a.firstBadSha.slice(0, 12)}`
        : e.kind === 'range-changed'
          ? `range ${e.change}: ${e.from[0].slice(0, 12)}..${e.from[1].slice(0, 12)} → ${e.to[0].slice(0, 12)}..${e.to[1].slice(0, 12)}`
          : e.kind === 'suppressed'
            ? `the same step was found again (${e.range[0].slice(0, 12)}..${e.range[1].slice(0, 12)}) and not raised again`
            : '';
    // a closed alert finds its step again every night: say so once, not once a night
    const said = new Set(prev?.history.map((h) => h.note) ?? []);
    const added = mine
      .filter((e) => e.kind !== 'updated' && e.kind !== 'withdrawn')
      .map((e) => ({ at: now, state: a.state, note: noteOf(e) }))
      .filter((h) => !(said.has(h.note) && h.note.startsWith('the same step was found again')));
    if (prev === undefined) {
      return { ...a, raisedAt: now, updatedAt: now, why: null, history: added, confirmation: null, bisectionDir: null, bisection: null };
    }
    // once its bisection session exists, an alert's range is that session's: a later detection may not move it
    const range = prev.bisectionDir === null ? { lastGoodSha: a.lastGoodSha, firstBadSha: a.firstBadSha, evidence: a.evidence } : { lastGoodSha: prev.lastGoodSha, firstBadSha: prev.firstBadSha, evidence: prev.evidence };
    return { ...prev, ...a, ...range, updatedAt: added.length > 0 ? now : prev.updatedAt, history: [...prev.history, ...added] };
  });
}
