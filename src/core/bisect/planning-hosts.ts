// What each host should do next, with several measurement hosts: at most one
// measure action per host, each naming its host, one boot at a time (a host
// that finishes a boot asks again; the engine re-plans after every event).
// Each host's plan is the single-host plan on that host's view, so the
// interleaving order and reference boots follow that host's own boots. Pure.

import { assertNever } from '../errors.ts';
import { requireHosts, viewHost, viewVerifyHost } from './hosts.ts';
import { countEarlyPairs } from './hosts-early-verify.ts';
import { calibrationBootsTarget, hintBuilds, planInterleaved, planVerification } from './planning.ts';
import { commitAt, countBoots } from './queries.ts';
import { addReferences } from './references.ts';
import { summarize } from './summary.ts';
import type { Action, BisectState } from './types.ts';

export function planHosts(state: BisectState): Action[] {
  const hosts = requireHosts(state);
  switch (state.phase) {
    case 'done':
      return [{ kind: 'done', result: summarize(state) }];
    case 'calibrate': {
      const target = calibrationBootsTarget(state);
      const last = state.commits.length - 1;
      const actions = hosts.names.flatMap((host) => {
        const view = viewHost(state, host);
        const pairs = Math.max(1, target - Math.min(countBoots(view, 0), countBoots(view, last)));
        return firstFor(host, planInterleaved(view, 0, last, pairs, 'calibrate'), [side(view, 0, 0), side(view, last, 0)]);
      });
      return [...actions, ...hintBuilds(state, [Math.floor(last / 2)])];
    }
    case 'bisect':
      return hosts.names.flatMap((host) => {
        const early = hosts.early;
        if (early?.host === host) {
          // the sandwich's first look's pairs, then the host's own levels (planSharpening)
          const pairs = state.config.verifyBoots - countEarlyPairs(hosts, early);
          if (pairs <= 0) return planSharpening(state, host);
          const view = viewHost(state, host);
          const fresh: Pair = [side(view, early.before, early.startBefore), side(view, early.after, early.startAfter)];
          return firstFor(host, addReferences(view, planInterleaved(view, early.before, early.after, pairs, 'verify')), fresh);
        }
        const test = hosts.tests[host];
        if (test === null || test === undefined) return planSharpening(state, host);
        const measure: Action = { kind: 'measure', commit: commitAt(state, test.index), boots: 1, phase: 'bisect' };
        return firstFor(host, addReferences(viewHost(state, host), [measure]));
      });
    case 'verify': {
      const host = hosts.verifyHost ?? (hosts.names[0] as string);
      const view = viewVerifyHost(state);
      const verify = state.verify;
      const residual = verify?.residual ?? null;
      const fresh: Pair | undefined =
        verify === null
          ? undefined
          : residual !== null
            ? [side(view, residual.first, residual.startFirst), side(view, residual.second, residual.startSecond)]
            : [side(view, verify.before, verify.startBefore), side(view, verify.after, verify.startAfter)];
      return firstFor(host, planVerification(view), fresh);
    }
    default:
      return assertNever(state.phase, 'phase');
  }
}

// A host with no commit to test while others still test theirs (all
// commits worth a test are taken) boots the endpoint it has fewer boots of:
// its own levels sharpen, which every later verdict on it and a
// verification on it use, in a slot that would otherwise be idle. Nothing
// when no host is testing or verifying early.
function planSharpening(state: BisectState, host: string): Action[] {
  const hosts = requireHosts(state);
  if (hosts.early === null && hosts.names.every((h) => hosts.tests[h] === null || hosts.tests[h] === undefined)) return [];
  const view = viewHost(state, host);
  const last = state.commits.length - 1;
  const index = countBoots(view, last) < countBoots(view, 0) ? last : 0;
  return [{ kind: 'measure', commit: commitAt(state, index), boots: 1, phase: 'bisect', reference: true, host }];
}

/** The two commits of an interleaved pair with the boots each had since the pair began. */
type Pair = readonly [{ readonly commit: string; readonly boots: number }, { readonly commit: string; readonly boots: number }];

function side(view: BisectState, index: number, start: number): Pair[number] {
  return { commit: commitAt(view, index), boots: countBoots(view, index) - start };
}

// The first measure action of a host's plan, one boot, addressed to the
// host. A plan of interleaved pairs is taken one boot at a time and planned
// again after every event, so its pairs would not hold by themselves: when
// the plan starts with the pair and one side is behind, that side goes
// first; level, the plan's seeded order.
function firstFor(host: string, plan: readonly Action[], pair?: Pair): Action[] {
  const measures = plan.flatMap((a) => (a.kind === 'measure' ? [a] : []));
  let first = measures[0];
  const second = measures[1];
  if (first !== undefined && second !== undefined && pair !== undefined && first.reference !== true && second.reference !== true && pair[0].boots !== pair[1].boots) {
    const behind = pair[0].boots < pair[1].boots ? pair[0].commit : pair[1].commit;
    if (second.commit === behind && first.commit !== behind) first = second;
  }
  return first === undefined ? [] : [{ ...first, boots: 1, host }];
}
