// Valid but unusual settings in a profile: each is worth a word to the user,
// none stops a measurement. Each section is read on its own, so that a
// profile with an error elsewhere still gets the warnings about its valid
// parts (a section with an error of its own gets none).
import type { z } from 'zod';
import { fieldsOf, type Problem } from '../schema.ts';
import { findRepeatedLines } from './fragment.ts';
import { guestSchema, nicSchema, samplingSchema } from './schema.ts';
import { testSchema } from './test-schema.ts';
import { naturalHigherIsBetter } from './types.ts';

// The section as the schema reads it, or undefined when it has an error (reported elsewhere).
function readSection<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> | undefined {
  const result = schema.safeParse(raw);
  return result.success ? result.data : undefined;
}

// The warnings about a parsed profile (valid or not), in document order;
// `fragmentWarnings` (what the file's kernel.fragment edits said) go in their place.
export function findProfileWarnings(raw: unknown, fragmentWarnings: readonly Problem[] = findRepeatedLines(fieldsOf(fieldsOf(raw).kernel).fragment)): Problem[] {
  const warnings: Problem[] = [];
  const warn = (path: string, message: string): void => {
    warnings.push({ path, message });
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return warnings;
  const top = fieldsOf(raw);
  const rawTests: unknown[] = Array.isArray(top.tests) ? top.tests : [];
  rawTests.forEach((rawTest, i) => {
    const t = readSection(testSchema, rawTest);
    if (t === undefined) return;
    if (t.type === 'UDP_STREAM' && t.messageBytes === undefined) {
      warn(`tests[${i}].messageBytes`, "not set: netperf's UDP_STREAM default (65507 bytes) fragments every datagram; 1400 is usual");
    }
    if (t.higherIsBetter !== naturalHigherIsBetter(t.metric)) {
      warn(`tests[${i}].higherIsBetter`, `${t.higherIsBetter} for ${t.metric} is the reverse of the usual direction`);
    }
    if (t.nodelay && t.type.startsWith('UDP_')) warn(`tests[${i}].nodelay`, 'TCP_NODELAY has no effect on UDP tests');
  });
  const guest = readSection(guestSchema, top.guest);
  const nic = readSection(nicSchema, top.nic);
  if (guest !== undefined && nic !== undefined && nic.queues > guest.vcpus) {
    warn('nic.queues', `${nic.queues} queues with ${guest.vcpus} vCPU(s): the guest uses at most one queue pair per vCPU`);
  }
  warnings.push(...fragmentWarnings);
  const sampling = readSection(samplingSchema, top.sampling);
  if (sampling !== undefined && sampling.minBoots < 2) warn('sampling.minBoots', 'with 1 boot the boot-to-boot variance cannot be estimated');
  if (sampling !== undefined && sampling.warmupRuns === 0 && top.topology !== 'host-to-guest') {
    warn('sampling.warmupRuns', "0: a guest's first netperf run per boot is typically ~20 % low");
  }
  return warnings;
}
