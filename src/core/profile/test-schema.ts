// One netperf test of a profile: its keys, the rules that tie them to the
// test type (stream tests take messageBytes, RR tests request/response sizes),
// and the defaults that follow from the type (name, metric, direction).
import { z } from 'zod';
import { describeValue } from '../errors.ts';
import { EVERY_PROBLEM, bool, describeMismatch, expecting, fieldsOf, intIn, oneOf, text } from '../schema.ts';
import { defaultHigherIsBetter, defaultMetric, defaultTestName, profileDefaults } from './defaults.ts';
import { isRequestResponse, metrics, netperfTestTypes, type NetperfTestType, type ProfileTest } from './types.ts';

const TEST_NAME_RE = /^[a-z0-9][a-z0-9-]{0,31}$/;
const MAX_BYTES = 1 << 20;
// UDP payload limit over IPv4 (65535 - 20 IP - 8 UDP)
export const MAX_UDP_MESSAGE = 65507;

const testFields = z
  .strictObject({
    name: text()
      .regex(TEST_NAME_RE, { error: expecting('lowercase letters, digits and dashes (at most 32)') })
      .optional()
      .meta({ description: 'unique within the profile (default: the type, as tcp-rr)' }),
    type: oneOf(netperfTestTypes).meta({ description: 'the netperf test (-t)' }),
    durationS: intIn(1, 3600).meta({ description: 'seconds per netperf run (-l)' }),
    messageBytes: intIn(1, MAX_BYTES)
      .optional()
      .meta({ description: `TCP_STREAM / UDP_STREAM: bytes per send call (-m); UDP_STREAM at most ${MAX_UDP_MESSAGE}` }),
    requestBytes: intIn(1, MAX_BYTES)
      .optional()
      .meta({ description: `RR tests: request size (-r), default ${profileDefaults.test.requestBytes}` }),
    responseBytes: intIn(1, MAX_BYTES)
      .optional()
      .meta({ description: `RR tests: response size (-r), default ${profileDefaults.test.responseBytes}` }),
    nodelay: bool().default(profileDefaults.test.nodelay).meta({ description: 'TCP_NODELAY on the data connection (-D)' }),
    metric: oneOf(metrics)
      .optional()
      .meta({ description: 'what the test is judged on (default: transaction-rate for RR tests, throughput otherwise)' }),
    higherIsBetter: bool().optional().meta({ description: "default: the metric's natural direction" }),
  })
  .meta({ description: 'one netperf test' });

type TestFields = z.output<typeof testFields>;

function isTestType(value: unknown): value is NetperfTestType {
  return (netperfTestTypes as readonly unknown[]).includes(value);
}

// A number the field's own check accepted (so that a bad one is not reported twice).
function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_BYTES;
}

// The rules that depend on the test type, checked even when another key is wrong.
function checkAgainstType(rawTest: unknown, ctx: z.RefinementCtx): void {
  const raw: Partial<Record<keyof TestFields, unknown>> = fieldsOf(rawTest);
  const type = raw.type;
  if (!isTestType(type)) return;
  const problem = (key: keyof TestFields, message: string): void => {
    ctx.addIssue({ code: 'custom', path: [key], input: raw[key], message });
  };
  if (isRequestResponse(type)) {
    if (raw.messageBytes !== undefined) problem('messageBytes', `applies to stream tests only; ${type} takes requestBytes and responseBytes`);
    for (const key of ['requestBytes', 'responseBytes'] as const) {
      const v = raw[key];
      if (type === 'UDP_RR' && isSize(v) && v > MAX_UDP_MESSAGE) problem(key, `expected at most ${MAX_UDP_MESSAGE} for UDP_RR, got ${v}`);
    }
  } else {
    for (const key of ['requestBytes', 'responseBytes'] as const) {
      if (raw[key] !== undefined) problem(key, `applies to request/response tests only; ${type} takes messageBytes`);
    }
    const m = raw.messageBytes;
    if (m !== undefined && type === 'TCP_MAERTS') {
      problem('messageBytes', "TCP_MAERTS: netperf 2.7 has no option for the remote (sending) side's message size");
    } else if (type === 'UDP_STREAM' && isSize(m) && m > MAX_UDP_MESSAGE) {
      problem('messageBytes', describeMismatch(`an integer between 1 and ${MAX_UDP_MESSAGE}`, m));
    }
    if (typeof raw.metric === 'string' && (metrics as readonly string[]).includes(raw.metric) && raw.metric !== 'throughput') {
      problem(
        'metric',
        `${type} measures throughput only (netperf's latency and transaction fields are meaningless for stream tests), got ${describeValue(raw.metric)}`,
      );
    }
  }
}

// The test with every default that follows from its type filled in.
function completeTest(t: TestFields): ProfileTest {
  const metric = t.metric ?? defaultMetric(t.type);
  const sizes = isRequestResponse(t.type)
    ? { requestBytes: t.requestBytes ?? profileDefaults.test.requestBytes, responseBytes: t.responseBytes ?? profileDefaults.test.responseBytes }
    : t.messageBytes === undefined
      ? {}
      : { messageBytes: t.messageBytes };
  return {
    ...sizes,
    name: t.name ?? defaultTestName(t.type),
    type: t.type,
    durationS: t.durationS,
    nodelay: t.nodelay,
    metric,
    higherIsBetter: t.higherIsBetter ?? defaultHigherIsBetter(metric),
  };
}

export const testSchema = testFields.superRefine(checkAgainstType, EVERY_PROBLEM).transform(completeTest);

// Test names are unique: results and `--metric` name a test by it.
function checkUniqueNames(tests: unknown, ctx: z.RefinementCtx): void {
  if (!Array.isArray(tests)) return;
  const first = new Map<string, number>();
  tests.forEach((t: unknown, i) => {
    const name = fieldsOf(t).name;
    if (typeof name !== 'string') return;
    const before = first.get(name);
    if (before === undefined) first.set(name, i);
    else ctx.addIssue({ code: 'custom', path: [i, 'name'], input: name, message: `${describeValue(name)} is already the name of tests[${before}]` });
  });
}

export const testsSchema = z
  .array(testSchema, {
    error: (issue) =>
      issue.input === undefined
        ? 'required: expected a list of netperf tests'
        : describeMismatch('a non-empty list of netperf tests', issue.input),
  })
  .min(1)
  .superRefine(checkUniqueNames, EVERY_PROBLEM)
  .meta({ description: 'the netperf tests run in every boot, in this order' });
