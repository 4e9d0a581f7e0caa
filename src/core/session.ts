// A bisection's state on disk, as data with a schema: the session (what is
// bisected and how it is measured) and the events of its log. Everything
// read back is validated here first: these files may be torn, stale, edited
// by hand or handed over from another machine.
import { z } from 'zod';
import type { BisectConfig } from './bisect/config.ts';
import type { BisectEvent } from './bisect/types.ts';
import type { KernelConfigSpec } from './kernel-config.ts';
import { checkSchema, formatProblem, type Checked } from './schema.ts';

const sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'expected a full commit id (40 or 64 hex digits)');
const commit = z.object({ sha, subject: z.string(), author: z.string(), date: z.string() });
// a Slurm node name as `scontrol` prints it
const hostName = z.string().regex(/^[A-Za-z0-9][\w.+-]{0,127}$/, 'expected a node name (letters, digits, . _ + -)');
export const MAX_HOSTS = 64;
const terms = z.object({ old: z.string().min(1).max(40), new: z.string().min(1).max(40) });
const test = z.object({ name: z.string().min(1), metric: z.string().min(1), unit: z.string().min(1), higherIsBetter: z.boolean() });
// the events log of a session is a plain file name beside session.json (no path)
export const EVENTS_FILE = /^events(-[0-9a-z]{1,40})?\.jsonl$/;

// What `start` was told; kept while the session waits for its measurement (start without --profile/--cmd).
export const startSettingsSchema = z.object({
  test: z.string().optional(),
  higherIsBetter: z.boolean().optional(),
  confidence: z.number().optional(),
  maxBoots: z.number().optional(),
  minEffect: z.number().optional(),
  referenceEvery: z.number().optional(),
  seed: z.number().optional(),
});
export type StartSettings = z.infer<typeof startSettingsSchema>;

const common = {
  kind: z.literal('session'),
  version: z.literal(1),
  repo: z.string(),
  createdAt: z.string(),
  goodRev: z.string(),
  badRev: z.string(),
  commits: z.array(commit).min(2),
  firstParent: z.boolean(),
  paths: z.array(z.string()),
  terms,
  improvement: z.boolean(),
  accel: z.enum(['auto', 'kvm', 'tcg']),
  toolchain: z.string().nullable(),
  eventsFile: z.string().regex(EVENTS_FILE, 'expected events.jsonl or events-ID.jsonl').optional(),
  settings: startSettingsSchema.optional(),
  // several measurement hosts (the Slurm nodes of host.yaml, fixed by the first run that measures): each
  // boot names its host and is judged against that host's own GOOD and BAD (core/bisect/hosts.ts)
  hosts: z.array(hostName).min(2).max(MAX_HOSTS).optional(),
};
// checked against validateBisectConfig by the reader; the schema only asks for an object
const config = z.custom<BisectConfig>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'expected the engine settings object');
const kernelConfig = z.custom<KernelConfigSpec>(
  (v) => typeof v === 'object' && v !== null && 'base' in v && Array.isArray((v as { fragments?: unknown }).fragments),
  'expected a kernel config spec {base, fragments}',
);

export const sessionSchema = z.discriminatedUnion('mode', [
  z.object({
    ...common,
    mode: z.literal('kernel'),
    command: z.null(),
    profile: z.object({
      source: z.string(),
      name: z.string(),
      hash: z.string(),
      yaml: z.string().max(1 << 20),
      // a profile of a team source: the repository and the commit its file came from
      sourceUrl: z.string().optional(),
      sourceCommit: z.string().optional(),
    }),
    test,
    runsPerBoot: z.number().int().positive(),
    kernelConfig,
    config,
  }),
  z.object({
    ...common,
    mode: z.literal('command'),
    command: z.string().min(1),
    // seconds one run of the command may take before its process group is killed
    commandTimeoutS: z.number().positive().optional(),
    profile: z.null(),
    test,
    runsPerBoot: z.number().int().positive(),
    kernelConfig: z.null(),
    config,
  }),
  // `start GOOD BAD` alone: the range is recorded, `run --cmd/--profile` says how to measure
  z.object({ ...common, mode: z.literal('pending'), command: z.null(), profile: z.null() }),
]);
export type BisectSession = z.infer<typeof sessionSchema>;
export type MeasuredSession = Extract<BisectSession, { mode: 'kernel' | 'command' }>;

const finite = z.number().refine(Number.isFinite, 'expected a finite number');
export const bisectEventSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('boot'), commit: sha, runs: z.array(finite).min(1).max(100_000), host: hostName.optional() }),
  z.object({ kind: z.literal('build-failed'), commit: sha, reason: z.string() }),
  z.object({ kind: z.literal('boot-failed'), commit: sha, reason: z.string() }),
  z.object({ kind: z.literal('skip'), commit: sha, reason: z.string() }),
  z.object({ kind: z.literal('mark'), commit: sha, as: z.enum(['good', 'bad']) }),
]);

// A sample that ran as a Slurm job: its id, its node, the infra errors before
// it, and the worker's facts (the machine a sweep files the sample under).
const slurmJobSchema = z.object({
  executor: z.literal('slurm'),
  id: z.string(),
  node: z.string().nullable(),
  infraRetries: z.number().int(),
  cpuModel: z.string().optional(),
  hostKernel: z.string().optional(),
  qemuVersion: z.string().optional(),
});
export type SlurmJobDetail = z.infer<typeof slurmJobSchema>;

