// A comparison on disk: compare.json (what is compared and with which
// settings, written once) beside its events log (the bisection's event
// records, so that its boots can seed a bisection of the same pair). Read
// back through this schema first: the files may be torn, edited or stale.
import { z } from 'zod';
import { checkSchema, formatProblem } from '../schema.ts';
import type { CompareSettings, CompareSubject } from './types.ts';

const id = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'expected a commit sha or an image sha256');
const subject = z.object({ rev: z.string(), id, subject: z.string(), kind: z.enum(['commit', 'image']) });
const positive = z.number().refine((v) => Number.isFinite(v) && v > 0, 'expected a positive number');

export const compareHeaderSchema = z.object({
  kind: z.literal('compare'),
  version: z.literal(1),
  createdAt: z.string(),
  mode: z.enum(['kernel', 'command', 'image']),
  a: subject,
  b: subject,
  // what the samples are samples of: profile hash and judged test, or the command
  measurementKey: z.string().min(1),
  profile: z.object({ name: z.string(), hash: z.string() }),
  settings: z.object({
    seed: z.number().refine(Number.isFinite, 'expected a finite number'),
    alpha: positive,
    minEffect: positive,
    calibrationBoots: z.number().int().min(2),
    maxBootsPerSide: z.number().int().min(2),
    direction: z.enum(['lower-is-worse', 'higher-is-worse']),
    confidence: positive,
  }),
});

export interface CompareHeader {
  kind: 'compare';
  version: 1;
  createdAt: string;
  mode: 'kernel' | 'command' | 'image';
  a: CompareSubject;
  b: CompareSubject;
  measurementKey: string;
  profile: { name: string; hash: string };
  settings: CompareSettings;
}

// Validates compare.json; the first few problems on one line.
export function parseCompareHeader(raw: unknown): { ok: true; value: CompareHeader } | { ok: false; problem: string } {
  const checked = checkSchema(compareHeaderSchema, raw);
  if (checked.ok) return { ok: true, value: checked.value as CompareHeader };
  return { ok: false, problem: checked.problems.slice(0, 5).map((p) => formatProblem('', p) || '(top level)').join('; ') };
}
