// The profile schema: one zod schema that validates a parsed YAML profile,
// fills in the defaults (defaults.ts) and yields the Profile; the same schema,
// read from its input side, is the JSON Schema that editors check YAML with.
import { z } from 'zod';
import { describeValue } from '../errors.ts';
import { EVERY_PROBLEM, bool, expecting, fieldsOf, intIn, oneOf, text } from '../schema.ts';
import { profileDefaults } from './defaults.ts';
import { FILE_LINE_DESCRIPTION, FILE_LINE_PATTERN, fragmentSchema } from './fragment.ts';
import { testsSchema } from './test-schema.ts';
import { guestCount, nicOffloads, PROFILE_SCHEMA_VERSION, topologies, type NicOffload, type Profile, type ProfileNic, type ProfileSampling } from './types.ts';

// a profile's name, or SOURCE/NAME for a profile of a team source
const NAME_RE = /^(?:[a-z0-9][a-z0-9._-]{0,63}\/)?[a-z0-9][a-z0-9._-]{0,63}$/;
// kernel parameters: words of these characters only (no quotes, no shell or
// QEMU metacharacters): what reaches the guest is exactly what was written
const CMDLINE_WORD_RE = /^[A-Za-z0-9_.,:=+/@%~-]+$/;
// parameters that would take the guest away from kbisect's /init and console
const RESERVED_PARAMS = ['init', 'rdinit', 'console', 'earlyprintk'];
// minEffect as a percentage: "5%", "2.5 %"
const PERCENT_RE = /^\s*\d+(\.\d+)?\s*%\s*$/;
const MAX_CMDLINE = 1024;
// each VLAN and extra MAC is one more interface and address in the guest and one more reachability probe per migration
const MAX_VLANS = 8;
const MAX_EXTRA_MACS = 8;
const DEFAULT_REACH_TIMEOUT_S = 2;

// Kernel parameters the guest gets besides kbisect's own (kbisect.*).
function checkCmdline(cmdline: string, ctx: z.RefinementCtx): void {
  if (/[\n\r]/.test(cmdline)) ctx.addIssue({ code: 'custom', input: cmdline, message: 'expected one line of kernel parameters, got a line break' });
  const words = cmdline.split(/\s+/).filter((w) => w !== '');
  const reserved = words.find((w) => w.startsWith('kbisect.'));
  if (reserved) ctx.addIssue({ code: 'custom', input: cmdline, message: `${describeValue(reserved)}: kbisect.* parameters are set by kbisect itself` });
  const odd = words.find((w) => !CMDLINE_WORD_RE.test(w));
  if (odd !== undefined) {
    ctx.addIssue({
      code: 'custom',
      input: cmdline,
      message: `expected kernel parameters made of letters, digits and _ . , : = + / @ % ~ - (no quotes, spaces inside a value or shell characters), got the word ${describeValue(odd.length > 60 ? `${odd.slice(0, 60)}...` : odd)}`,
    });
  }
  // the kernel hands NAME=value words it does not know to init's environment
  const variable = words.find((w) => /^[A-Z_][A-Z0-9_]*=/.test(w));
  if (variable !== undefined) {
    ctx.addIssue({ code: 'custom', input: cmdline, message: `${describeValue(variable)}: an upper-case name would become an environment variable of kbisect's /init; kernel parameters are lower-case` });
  }
  const taken = words.find((w) => w.startsWith('-') || RESERVED_PARAMS.includes(w.split('=')[0] ?? ''));
  if (taken !== undefined) {
    ctx.addIssue({
      code: 'custom',
      input: cmdline,
      message: `${describeValue(taken)}: ${taken.startsWith('-') ? 'a word starting with "-" ends the kernel parameters' : "kbisect's guest runs its own /init on its own console"}; leave it out`,
    });
  }
  if (cmdline.length > MAX_CMDLINE) {
    ctx.addIssue({ code: 'custom', input: cmdline, message: `expected at most ${MAX_CMDLINE} characters, got ${cmdline.length}` });
  }
}

