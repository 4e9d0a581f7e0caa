// The guest TX stall under TCG (src/core/measure/tx-stall.ts: a lost virtqueue
// notification, about once in 40 min of streaming, GOOD and BAD alike): kbisect
// reports it as a failed boot (the run did not end, or host-side netperf timed
// out). Tests of something else measure again once when that is all that failed.
export const TX_STALL_REASON = /^netperf \S+ run \d+ did not (end within|finish in time)|^netperf did not finish in time/;

export function isTxStall(reason: string | undefined): boolean {
  return reason !== undefined && TX_STALL_REASON.test(reason);
}

// Runs `measure`; when every failed boot of the result failed like a TX stall
// (and at least one did), runs it once more and returns that result instead.
export async function measureAgainOnTxStall<T>(what: string, measure: () => Promise<T>, failureReasons: (result: T) => string[]): Promise<T> {
  const first = await measure();
  const reasons = failureReasons(first);
  if (reasons.length === 0 || !reasons.every(isTxStall)) return first;
  console.log(`${what}: measuring again after a guest TX stall (${reasons.join('; ')})`);
  return measure();
}
