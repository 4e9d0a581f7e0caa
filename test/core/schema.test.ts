import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EVERY_PROBLEM, bool, checkSchema, fieldsOf, formatPath, formatProblem, intIn, oneOf, suggestKey, text } from '../../src/core/schema.ts';

const settings = z
  .strictObject({
    size: intIn(1, 64).default(1),
    name: text(),
    mode: oneOf(['fast', 'slow']).optional(),
    items: z.array(z.strictObject({ on: bool(), weight: z.number() })).default([]),
    range: z.strictObject({ lo: intIn(0, 9), hi: intIn(0, 9) }).optional(),
  })
  .superRefine((raw, ctx) => {
    const { lo, hi } = fieldsOf(fieldsOf(raw).range);
    if (typeof lo === 'number' && typeof hi === 'number' && hi < lo) ctx.addIssue({ code: 'custom', path: ['range', 'hi'], input: hi, message: `expected at least range.lo (${lo}), got ${hi}` });
  }, EVERY_PROBLEM);

function problemsOf(raw: unknown): string[] {
  const checked = checkSchema(settings, raw);
  return checked.ok ? [] : checked.problems.map((p) => formatProblem('s.yaml', p));
}

describe('formatPath', () => {
  it.each([
    [[], ''],
    [['name'], 'name'],
    [['tests', 1, 'durationS'], 'tests[1].durationS'],
    [['kernel', 'fragment', 0], 'kernel.fragment[0]'],
    [[0, 'a'], '[0].a'],
  ] as const)('%j → %s', (path, text) => {
    expect(formatPath(path)).toBe(text);
  });
});

describe('suggestKey', () => {
  it.each([
    ['queue', ['vhost', 'queues'], 'did you mean "queues"?'],
    ['Vhost', ['vhost', 'queues'], 'did you mean "vhost"?'],
    ['colour', ['vhost', 'queues'], 'expected one of: vhost, queues'],
  ] as const)('%s among %j', (key, allowed, text) => {
    expect(suggestKey(key, allowed)).toBe(text);
  });
});

describe('checkSchema', () => {
  it('returns the parsed value with the defaults filled in', () => {
    expect(checkSchema(settings, { name: 'x' })).toEqual({ ok: true, value: { size: 1, name: 'x', items: [] } });
  });

  // One row per kind of issue: the house message with its path.
  it.each([
    ['out of range', { name: 'x', size: 0 }, 's.yaml: size: expected an integer between 1 and 64, got 0'],
    ['not an integer', { name: 'x', size: 1.5 }, 's.yaml: size: expected an integer between 1 and 64, got 1.5'],
    ['missing', {}, 's.yaml: name: required: expected a string'],
    ['not in the list', { name: 'x', mode: 'quick' }, 's.yaml: mode: expected one of fast, slow, got "quick"'],
    ['not a boolean', { name: 'x', items: [{ on: 'yes', weight: 1 }] }, 's.yaml: items[0].on: expected true or false, got "yes"'],
    ["zod's own message, reworded", { name: 'x', items: [{ on: true, weight: 'heavy' }] }, 's.yaml: items[0].weight: expected a number, got "heavy"'],
    ['not a list', { name: 'x', items: 'a' }, 's.yaml: items: expected a list, got "a"'],
    ['not a mapping', ['x'], 's.yaml: expected a mapping, got ["x"]'],
    ['a near miss', { name: 'x', szie: 2 }, 's.yaml: szie: unknown key (did you mean "size"?)'],
    ['an unknown key deep down', { name: 'x', items: [{ on: true, weight: 1, colour: 'red' }] }, 's.yaml: items[0].colour: unknown key (expected one of: on, weight)'],
    ['a rule across fields', { name: 'x', range: { lo: 5, hi: 2 } }, 's.yaml: range.hi: expected at least range.lo (5), got 2'],
  ])('%s', (_kind, raw, message) => {
    expect(problemsOf(raw)).toEqual([message]);
  });

  it('returns every problem at once, in document order', () => {
    expect(problemsOf({ range: { lo: 5, hi: 2, middle: 3 }, extra: 1, size: 'big', name: 3 })).toEqual([
      's.yaml: extra: unknown key (expected one of: size, name, mode, items, range)',
      's.yaml: size: expected an integer between 1 and 64, got "big"',
      's.yaml: name: expected a string, got 3',
      's.yaml: range.middle: unknown key (expected one of: lo, hi)',
      // the rule across fields runs although other keys are wrong
      's.yaml: range.hi: expected at least range.lo (5), got 2',
    ]);
  });
});