const vcpusSchema = intIn(1, 64);
const pinningSchema = z.array(intIn(0, 4095), { error: expecting('a list of host CPU numbers (one per vCPU)') });
const topologySchema = oneOf(topologies);

export const guestSchema = z
  .strictObject({
    vcpus: vcpusSchema.default(profileDefaults.guest.vcpus),
    memoryMiB: intIn(64, 65536).default(profileDefaults.guest.memoryMiB),
    cmdline: text()
      .superRefine(checkCmdline)
      .default(profileDefaults.guest.cmdline)
      .transform((s) => s.trim().replace(/\s+/g, ' '))
      .meta({ description: 'extra kernel command line words (kbisect.* is reserved)' }),
    pinning: pinningSchema
      .default(() => [...profileDefaults.guest.pinning])
      .meta({ description: "host CPU per vCPU; empty = no pinning. guest-to-guest: the first guest's vCPUs, then the second's" }),
  })
  .prefault({});

const offloadsSchema = z
  .strictObject(
    Object.fromEntries(nicOffloads.map((key) => [key, bool().optional()])) as Record<NicOffload, z.ZodOptional<z.ZodBoolean>>,
  )
  .transform((o): Partial<Record<NicOffload, boolean>> => {
    const out: Partial<Record<NicOffload, boolean>> = {};
    for (const key of nicOffloads) {
      const v = o[key];
      if (v !== undefined) out[key] = v;
    }
    return out;
  })
  .prefault({})
  .meta({ description: "virtio-net-pci device properties (QEMU's names); left out = QEMU's default" });

export const nicSchema = z
  .strictObject({
    vhost: bool().default(profileDefaults.nic.vhost).meta({ description: 'vhost-net in the host kernel instead of QEMU' }),
    queues: intIn(1, 64).default(profileDefaults.nic.queues),
    mrgRxbuf: bool().default(profileDefaults.nic.mrgRxbuf).meta({ description: 'mergeable receive buffers' }),
    offloads: offloadsSchema,
    vlans: z
      .array(intIn(1, 4094), { error: expecting('a list of 802.1Q VLAN ids (1-4094)') })
      .max(MAX_VLANS, { error: expecting(`at most ${MAX_VLANS} VLAN ids`) })
      .refine((ids) => new Set(ids).size === ids.length, { error: (issue) => `expected distinct VLAN ids, got ${describeValue(issue.input)}` })
      .optional()
      .meta({ description: "802.1Q sub-interfaces of the guest's NIC, each with its own address; netperf runs over the first" }),
    extraMacs: intIn(0, MAX_EXTRA_MACS)
      .optional()
      .meta({ description: "more MAC addresses on the guest's NIC (macvlan sub-interfaces in the guest, each with its own address)" }),
  })
  // none (an empty list, 0) is the same as absent: no key, and the hash of a profile without them stays what it was
  .transform(({ vlans, extraMacs, ...nic }): ProfileNic => ({
    ...nic,
    ...(vlans === undefined || vlans.length === 0 ? {} : { vlans }),
    ...(extraMacs === undefined || extraMacs === 0 ? {} : { extraMacs }),
  }))
  .prefault({});

export const kernelSchema = z.strictObject({ fragment: fragmentSchema }).prefault({});

// conditions.qos: a CPU quota for QEMU (cgroup) and a rate limit on the tap (tc); at least one.
export const qosSchema = z
  .strictObject({
    cpuQuotaPercent: intIn(1, 6400)
      .optional()
      .meta({ description: 'percent of one host CPU all of QEMU (every thread) may use: 25 = a quarter of a CPU (cgroup cpu.max, or cpu.cfs_quota_us on cgroup v1)' }),
    tapRateMbit: intIn(1, 100_000).optional().meta({ description: "rate limit (Mbit/s, tc tbf) on the guest's tap: what the guest receives" }),
  })
  .superRefine((raw, ctx) => {
    const f = fieldsOf(raw);
    if (f.cpuQuotaPercent === undefined && f.tapRateMbit === undefined) {
      ctx.addIssue({ code: 'custom', input: raw, message: 'expected cpuQuotaPercent, tapRateMbit or both, got neither' });
    }
  }, EVERY_PROBLEM)
  .transform((q) => ({
    ...(q.cpuQuotaPercent === undefined ? {} : { cpuQuotaPercent: q.cpuQuotaPercent }),
    ...(q.tapRateMbit === undefined ? {} : { tapRateMbit: q.tapRateMbit }),
  }));

