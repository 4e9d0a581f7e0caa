// The published JSON Schema (what `kbisect profile schema` prints) is read
// back as an editor would read it, and checked against the shipped profiles.
import { readdirSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadProfile } from '../../../src/app/profiles.ts';
import { profileJsonSchema, validateProfile } from '../../../src/core/profile/index.ts';

const profilesDir = new URL('../../../profiles/', import.meta.url);
const shipped = readdirSync(profilesDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((file) => [file, parseYaml(readFileSync(new URL(file, profilesDir), 'utf8')) as Record<string, unknown>] as const);
const jsonSchema = profileJsonSchema();
// zod reads JSON Schema too: the published document, not the zod schema it came from, does the checking
const editorCheck = z.fromJSONSchema(jsonSchema as Parameters<typeof z.fromJSONSchema>[0]);
const tcpRr = shipped.find(([file]) => file === 'tcp-rr.yaml')?.[1] ?? {};

describe('profile JSON Schema', () => {
  it('is a draft-07 schema that editors can read, with the defaults spelled out', () => {
    expect(jsonSchema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const [own, extending] = jsonSchema.anyOf as Record<string, unknown>[];
    const object = {
      type: 'object',
      additionalProperties: false,
      properties: { extends: { type: 'string' }, sampling: { default: {} }, guest: { properties: { memoryMiB: { default: 256, minimum: 64 } } } },
    };
    // a profile of its own needs every required key; one that extends another, schema and extends
    expect(own).toMatchObject({ ...object, required: ['schema', 'name', 'topology', 'tests', 'minEffect'] });
    expect(extending).toMatchObject({ ...object, required: ['schema', 'extends'] });
  });

  it('accepts a small profile that extends another and edits its kernel options', () => {
    const raw = { schema: 1, extends: 'tcp-rr', nic: { queues: 2 }, kernel: { fragment: ['+CONFIG_NET_SCHED=y', '-CONFIG_IPV6', 'CONFIG_PPS=y'] } };
    expect(editorCheck.safeParse(raw).error?.issues).toBeUndefined();
    expect(editorCheck.safeParse({ ...raw, kernel: { fragment: ['-CONFIG_IPV6=n'] } }).success).toBe(false);
  });

  it('ships at least the built-in profiles', () => {
    expect(shipped.map(([file]) => file)).toContain('tcp-rr.yaml');
  });

  it.each(shipped)('accepts the shipped %s', async (file, raw) => {
    expect(editorCheck.safeParse(raw).error?.issues).toBeUndefined();
    // shipped profiles extend each other: kbisect checks them resolved
    expect((await loadProfile(file.replace(/\.yaml$/, ''))).warnings).toEqual([]);
  });

  // Each broken profile is refused by the JSON Schema, and by kbisect with the path of the problem.
  const broken: [string, Record<string, unknown>, string][] = [
    ['an unknown key', { ...tcpRr, colour: 'red' }, 'colour: unknown key'],
    ['a misspelt nested key', { ...tcpRr, nic: { queue: 2 } }, 'nic.queue: unknown key (did you mean "queues"?)'],
    ['a value out of range', { ...tcpRr, guest: { memoryMiB: 16 } }, 'guest.memoryMiB: expected an integer between 64 and 65536, got 16'],
    ['a word for a number', { ...tcpRr, tests: [{ type: 'TCP_RR', durationS: 'ten' }] }, 'tests[0].durationS: expected an integer between 1 and 3600, got "ten"'],
    ['an unknown test type', { ...tcpRr, tests: [{ type: 'SCTP_RR', durationS: 5 }] }, 'tests[0].type: expected one of'],
    ['a malformed kernel option', { ...tcpRr, kernel: { fragment: ['VIRTIO_NET=y'] } }, 'kernel.fragment[0]: expected CONFIG_NAME=y'],
    ['a percentage that is not one', { ...tcpRr, minEffect: 'five %' }, 'minEffect: expected a relative change'],
    ['a missing required key', Object.fromEntries(Object.entries(tcpRr).filter(([k]) => k !== 'topology')), 'topology: required: expected one of'],
  ];
  it.each(broken)('rejects %s', (_kind, raw, message) => {
    expect(editorCheck.safeParse(raw).success).toBe(false);
    expect(validateProfile(raw, 'x.yaml').errors.join('\n')).toContain(`x.yaml: ${message}`);
  });
});
