// What `kbisect doctor --cleanup` removes: namespaces, qos cgroups and run
// directories with kbisect's prefix whose owning process is gone. A namespace of a run that is
// still going is left alone; one whose pid now belongs to something else is
// a leftover (the pid was reused).

export interface LeftoverCandidate {
  // namespace name or run directory path
  name: string;
  // the pid encoded in the name; null when the name carries none
  ownerPid: number | null;
  ownerAlive: boolean;
  // the live owner's command line
  ownerCommand: string;
}

export type LeftoverDecision = { name: string; action: 'remove'; why: string } | { name: string; action: 'keep'; why: string };

const KBISECT_PROCESS_RE = /(^|[\s/])(node|deno|kbisect)(\s|$)|kbisect\.mjs|kbisect-sea|vitest/;

// Decides, for each candidate, whether it is a leftover of a crashed run.
export function planLeftoverCleanup(candidates: readonly LeftoverCandidate[], selfPid: number): LeftoverDecision[] {
  return candidates.map((c) => {
    if (c.ownerPid === null) return { name: c.name, action: 'remove', why: 'no owner recorded in the name' };
    if (c.ownerPid === selfPid) return { name: c.name, action: 'keep', why: 'belongs to this kbisect process' };
    if (!c.ownerAlive) return { name: c.name, action: 'remove', why: `owner pid ${c.ownerPid} is gone` };
    if (!KBISECT_PROCESS_RE.test(c.ownerCommand)) {
      return { name: c.name, action: 'remove', why: `owner pid ${c.ownerPid} is now ${JSON.stringify(c.ownerCommand.slice(0, 60))} (pid reused)` };
    }
    return { name: c.name, action: 'keep', why: `run still going (pid ${c.ownerPid})` };
  });
}