// conditions.hotplug: the NIC is unplugged and plugged back before every `every`-th netperf run.
export const hotplugSchema = z
  .strictObject({
    every: intIn(1, 1000)
      .default(1)
      .meta({ description: 'unplug and re-plug the NIC before every Nth netperf run of a boot (1: before each run)' }),
  })
  .nullable()
  .transform((h) => h ?? { every: 1 });

// conditions.migration: live-migrate the guest between two QEMU processes every intervalS during each run.
export const migrationSchema = z
  .strictObject({
    intervalS: intIn(1, 3600).meta({ description: 'seconds between the starts of two migrations (back and forth) during each netperf run' }),
    reachTimeoutS: intIn(1, 60)
      .default(DEFAULT_REACH_TIMEOUT_S)
      .meta({ description: 'after each migration: how long every MAC and VLAN of the guest may take to answer a ping again' }),
  })
  .superRefine((raw, ctx) => {
    const { intervalS, reachTimeoutS } = fieldsOf(raw);
    const reach = reachTimeoutS ?? DEFAULT_REACH_TIMEOUT_S;
    if (Number.isInteger(intervalS) && Number.isInteger(reach) && (reach as number) >= (intervalS as number)) {
      ctx.addIssue({ code: 'custom', path: ['reachTimeoutS'], input: reach, message: `expected less than intervalS (${intervalS}), got ${describeValue(reach)}` });
    }
  }, EVERY_PROBLEM);

export const conditionsSchema = z
  .strictObject({
    qos: qosSchema.optional(),
    hotplug: hotplugSchema.optional(),
    migration: migrationSchema.optional(),
  })
  .transform((c) => ({
    ...(c.qos === undefined ? {} : { qos: c.qos }),
    ...(c.hotplug === undefined ? {} : { hotplug: c.hotplug }),
    ...(c.migration === undefined ? {} : { migration: c.migration }),
  }))
  .meta({ description: 'what happens to the guest while netperf runs (absent: a plain run)' });

export const samplingSchema = z
  .strictObject({
    runsPerBoot: intIn(1, 1000).default(profileDefaults.sampling.runsPerBoot),
    warmupRuns: intIn(0, 100)
      .default(profileDefaults.sampling.warmupRuns)
      .meta({ description: 'runs at the start of each test in each boot that are recorded but not judged' }),
    minBoots: intIn(1, 1000).default(profileDefaults.sampling.minBoots),
    maxBoots: intIn(1, 1000).default(profileDefaults.sampling.maxBoots),
    referenceEvery: intIn(0, 1000)
      .default(profileDefaults.sampling.referenceEvery)
      .meta({ description: 'bisecting: boot GOOD or BAD again after this many boots of other commits (0: never)' }),
    adaptive: z
      .boolean({ error: (issue) => `expected true or false, got ${describeValue(issue.input)}` })
      .optional()
      .meta({
        description:
          'bisecting kernels: once the endpoints have a few boots, take runsPerBoot as a cap and measure the boots after with the runs per boot (and warm-up) of least variance per second, from the variance components of those boots (false: always runsPerBoot)',
      }),
  })
  .superRefine((raw, ctx) => {
    const { minBoots, maxBoots } = fieldsOf(raw);
    if (Number.isInteger(minBoots) && Number.isInteger(maxBoots) && (maxBoots as number) < (minBoots as number)) {
      ctx.addIssue({ code: 'custom', path: ['maxBoots'], input: maxBoots, message: `expected at least sampling.minBoots (${minBoots}), got ${maxBoots}` });
    }
  }, EVERY_PROBLEM)
  // `sampling:` with nothing under it means the defaults
  .nullable()
  // adaptive: false is the default and leaves no key, so that the hash of every profile without it stays as it was
  .transform((s): ProfileSampling => {
    if (s === null) return { ...profileDefaults.sampling };
    const { adaptive, ...fixed } = s;
    return adaptive === true ? { ...fixed, adaptive: true } : fixed;
  })
  .prefault({});

