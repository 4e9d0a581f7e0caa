// Profile validation: takes the parsed YAML (unknown), returns the normalized
// profile with defaults filled in, or every problem at once, each with its
// path: `profiles/x.yaml: nic.queues: expected an integer between 1 and 64, got "two"`.
// A file that `extends` another is validated on top of its resolved parent.
// Returns, never throws (changesets' config validation is the model).
import { checkSchema, fieldsOf, formatProblem, type Problem } from '../schema.ts';
import { profileToDocument } from './canonical.ts';
import { applyFragmentEdits, guestBaseFragment, readFragmentEdits } from './fragment.ts';
import { EXTENDS_KEY, mergeProfileLayer } from './inherit.ts';
import { buildProfileJsonSchema, profileSchema } from './schema.ts';
import type { Profile, ProfileValidation } from './types.ts';
import { findProfileWarnings } from './warnings.ts';

// Validates a parsed profile that has no parent; `source` (a file name) prefixes every message.
export function validateProfile(raw: unknown, source: string): ProfileValidation {
  return validateProfileLayer(raw, null, source);
}

// Validates one profile file on top of its resolved parent (null: on top of
// the guest base only). The file's kernel.fragment edits the parent's.
export function validateProfileLayer(raw: unknown, parent: Profile | null, source: string): ProfileValidation {
  const file = fieldsOf(raw);
  const isMapping = typeof raw === 'object' && raw !== null && !Array.isArray(raw);
  const own: Problem[] = [];
  if (parent === null && isMapping && Object.hasOwn(file, EXTENDS_KEY)) {
    own.push({ path: EXTENDS_KEY, message: 'the parent profile must be resolved first (a profile embedded in a session or log never extends another)' });
  }
  const fragment = readFragmentEdits(fieldsOf(file.kernel).fragment);
  const applied = applyFragmentEdits(parent?.kernel.fragment ?? guestBaseFragment(), fragment.edits);
  let merged: unknown = raw;
  if (isMapping) {
    const layer = mergeProfileLayer(parent === null ? {} : profileToDocument(parent), file);
    const kernel = layer.kernel;
    const kernelKeys = typeof kernel === 'object' && kernel !== null && !Array.isArray(kernel) ? kernel : kernel === undefined || kernel === null ? {} : undefined;
    // a kernel: that is not a mapping is the schema's to report
    merged = kernelKeys === undefined ? layer : { ...layer, kernel: { ...kernelKeys, fragment: applied.lines } };
  }
  const checked = checkSchema(profileSchema, merged);
  const warnings = findProfileWarnings(merged, [...fragment.warnings, ...applied.warnings]).map((p) => formatProblem(source, p));
  const problems = [...own, ...fragment.problems, ...(checked.ok ? [] : checked.problems)];
  if (!checked.ok || problems.length > 0) return { errors: problems.map((p) => formatProblem(source, p)), warnings };
  return { profile: checked.value, errors: [], warnings };
}

// The JSON Schema of profiles as written in YAML, for editors (`kbisect profile schema`).
export function profileJsonSchema(): Record<string, unknown> {
  return buildProfileJsonSchema();
}