// The evidence behind an event, by where it came from.
export const eventDetailSchema = z.union([
  z.object({
    source: z.literal('boot'),
    imageHash: z.string(),
    bootIndex: z.number().int(),
    readyMs: z.number().optional(),
    phase: z.enum(['boot', 'measure']).optional(),
    consoleTail: z.string().optional(),
    tests: z.array(z.object({ test: z.string(), metric: z.string(), unit: z.string(), runs: z.array(finite), warmup: z.array(finite).optional() })).optional(),
    // the host fingerprint id and the accelerator the guest ran under
    host: z.string(),
    accel: z.enum(['kvm', 'tcg']),
    // set when the boot ran in a Slurm measurement job
    job: slurmJobSchema.optional(),
  }),
  z.object({ source: z.literal('build'), logPath: z.string(), logTail: z.string() }),
  z.object({
    source: z.literal('command'),
    exitCode: z.number().int().nullable(),
    signal: z.string().nullable().optional(),
    timedOut: z.boolean().optional(),
    durationMs: z.number(),
    stderrTail: z.string(),
    // set when the sample ran as a Slurm job
    job: slurmJobSchema.optional(),
  }),
  z.object({ source: z.literal('hand') }),
  // logs written before details were typed: kept, never interpreted
  z.record(z.string(), z.unknown()).transform((r) => ({ source: 'legacy' as const, ...r })),
]);
export type EventDetail = z.infer<typeof eventDetailSchema>;

export const loggedEventSchema = z.object({
  kind: z.literal('event'),
  at: z.string(),
  event: bisectEventSchema,
  detail: eventDetailSchema.optional(),
});
export interface LoggedEvent {
  kind: 'event';
  at: string;
  event: BisectEvent;
  detail?: EventDetail;
}

// The host and accelerator of the first boot in a log (null: no boot yet): a
// bisection or a comparison never mixes the boots of two of them. With
// several measurement hosts, the first boot of measurement host `of`: each
// of them never mixes machines either.
export function hostOfBoots(events: readonly LoggedEvent[], of?: string): { host: string; accel: string } | null {
  for (const e of events) {
    if (e.event.kind !== 'boot' || e.detail?.source !== 'boot') continue;
    if (of === undefined || e.event.host === of) return { host: e.detail.host, accel: e.detail.accel };
  }
  return null;
}

// sampling.adaptive: the runs per boot and warm-up decided from the endpoint
// boots (core/measure/runs-per-boot.ts), its own line in the events log, the
// first time it is made. A resumed or replayed session reads it back rather
// than deciding again, so that its boots are measured alike. `afterEvents`:
// how many events were logged before it (it applies to the boots after them).
const nonNegative = z.number().refine((v) => Number.isFinite(v) && v >= 0, 'expected a finite number ≥ 0');
export const samplingDecisionSchema = z.object({
  version: z.literal(1),
  runsPerBoot: z.number().int().min(1).max(1000),
  warmupRuns: z.number().int().min(0).max(100),
  summarySd: z.array(nonNegative).max(1000),
  optimum: nonNegative.nullable(),
  sdWithin: nonNegative.nullable(),
  sdBetween: nonNegative.nullable(),
  dfWithin: z.number().int().min(0),
  dfBetween: z.number().int().min(0),
  bootOverheadS: nonNegative,
  runS: nonNegative,
  warmup: z
    .object({
      offset: finite,
      ci: z.tuple([finite, finite]),
      margin: nonNegative,
      spreadP: nonNegative,
      boots: z.number().int().min(0),
      needed: z.boolean(),
    })
    .nullable(),
  boots: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
  // the shift the rounds were planned for; absent in decisions logged before it was
  effect: finite.optional(),
  roundBoots: nonNegative.optional(),
  reason: z.string().max(2000),
});
export const loggedSamplingSchema = z.object({ kind: z.literal('sampling'), at: z.string(), afterEvents: z.number().int().min(0), decision: samplingDecisionSchema });
export type LoggedSampling = z.infer<typeof loggedSamplingSchema>;

// One line of an events log: an engine event, or the sampling decision.
export type LogRecord = LoggedEvent | LoggedSampling;

// The records of a log in the order they were appended: each sampling decision after the events it followed.
export function orderLogRecords(events: readonly LoggedEvent[], sampling: readonly LoggedSampling[]): LogRecord[] {
  const out: LogRecord[] = [];
  const pending = [...sampling].sort((a, b) => a.afterEvents - b.afterEvents);
  events.forEach((e, i) => {
    while (pending.length > 0 && (pending[0] as LoggedSampling).afterEvents <= i) out.push(pending.shift() as LoggedSampling);
    out.push(e);
  });
  return [...out, ...pending];
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

// The first few problems on one line, the way every kbisect input error reads.
function firstProblems<T>(checked: Checked<T>, limit = 5): Parsed<T> {
  if (checked.ok) return checked;
  const lines = checked.problems.slice(0, limit).map((p) => formatProblem('', p) || '(top level)');
  if (checked.problems.length > limit) lines.push(`... and ${checked.problems.length - limit} more`);
  return { ok: false, problem: lines.join('; ') };
}

// Validates a session read from disk or from a log file.
export function parseSession(raw: unknown): Parsed<BisectSession> {
  return firstProblems(checkSchema(sessionSchema, raw));
}

// Validates one record of an events log.
export function parseLoggedEvent(raw: unknown): Parsed<LoggedEvent> {
  return firstProblems(checkSchema(loggedEventSchema, raw) as Checked<LoggedEvent>);
}

// Validates one record of an events log that may be a sampling decision.
export function parseLogRecord(raw: unknown): Parsed<LogRecord> {
  if (typeof raw === 'object' && raw !== null && (raw as { kind?: unknown }).kind === 'sampling') return firstProblems(checkSchema(loggedSamplingSchema, raw));
  return parseLoggedEvent(raw);
}

// The events file a session's log lives in (sessions before replays were atomic used one name).
export function eventsFileOf(session: BisectSession): string {
  return session.eventsFile ?? 'events.jsonl';
}
