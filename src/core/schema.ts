// One way to validate input read from files and options: a zod schema runs
// over the raw value and every issue becomes a house-style problem that names
// its path and says what was expected and what was got
// (`tests[1].durationS: expected an integer between 1 and 3600, got "ten"`).
// All problems come back at once, as values; nothing here throws.
import { z } from 'zod';
import { describeValue } from './errors.ts';

// One problem with the input: `path` is `tests[1].durationS`, or '' for the whole input.
export interface Problem {
  path: string;
  message: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

// Cross-field rules pass this so that they run even when a field already
// failed: zod skips refinements after an error, but the user should see every problem at once.
export const EVERY_PROBLEM = { when: (): boolean => true } as const;

// The keys of a value a cross-field rule looks at: with EVERY_PROBLEM it may
// see the input as it was (null, a list, a string) when the mapping itself was wrong.
export function fieldsOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

// `tests[1].durationS` from ['tests', 1, 'durationS'].
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  return out;
}

// `profiles/x.yaml: nic.queues: expected ...`; the source and the path are left out when empty.
export function formatProblem(source: string, problem: Problem): string {
  return [source, problem.path, problem.message].filter((part) => part !== '').join(': ');
}

// The message for a value that is not what was expected (or is missing altogether).
export function describeMismatch(expected: string, input: unknown): string {
  return input === undefined ? `required: expected ${expected}` : `expected ${expected}, got ${describeValue(input)}`;
}

// An error function for a schema or check: every issue it raises reads `expected <what>, got <input>`.
export function expecting(what: string): (issue: { input?: unknown }) => string {
  return (issue) => describeMismatch(what, issue.input);
}

// An integer in [min, max] (or ≥ min) with the house message.
export function intIn(min: number, max?: number): z.ZodInt {
  const error = expecting(max === undefined ? `an integer ≥ ${min}` : `an integer between ${min} and ${max}`);
  const schema = z.int({ error }).min(min);
  return max === undefined ? schema : schema.max(max);
}

// true or false, nothing that merely looks like it ("yes", 1).
export function bool(): z.ZodBoolean {
  return z.boolean({ error: expecting('true or false') });
}

// A string (any; add checks for which ones).
export function text(): z.ZodString {
  return z.string({ error: expecting('a string') });
}

// One of a fixed list of words.
export function oneOf<const T extends readonly [string, ...string[]]>(values: T): z.ZodEnum<{ [K in T[number]]: K }> {
  return z.enum(values, { error: expecting(`one of ${values.join(', ')}`) });
}

// What zod's own type names are called in messages.
const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

// House wording for issues whose schema gave no message of its own.
function describeIssue(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return describeMismatch(TYPE_NAMES[issue.expected] ?? issue.expected, issue.input);
    case 'invalid_value':
      return describeMismatch(`one of ${issue.values.map((v) => describeValue(v)).join(', ')}`, issue.input);
    case 'too_small':
      return describeMismatch(`${issue.inclusive === false ? 'more than' : 'at least'} ${String(issue.minimum)}`, issue.input);
    case 'too_big':
      return describeMismatch(`${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)}`, issue.input);
    case 'invalid_format':
      return describeMismatch(issue.pattern === undefined ? `a valid ${issue.format}` : `a string matching ${issue.pattern}`, issue.input);
    default:
      return describeMismatch('a valid value', issue.input);
  }
}

// Levenshtein distance, for "did you mean" on unknown keys.
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] ?? 0;
      row[j] = Math.min(cur + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] ?? 0;
}

// `did you mean "queues"?` for a near miss, else the list of known keys.
export function suggestKey(key: string, allowed: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3))
    ? `did you mean "${best}"?`
    : `expected one of: ${allowed.join(', ')}`;
}

interface Def {
  type: string;
  shape?: Record<string, z.core.$ZodType>;
  element?: z.core.$ZodType;
  innerType?: z.core.$ZodType;
  in?: z.core.$ZodType;
}

// The schema inside defaults, optionals and pipes (a pipe is read from its input side).
function unwrap(def: Def): Def {
  let inner = def.innerType ?? def.in;
  while (inner !== undefined) {
    def = inner._zod.def as Def;
    inner = def.innerType ?? def.in;
  }
  return def;
}

// The keys the mapping at `path` accepts, for "did you mean" on an unknown one.
function keysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let def = unwrap(schema._zod.def as Def);
  for (const key of path) {
    const next = def.type === 'array' ? def.element : def.shape?.[String(key)];
    if (next === undefined) return [];
    def = unwrap(next._zod.def as Def);
  }
  return Object.keys(def.shape ?? {});
}

interface IssueNode {
  own: Problem[];
  children: Map<PropertyKey, IssueNode>;
  crossField: Problem[];
}

// Document order: a mapping's own problems (wrong type, unknown keys) before
// its fields', fields in the order the schema lists them, and the rules a
// schema adds with superRefine (zod's `custom` issues) after the fields they relate.
function orderProblems(entries: { path: readonly PropertyKey[]; problem: Problem; crossField: boolean }[]): Problem[] {
  const root: IssueNode = { own: [], children: new Map(), crossField: [] };
  for (const { path, problem, crossField } of entries) {
    let node = root;
    for (const key of path) {
      let child = node.children.get(key);
      if (!child) {
        child = { own: [], children: new Map(), crossField: [] };
        node.children.set(key, child);
      }
      node = child;
    }
    (crossField ? node.crossField : node.own).push(problem);
  }
  const out: Problem[] = [];
  const visit = (node: IssueNode): void => {
    out.push(...node.own);
    for (const child of node.children.values()) visit(child);
    out.push(...node.crossField);
  };
  visit(root);
  return out;
}

// Runs `schema` over raw input: the parsed value, or every problem in document order.
export function checkSchema<S extends z.ZodType>(schema: S, raw: unknown): Checked<z.output<S>> {
  const result = schema.safeParse(raw, { error: describeIssue });
  if (result.success) return { ok: true, value: result.data };
  const entries = result.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const allowed = keysAt(schema, issue.path);
      return issue.keys.map((key) => {
        // filed under the mapping itself, so that it comes before the mapping's fields
        const message = allowed.length > 0 ? `unknown key (${suggestKey(key, allowed)})` : 'unknown key';
        const problem = { path: formatPath([...issue.path, key]), message };
        return { path: issue.path, problem, crossField: false };
      });
    }
    return [{ path: issue.path, problem: { path: formatPath(issue.path), message: issue.message }, crossField: issue.code === 'custom' }];
  });
  return { ok: false, problems: orderProblems(entries) };
}
