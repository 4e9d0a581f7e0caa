// A sweep's files as data with a schema: the definition (what is measured
// how), the state (histories, reference commits), the runs, the commits seen,
// every boot record and the alert list. These files are read back night after
// night, may be torn by a power cut, edited, or copied from another machine:
// everything is validated here before the sweep trusts it.
import { z } from 'zod';
import { checkSchema, formatProblem, type Checked } from '../schema.ts';
import type { Parsed } from '../session.ts';
import type { AlertBisection, AlertConfirmation, AlertHistoryEntry, SweepBootRecord } from './types.ts';
import type { Alert } from './alerts.ts';
import type { SweepCommit } from './series.ts';

const sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'expected a full commit id (40 or 64 hex digits)');
/** Host ids name directories: hex only. */
export const HOST_ID = /^[0-9a-f]{8,64}$/;
const hostId = z.string().regex(HOST_ID, 'expected a host id (hex)');
const finite = z.number().refine(Number.isFinite, 'expected a finite number');
const test = z.object({ name: z.string().min(1), metric: z.string().min(1), unit: z.string().min(1), higherIsBetter: z.boolean() });

export const sweepDefinitionSchema = z.object({
  kind: z.literal('sweep'),
  v: z.literal(1),
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/),
  repo: z.string().min(1),
  branch: z.string().min(1),
  mode: z.enum(['kernel', 'command']),
  /** Kernel mode: the profile as the user named it (built-in name or path). */
  profile: z.string().min(1).nullable(),
  command: z.string().min(1).nullable(),
  commandTimeoutS: z.number().positive(),
  test: test.nullable(),
  bootsPerCommit: z.number().int().min(1).max(100),
  referenceEvery: z.number().int().min(1).max(1000),
  accel: z.enum(['auto', 'kvm', 'tcg']),
  toolchain: z.string().nullable(),
  createdAt: z.string(),
});
export type SweepDefinition = z.infer<typeof sweepDefinitionSchema>;

export const sweepStateSchema = z.object({
  v: z.literal(1),
  /** Branch heads seen, oldest first; `history` grows when one is not an ancestor of the next. */
  heads: z.array(z.object({ sha, history: z.number().int().min(0), run: z.number().int().min(1), at: z.string() })),
  /** Reference commit per series key, fixed when the series starts. */
  references: z.record(z.string(), sha),
});
export type SweepState = z.infer<typeof sweepStateSchema>;

export const sweepRunRecordSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('start'), run: z.number().int().min(1), at: z.string(), mode: z.enum(['new', 'range']), head: sha, pid: z.number().int() }),
  z.object({ kind: z.literal('end'), run: z.number().int().min(1), at: z.string(), measured: z.number().int().min(0), hostId: hostId.nullable() }),
]);
export type SweepRunRecord = z.infer<typeof sweepRunRecordSchema>;

export const sweepCommitSchema = z.object({
  sha,
  subject: z.string(),
  author: z.string(),
  date: z.string(),
  history: z.number().int().min(0),
  depth: z.number().int().min(0),
});

const host = z.object({ id: hostId, machine: z.string().min(1).max(253), cpuModel: z.string(), hostKernel: z.string(), qemuVersion: z.string(), accel: z.enum(['kvm', 'tcg', 'none']) });

export const sweepBootRecordSchema = z.object({
  v: z.literal(1),
  role: z.enum(['point', 'reference']),
  sha,
  run: z.number().int().min(1),
  seq: z.number().int().min(0),
  at: z.string(),
  host,
  outcome: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('boot'), runs: z.array(finite).min(1), value: finite }),
    z.object({ kind: z.enum(['build-failed', 'boot-failed', 'skip']), reason: z.string() }),
  ]),
});

const evidence = z.object({
  kind: z.enum(['accepted', 'candidate']),
  direction: z.enum(['regression', 'improvement']),
  relativeChange: finite,
  relativeChangeCi: z.tuple([finite, finite]),
  pValue: z.number().min(0),
});
const alertState = z.enum(['candidate', 'confirming', 'confirmed', 'bisecting', 'culprit', 'range', 'not-reproduced', 'ignored']);

export const alertRecordSchema = z.object({
  id: z.string().min(1).max(400),
  seriesKey: z.string().min(1),
  lastGoodSha: sha,
  firstBadSha: sha,
  state: alertState,
  evidence,
  raisedAt: z.string(),
  updatedAt: z.string(),
  why: z.string().nullable(),
  history: z.array(z.object({ at: z.string(), state: alertState, note: z.string() })),
  confirmation: z
    .object({ ratio: finite, ci: z.tuple([finite, finite]), p: z.number().nullable(), bootsBefore: z.number().int(), bootsAfter: z.number().int(), confirmed: z.boolean() })
    .nullable(),
  /** Directory name of its bisection under bisections/. */
  bisectionDir: z.string().regex(/^[0-9a-f]{16}$/).nullable(),
  bisection: z
    .object({
      outcome: z.enum(['running', 'culprit', 'range', 'no-regression', 'inconclusive']),
      culprit: z.object({ sha, subject: z.string(), author: z.string(), probability: z.number() }).nullable(),
      range: z.object({ first: sha, last: sha, count: z.number().int(), probability: z.number() }).nullable(),
      change: z.object({ ratio: finite, ci: z.tuple([finite, finite]), before: finite, after: finite }).nullable(),
      boots: z.number().int(),
      builds: z.number().int(),
      sessionDir: z.string(),
      summaryText: z.string(),
    })
    .nullable(),
});

export interface AlertRecord extends Alert {
  readonly raisedAt: string;
  readonly updatedAt: string;
  readonly why: string | null;
  readonly history: readonly AlertHistoryEntry[];
  readonly confirmation: AlertConfirmation | null;
  readonly bisectionDir: string | null;
  readonly bisection: AlertBisection | null;
}

export const alertListSchema = z.object({ v: z.literal(1), alerts: z.array(alertRecordSchema) });

function firstProblems<T>(checked: Checked<T>, limit = 4): Parsed<T> {
  if (checked.ok) return checked;
  const lines = checked.problems.slice(0, limit).map((p) => formatProblem('', p) || '(top level)');
  if (checked.problems.length > limit) lines.push(`... and ${checked.problems.length - limit} more`);
  return { ok: false, problem: lines.join('; ') };
}

// Validators for each file: a problem is one line naming the fields.
export const parseSweepDefinition = (raw: unknown): Parsed<SweepDefinition> => firstProblems(checkSchema(sweepDefinitionSchema, raw));
export const parseSweepState = (raw: unknown): Parsed<SweepState> => firstProblems(checkSchema(sweepStateSchema, raw));
export const parseSweepRunRecord = (raw: unknown): Parsed<SweepRunRecord> => firstProblems(checkSchema(sweepRunRecordSchema, raw));
export const parseSweepCommit = (raw: unknown): Parsed<SweepCommit> => firstProblems(checkSchema(sweepCommitSchema, raw));
export const parseSweepBootRecord = (raw: unknown): Parsed<SweepBootRecord> => firstProblems(checkSchema(sweepBootRecordSchema, raw) as Checked<SweepBootRecord>);
export const parseAlertList = (raw: unknown): Parsed<{ v: 1; alerts: AlertRecord[] }> =>
  firstProblems(checkSchema(alertListSchema, raw) as Checked<{ v: 1; alerts: AlertRecord[] }>);