// minEffect: a fraction (0.05) or a percentage ("5%"), strictly between 0 and 1.
function describeMinEffect(issue: { input?: unknown }): string {
  return issue.input === undefined
    ? 'required: expected a relative change such as 0.05 or "5%"'
    : `expected a relative change between 0 and 1 (such as 0.05 or "5%"), got ${describeValue(issue.input)}`;
}

const minEffectSchema = z
  .union([z.number({ error: describeMinEffect }).gt(0).lt(1), z.string({ error: describeMinEffect }).regex(PERCENT_RE)], {
    error: describeMinEffect,
  })
  .transform((raw, ctx) => {
    const value = typeof raw === 'number' ? raw : Number.parseFloat(raw) / 100;
    if (value > 0 && value < 1) return value;
    ctx.addIssue({ code: 'custom', input: raw, message: describeMinEffect({ input: raw }) });
    return z.NEVER;
  })
  .meta({ description: 'smallest relative change that matters: 0.05 or "5%"' });

const profileFields = z
  .strictObject({
    schema: z
      .literal(PROFILE_SCHEMA_VERSION, {
        error: (issue) =>
          issue.input === undefined
            ? `required: expected ${PROFILE_SCHEMA_VERSION}`
            : `expected ${PROFILE_SCHEMA_VERSION} (the only profile schema this kbisect reads), got ${describeValue(issue.input)}`,
      })
      .meta({ description: 'the profile format version' }),
    name: text()
      .regex(NAME_RE, { error: expecting("lowercase letters, digits, '.', '_' and '-' (at most 64)") })
      .meta({ description: "names the profile; not part of its hash (in a team source: the file's name)" }),
    extends: text()
      .optional()
      .meta({ description: 'the profile this one changes: NAME (built-in or imported), SOURCE/NAME or ./NAME (beside this file), optionally @HASH; only the keys given here differ' }),
    description: text()
      .default(profileDefaults.description)
      .transform((s) => s.trim())
      .meta({ description: 'free text; not part of the hash' }),
    topology: topologySchema.meta({
      description: 'guest-to-host: netperf in the guest; host-to-guest: netserver in the guest; guest-to-guest: two guests on one bridge',
    }),
    tests: testsSchema,
    guest: guestSchema,
    nic: nicSchema,
    kernel: kernelSchema,
    sampling: samplingSchema,
    minEffect: minEffectSchema,
    conditions: conditionsSchema.optional(),
  })
  .meta({
    title: 'kbisect measurement profile',
    description: 'What kbisect measures (netperf tests, topology, guest, NIC, kernel options) and how much (sampling, minimum effect).',
  });

// guest.pinning names one host CPU per vCPU of every guest the topology boots.
function checkPinning(rawProfile: unknown, ctx: z.RefinementCtx): void {
  const raw = fieldsOf(rawProfile);
  const guest = fieldsOf(raw.guest);
  const vcpus = vcpusSchema.safeParse(guest.vcpus ?? profileDefaults.guest.vcpus);
  const pinning = pinningSchema.safeParse(guest.pinning);
  if (!vcpus.success || !pinning.success || pinning.data.length === 0) return;
  // an invalid topology is reported on its own; count one guest meanwhile
  const topology = topologySchema.safeParse(raw.topology);
  const guests = topology.success ? guestCount(topology.data) : 1;
  const n = vcpus.data;
  if (pinning.data.length !== n * guests) {
    ctx.addIssue({
      code: 'custom',
      path: ['guest', 'pinning'],
      input: guest.pinning,
      message: `expected ${n * guests} host CPU numbers (${n} vCPU${n > 1 ? 's' : ''} × ${guests} guest${guests > 1 ? 's' : ''}), got ${pinning.data.length}`,
    });
  }
}

