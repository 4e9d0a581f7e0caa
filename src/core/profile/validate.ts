// Profile validation: takes the parsed YAML (unknown), returns the normalized
// profile with defaults filled in, or every problem at once, each with its
// path: `profiles/x.yaml: nic.queues: expected an integer between 1 and 64, got "two"`.
// Returns, never throws (changesets' config validation is the model).
import { checkSchema, formatProblem } from '../schema.ts';
import { buildProfileJsonSchema, profileSchema } from './schema.ts';
import type { ProfileValidation } from './types.ts';
import { findProfileWarnings } from './warnings.ts';

// Validates a parsed profile; `source` (a file name) prefixes every message.
export function validateProfile(raw: unknown, source: string): ProfileValidation {
  const checked = checkSchema(profileSchema, raw);
  const warnings = findProfileWarnings(raw).map((p) => formatProblem(source, p));
  if (!checked.ok) return { errors: checked.problems.map((p) => formatProblem(source, p)), warnings };
  return { profile: checked.value, errors: [], warnings };
}

// The JSON Schema of profiles as written in YAML, for editors (`kbisect profile schema`).
export function profileJsonSchema(): Record<string, unknown> {
  return buildProfileJsonSchema();
}
