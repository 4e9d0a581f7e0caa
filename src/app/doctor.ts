// `kbisect doctor`: gather the host's facts, judge them.
import { evaluateHost, type DoctorReport } from '../core/doctor.ts';
import { gatherHostFacts } from '../adapters/host.ts';

// Checks this host for everything the pipeline needs.
export async function runDoctor(): Promise<DoctorReport> {
  return evaluateHost(await gatherHostFacts());
}
