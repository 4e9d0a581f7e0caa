// The run loop with several measurement hosts: each host measures what the
// engine addresses to it, all hosts at once; when one host's boot is
// recorded the engine plans again and that host (any idle host) gets its
// next action while the others keep measuring. Nothing measured is dropped:
// when the bisection ends, or one host fails, the boots still in flight
// finish and are recorded before the loop returns or throws.
import { InternalError } from '../../core/errors.ts';
import { nextActions } from '../../core/bisect/index.ts';
import type { Action, BisectState } from '../../core/bisect/types.ts';
import type { Stage } from './stage.ts';

export type MeasureAction = Extract<Action, { kind: 'measure' }>;

export interface HostsLoopInput {
  state: () => BisectState;
  stage: Stage;
  // measures one action on its host (the caller's progress and recorder around stage.measure)
  measure: (action: MeasureAction & { host: string }) => Promise<void>;
  stopWhen?: (state: BisectState) => boolean;
  signal?: AbortSignal;
}

export async function runHostsLoop(input: HostsLoopInput): Promise<void> {
  const busy = new Map<string, Promise<void>>();
  try {
    for (;;) {
      if (input.signal?.aborted) throw input.signal.reason ?? new Error('aborted');
      const state = input.state();
      const actions = nextActions(state);
      if (actions.some((a) => a.kind === 'done') || input.stopWhen?.(state) === true) {
        if (busy.size === 0) return;
        await Promise.race(busy.values());
        continue;
      }
      for (const a of actions) if (a.kind === 'build' && a.speculative) input.stage.prefetch(a.commit);
      for (const action of actions) {
        if (action.kind !== 'measure') continue;
        const host = action.host;
        if (host === undefined) throw new InternalError(`a multi-host bisection asked for a measurement without its host: ${JSON.stringify(action)}`);
        if (busy.has(host)) continue;
        busy.set(
          host,
          input.measure({ ...action, host }).finally(() => busy.delete(host)),
        );
      }
      if (busy.size === 0) throw new InternalError(`the engine asked for nothing to do: ${JSON.stringify(actions)}`);
      await Promise.race(busy.values());
    }
  } finally {
    // boots in flight on the other hosts are recorded before an error goes up
    await Promise.allSettled(busy.values());
  }
}
