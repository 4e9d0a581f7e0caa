// The bisection's state machine, one host or several: each phase's advance
// function returns true when it moved the state to another phase, and the
// machine runs until a phase needs data it does not have.
import { assertNever } from '../errors.ts';
import type { BisectState } from './types.ts';

export type PhaseSteps = Readonly<Record<'calibrate' | 'bisect' | 'verify', (state: BisectState) => boolean>>;

export function settlePhases(state: BisectState, steps: PhaseSteps): void {
  for (let guard = 0; guard < 10_000; guard++) {
    const phase = state.phase;
    switch (phase) {
      case 'done':
        return;
      case 'calibrate':
      case 'bisect':
      case 'verify':
        if (!steps[phase](state)) return;
        break;
      default:
        assertNever(phase, 'phase');
    }
  }
  throw new Error('The bisection state machine did not settle; this is a bug in kbisect.');
}
