// The recorded trace that `npm run bench:trace` replays: real boots of every
// commit of a kernel range, each with its start time, judged runs and warm-up.
// Parsed strictly: the file is committed, but a trace is data, and data may be
// torn or edited by hand.
import { z } from 'zod';

const finite = z.number().finite();

const bootSchema = z.object({
  commit: z.number().int().min(0),
  at: z.string().refine((s) => Number.isFinite(Date.parse(s)), 'an ISO time'),
  ms: finite.min(0),
  runs: z.array(finite.positive()).max(100),
  warmup: z.array(finite.positive()).max(100),
  failed: z.string().max(1000).optional(),
});

const traceSchema = z
  .object({
    kind: z.literal('kbisect-trace'),
    version: z.literal(1),
    recordedAt: z.string(),
    note: z.string(),
    spec: z.object({ commits: z.number().int().min(2), culprit: z.number().int(), delayUs: finite, bootsPerCommit: z.number().int().min(1), seed: finite, endpointBoots: z.number().int().min(1).optional() }),
    profile: z.string(),
    // each boot: warm-up runs, then judged runs, of `seconds` each
    run: z.object({ seconds: finite.positive(), runsPerBoot: z.number().int().min(1), warmupRuns: z.number().int().min(0) }),
    host: z.object({ qemu: z.string(), cpus: z.number().int(), kvm: z.boolean() }),
    commits: z.array(z.object({ sha: z.string().regex(/^[0-9a-f]{40}$/), subject: z.string() })).min(2).max(10_000),
    answer: z.number().int().min(1),
    boots: z.array(bootSchema).max(1_000_000),
  })
  .superRefine((t, ctx) => {
    if (t.answer >= t.commits.length) ctx.addIssue({ code: 'custom', message: `answer ${t.answer} is not a commit of the trace (${t.commits.length})` });
    for (const [i, b] of t.boots.entries()) {
      if (b.commit >= t.commits.length) ctx.addIssue({ code: 'custom', path: ['boots', i, 'commit'], message: `commit ${b.commit} out of range` });
      if (b.failed === undefined && b.runs.length === 0) ctx.addIssue({ code: 'custom', path: ['boots', i], message: 'a boot with neither runs nor a failure' });
    }
  });

export type Trace = z.infer<typeof traceSchema>;
export type TraceBoot = z.infer<typeof bootSchema>;

export function parseTrace(raw: unknown): Trace {
  const r = traceSchema.safeParse(raw);
  if (!r.success) throw new Error(`not a kbisect trace: ${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

// The trace with a synthetic step: every run (warm-up too) of the culprit and
// the commits after it scaled by 1 + step. The recorded noise, drift and
// failures stay as they were; only the regression is made visible.
export function addStep(trace: Trace, step: number): Trace {
  if (!(step > -1 && Number.isFinite(step))) throw new Error(`--step: expected a relative change above -1 (such as -0.3), got ${step}`);
  const scale = (v: number): number => v * (1 + step);
  return { ...trace, boots: trace.boots.map((b) => (b.commit >= trace.answer ? { ...b, runs: b.runs.map(scale), warmup: b.warmup.map(scale) } : b)) };
}