// Migration moves the guest between two QEMU processes: netperf must run on the
// host side, where it outlives them (a client guest's console moves with it).
function checkMigrationTopology(rawProfile: unknown, ctx: z.RefinementCtx): void {
  const raw = fieldsOf(rawProfile);
  if (fieldsOf(raw.conditions).migration === undefined || raw.topology === undefined || raw.topology === 'host-to-guest') return;
  ctx.addIssue({
    code: 'custom',
    path: ['conditions', 'migration'],
    input: raw.topology,
    message: `expected topology host-to-guest (netperf on the host side, which outlives both QEMU processes), got ${describeValue(raw.topology)}`,
  });
}

// `extends` was resolved before (app/profiles.ts): the profile itself has no parent.
// Hotplug cycles the NIC between host-side netperf runs: netperf must run outside the guest.
function checkHotplug(rawProfile: unknown, ctx: z.RefinementCtx): void {
  const raw = fieldsOf(rawProfile);
  const conditions = fieldsOf(raw.conditions);
  if (conditions.hotplug === undefined) return;
  if (raw.topology !== undefined && raw.topology !== 'host-to-guest' && raw.topology !== 'external-to-guest') {
    ctx.addIssue({
      code: 'custom',
      path: ['conditions', 'hotplug'],
      input: raw.topology,
      message: `expected topology host-to-guest or external-to-guest (netperf outside the guest, so the NIC can be cycled between runs), got ${describeValue(raw.topology)}`,
    });
  }
}

// VLANs end in kbisect's namespace (a veth port of the bridge whose tc programs
// pop and push the tag); an external peer sits on the bridge untagged and never
// reaches a VLAN address.
function checkVlanTopology(rawProfile: unknown, ctx: z.RefinementCtx): void {
  const raw = fieldsOf(rawProfile);
  const vlans = fieldsOf(raw.nic).vlans;
  if (!Array.isArray(vlans) || vlans.length === 0 || (raw.topology !== 'external-to-guest' && raw.topology !== 'guest-to-external')) return;
  ctx.addIssue({
    code: 'custom',
    path: ['nic', 'vlans'],
    input: raw.topology,
    message: `expected a topology with the host side as peer (the VLANs end in kbisect's namespace; the external peer is on the bridge untagged), got ${describeValue(raw.topology)}`,
  });
}

export const profileSchema = profileFields
  .superRefine(checkPinning, EVERY_PROBLEM)
  .superRefine(checkMigrationTopology, EVERY_PROBLEM)
  .superRefine(checkHotplug, EVERY_PROBLEM)
  .superRefine(checkVlanTopology, EVERY_PROBLEM)
  // an absent (or empty) conditions section leaves no key: the hash of a plain profile stays what it was
  .transform(({ extends: _parent, conditions, ...p }): Profile => (conditions === undefined || Object.keys(conditions).length === 0 ? p : { ...p, conditions }));

// The JSON Schema (draft-07, which editors' YAML plugins read) of a profile as written in YAML.
// A file that `extends` another needs only `schema` and what it changes; its
// fragment lines may add (+) or remove (-) options.
export function buildProfileJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(profileSchema, { io: 'input', target: 'draft-07' }) as Record<string, unknown>;
  const required = (schema.required as string[] | undefined) ?? [];
  const properties = schema.properties as Record<string, { properties?: Record<string, Record<string, unknown>> }>;
  const fragment = properties.kernel?.properties?.fragment;
  if (fragment !== undefined) {
    delete fragment.default;
    fragment.description = 'kernel options, as edits of what the profile inherits (without extends: the guest base, virtio-net, PCI, serial console, initramfs)';
    fragment.items = { type: 'string', pattern: FILE_LINE_PATTERN, description: FILE_LINE_DESCRIPTION };
  }
  // two alternatives of the same object: a profile of its own needs every
  // required key; one that extends another needs only schema and extends
  const { $schema, title, description, definitions, $defs, ...object } = schema;
  return {
    $schema,
    title,
    description,
    ...(definitions === undefined ? {} : { definitions }),
    ...($defs === undefined ? {} : { $defs }),
    anyOf: [
      { ...object, required },
      { ...object, required: ['schema', 'extends'] },
    ],
  };
}
