// Profile validation: takes the parsed YAML (unknown), returns the normalized
// profile with defaults filled in, or every problem at once, each with its
// path: `profiles/x.yaml: nic.queues: expected an integer ≥ 1, got "two"`.
// Returns, never throws (changesets' config validation is the model).
import { describeValue } from '../errors.ts';
import {
  isRequestResponse,
  metrics,
  naturalHigherIsBetter,
  netperfTestTypes,
  nicOffloads,
  PROFILE_SCHEMA_VERSION,
  topologies,
  type Metric,
  type NetperfTestType,
  type NicOffload,
  type Profile,
  type ProfileTest,
  type ProfileValidation,
  type Topology,
} from './types.ts';

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const TEST_NAME_RE = /^[a-z0-9][a-z0-9-]{0,31}$/;
// CONFIG_X=y|n|"string"|number|0xhex, or the `# CONFIG_X is not set` form
const FRAGMENT_RE = /^CONFIG_[A-Z0-9_]+=(y|n|m|"(?:[^"\\]|\\.)*"|-?\d+|0x[0-9a-fA-F]+)$/;
const NOT_SET_RE = /^# CONFIG_([A-Z0-9_]+) is not set$/;
// UDP payload limit over IPv4 (65535 - 20 IP - 8 UDP)
const MAX_UDP_MESSAGE = 65507;

class Problems {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  constructor(private readonly source: string) {}
  error(path: string, message: string): void {
    this.errors.push(`${this.source}: ${path ? `${path}: ` : ''}${message}`);
  }
  warn(path: string, message: string): void {
    this.warnings.push(`${this.source}: ${path ? `${path}: ` : ''}${message}`);
  }
}

function join(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

function isPlainObject(raw: unknown): raw is Record<string, unknown> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw);
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

function suggest(key: string, allowed: readonly string[]): string {
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

// Checks that `raw` is a mapping with only known keys; returns it (or undefined after an error).
function readObject(p: Problems, path: string, raw: unknown, allowed: readonly string[]): Record<string, unknown> | undefined {
  if (!isPlainObject(raw)) {
    p.error(path, `expected a mapping, got ${describeValue(raw)}`);
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) p.error(join(path, key), `unknown key (${suggest(key, allowed)})`);
  }
  return raw;
}

interface IntRange {
  min: number;
  max?: number;
}

function rangeText(r: IntRange): string {
  return r.max === undefined ? `≥ ${r.min}` : `between ${r.min} and ${r.max}`;
}

function readInt(p: Problems, path: string, raw: unknown, range: IntRange, fallback?: number): number | undefined {
  if (raw === undefined) {
    if (fallback !== undefined) return fallback;
    p.error(path, `required: expected an integer ${rangeText(range)}`);
    return undefined;
  }
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < range.min || (range.max !== undefined && raw > range.max)) {
    p.error(path, `expected an integer ${rangeText(range)}, got ${describeValue(raw)}`);
    return undefined;
  }
  return raw;
}

function readBool(p: Problems, path: string, raw: unknown, fallback: boolean): boolean | undefined {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'boolean') {
    p.error(path, `expected true or false, got ${describeValue(raw)}`);
    return undefined;
  }
  return raw;
}

function readString(p: Problems, path: string, raw: unknown, fallback?: string): string | undefined {
  if (raw === undefined) {
    if (fallback !== undefined) return fallback;
    p.error(path, 'required: expected a string');
    return undefined;
  }
  if (typeof raw !== 'string') {
    p.error(path, `expected a string, got ${describeValue(raw)}`);
    return undefined;
  }
  return raw;
}

function readEnum<T extends string>(
  p: Problems,
  path: string,
  raw: unknown,
  allowed: readonly T[],
  fallback?: T,
): T | undefined {
  if (raw === undefined) {
    if (fallback !== undefined) return fallback;
    p.error(path, `required: expected one of ${allowed.join(', ')}`);
    return undefined;
  }
  if (typeof raw !== 'string' || !(allowed as readonly string[]).includes(raw)) {
    p.error(path, `expected one of ${allowed.join(', ')}, got ${describeValue(raw)}`);
    return undefined;
  }
  return raw as T;
}

// minEffect: a fraction (0.05) or a percentage string ("5%").
function readFraction(p: Problems, path: string, raw: unknown): number | undefined {
  let value: number | undefined;
  if (typeof raw === 'number') value = raw;
  else if (typeof raw === 'string' && /^\s*\d+(\.\d+)?\s*%\s*$/.test(raw)) value = Number.parseFloat(raw) / 100;
  if (raw === undefined) {
    p.error(path, 'required: expected a relative change such as 0.05 or "5%"');
    return undefined;
  }
  if (value === undefined || !Number.isFinite(value) || value <= 0 || value >= 1) {
    p.error(path, `expected a relative change between 0 and 1 (such as 0.05 or "5%"), got ${describeValue(raw)}`);
    return undefined;
  }
  return value;
}

function defaultTestName(type: NetperfTestType): string {
  return type.toLowerCase().replace(/_/g, '-');
}

const TEST_KEYS = [
  'name',
  'type',
  'durationS',
  'messageBytes',
  'requestBytes',
  'responseBytes',
  'nodelay',
  'metric',
  'higherIsBetter',
] as const;

function readTest(p: Problems, path: string, raw: unknown): ProfileTest | undefined {
  const o = readObject(p, path, raw, TEST_KEYS);
  if (!o) return undefined;
  const type = readEnum(p, join(path, 'type'), o.type, netperfTestTypes);
  const name = o.name === undefined && type ? defaultTestName(type) : readString(p, join(path, 'name'), o.name);
  if (name !== undefined && !TEST_NAME_RE.test(name)) {
    p.error(join(path, 'name'), `expected lowercase letters, digits and dashes (at most 32), got ${describeValue(name)}`);
  }
  const durationS = readInt(p, join(path, 'durationS'), o.durationS, { min: 1, max: 3600 });
  const nodelay = readBool(p, join(path, 'nodelay'), o.nodelay, false);
  const rr = type !== undefined && isRequestResponse(type);
  const fallbackMetric: Metric | undefined = type === undefined ? undefined : rr ? 'transaction-rate' : 'throughput';
  const metric = readEnum(p, join(path, 'metric'), o.metric, metrics, fallbackMetric);

  const test: Partial<ProfileTest> = {};
  if (type !== undefined) {
    if (rr) {
      if (o.messageBytes !== undefined) {
        p.error(join(path, 'messageBytes'), `applies to stream tests only; ${type} takes requestBytes and responseBytes`);
      }
      const req = readInt(p, join(path, 'requestBytes'), o.requestBytes, { min: 1, max: 1 << 20 }, 1);
      const resp = readInt(p, join(path, 'responseBytes'), o.responseBytes, { min: 1, max: 1 << 20 }, 1);
      if (req !== undefined) test.requestBytes = req;
      if (resp !== undefined) test.responseBytes = resp;
      if (type === 'UDP_RR') {
        for (const [key, v] of [['requestBytes', req], ['responseBytes', resp]] as const) {
          if (v !== undefined && v > MAX_UDP_MESSAGE) p.error(join(path, key), `expected at most ${MAX_UDP_MESSAGE} for UDP_RR, got ${v}`);
        }
      }
    } else {
      for (const key of ['requestBytes', 'responseBytes'] as const) {
        if (o[key] !== undefined) p.error(join(path, key), `applies to request/response tests only; ${type} takes messageBytes`);
      }
      if (o.messageBytes !== undefined && type === 'TCP_MAERTS') {
        p.error(join(path, 'messageBytes'), "TCP_MAERTS: netperf 2.7 has no option for the remote (sending) side's message size");
      } else if (o.messageBytes !== undefined) {
        const max = type === 'UDP_STREAM' ? MAX_UDP_MESSAGE : 1 << 20;
        const m = readInt(p, join(path, 'messageBytes'), o.messageBytes, { min: 1, max });
        if (m !== undefined) test.messageBytes = m;
      } else if (type === 'UDP_STREAM') {
        p.warn(join(path, 'messageBytes'), "not set: netperf's UDP_STREAM default (65507 bytes) fragments every datagram; 1400 is usual");
      }
    }
    if (metric !== undefined && !rr && metric !== 'throughput') {
      p.error(join(path, 'metric'), `${type} measures throughput only (netperf's latency and transaction fields are meaningless for stream tests), got ${describeValue(metric)}`);
    }
  }
  let higherIsBetter: boolean | undefined;
  if (metric !== undefined) {
    const natural = naturalHigherIsBetter(metric);
    higherIsBetter = readBool(p, join(path, 'higherIsBetter'), o.higherIsBetter, natural);
    if (higherIsBetter !== undefined && higherIsBetter !== natural) {
      p.warn(join(path, 'higherIsBetter'), `${higherIsBetter} for ${metric} is the reverse of the usual direction`);
    }
  }
  if (type === undefined || name === undefined || durationS === undefined || nodelay === undefined || metric === undefined || higherIsBetter === undefined) {
    return undefined;
  }
  if (nodelay && type.startsWith('UDP_')) p.warn(join(path, 'nodelay'), 'TCP_NODELAY has no effect on UDP tests');
  return { ...test, name, type, durationS, nodelay, metric, higherIsBetter };
}

function readFragment(p: Problems, path: string, raw: unknown): string[] | undefined {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    p.error(path, `expected a list of CONFIG_X=y lines, got ${describeValue(raw)}`);
    return undefined;
  }
  const lines: string[] = [];
  const seen = new Map<string, { value: string; index: number }>();
  let ok = true;
  raw.forEach((item: unknown, i) => {
    const itemPath = join(path, i);
    if (typeof item !== 'string') {
      p.error(itemPath, `expected a CONFIG_X=value line, got ${describeValue(item)}`);
      ok = false;
      return;
    }
    const line = item.trim();
    const notSet = NOT_SET_RE.exec(line);
    const normalized = notSet ? `CONFIG_${notSet[1] ?? ''}=n` : line;
    if (!FRAGMENT_RE.test(normalized)) {
      p.error(itemPath, `expected CONFIG_NAME=y, =n, ="string" or =number, got ${describeValue(item)}`);
      ok = false;
      return;
    }
    const eq = normalized.indexOf('=');
    const option = normalized.slice(0, eq);
    const value = normalized.slice(eq + 1);
    if (value === 'm') {
      p.error(itemPath, `${option}=m: the guest loads no modules (everything boots from the kernel image); use =y`);
      ok = false;
      return;
    }
    const before = seen.get(option);
    if (before && before.value !== value) {
      p.error(itemPath, `${option} is set to ${value} here and to ${before.value} at ${join(path, before.index)}`);
      ok = false;
      return;
    }
    if (before) {
      p.warn(itemPath, `${option} repeated (same value as ${join(path, before.index)})`);
      return;
    }
    seen.set(option, { value, index: i });
    lines.push(normalized);
  });
  return ok ? lines : undefined;
}

const TOP_KEYS = ['schema', 'name', 'description', 'topology', 'tests', 'guest', 'nic', 'kernel', 'sampling', 'minEffect'] as const;
const GUEST_KEYS = ['vcpus', 'memoryMiB', 'cmdline', 'pinning'] as const;
const NIC_KEYS = ['vhost', 'queues', 'mrgRxbuf', 'offloads'] as const;
const KERNEL_KEYS = ['fragment'] as const;
const SAMPLING_KEYS = ['runsPerBoot', 'warmupRuns', 'minBoots', 'maxBoots', 'referenceEvery'] as const;

// Validates a parsed profile; `source` (a file name) prefixes every message.
export function validateProfile(raw: unknown, source: string): ProfileValidation {
  const p = new Problems(source);
  const top = readObject(p, '', raw, TOP_KEYS);
  if (!top) return { errors: p.errors, warnings: p.warnings };

  if (top.schema === undefined) p.error('schema', `required: expected ${PROFILE_SCHEMA_VERSION}`);
  else if (top.schema !== PROFILE_SCHEMA_VERSION) {
    p.error('schema', `expected ${PROFILE_SCHEMA_VERSION} (the only profile schema this kbisect reads), got ${describeValue(top.schema)}`);
  }
  const name = readString(p, 'name', top.name);
  if (name !== undefined && !NAME_RE.test(name)) {
    p.error('name', `expected lowercase letters, digits, '.', '_' and '-' (at most 64), got ${describeValue(name)}`);
  }
  const description = readString(p, 'description', top.description, '');
  const topology = readEnum<Topology>(p, 'topology', top.topology, topologies);

  // tests
  let tests: ProfileTest[] | undefined;
  if (top.tests === undefined) p.error('tests', 'required: expected a list of netperf tests');
  else if (!Array.isArray(top.tests) || top.tests.length === 0) {
    p.error('tests', `expected a non-empty list of netperf tests, got ${describeValue(top.tests)}`);
  } else {
    const read = top.tests.map((t: unknown, i) => readTest(p, join('tests', i), t));
    const names = new Map<string, number>();
    read.forEach((t, i) => {
      if (!t) return;
      const first = names.get(t.name);
      if (first !== undefined) p.error(join(join('tests', i), 'name'), `${describeValue(t.name)} is already the name of tests[${first}]`);
      else names.set(t.name, i);
    });
    if (read.every((t): t is ProfileTest => t !== undefined)) tests = read;
  }

  // guest
  const g = top.guest === undefined ? {} : readObject(p, 'guest', top.guest, GUEST_KEYS);
  let guest: Profile['guest'] | undefined;
  if (g) {
    const vcpus = readInt(p, 'guest.vcpus', g.vcpus, { min: 1, max: 64 }, 1);
    const memoryMiB = readInt(p, 'guest.memoryMiB', g.memoryMiB, { min: 64, max: 65536 }, 256);
    const cmdline = readString(p, 'guest.cmdline', g.cmdline, '');
    if (cmdline !== undefined) {
      if (/[\n\r]/.test(cmdline)) p.error('guest.cmdline', 'expected one line of kernel parameters, got a line break');
      const reserved = cmdline.split(/\s+/).find((w) => w.startsWith('kbisect.'));
      if (reserved) p.error('guest.cmdline', `${describeValue(reserved)}: kbisect.* parameters are set by kbisect itself`);
      if (cmdline.length > 1024) p.error('guest.cmdline', `expected at most 1024 characters, got ${cmdline.length}`);
    }
    let pinning: number[] | undefined = [];
    if (g.pinning !== undefined) {
      if (!Array.isArray(g.pinning)) {
        p.error('guest.pinning', `expected a list of host CPU numbers (one per vCPU), got ${describeValue(g.pinning)}`);
        pinning = undefined;
      } else {
        const cpus = g.pinning.map((c: unknown, i) => readInt(p, join('guest.pinning', i), c, { min: 0, max: 4095 }));
        pinning = cpus.every((c): c is number => c !== undefined) ? cpus : undefined;
        const guests = topology === 'guest-to-guest' ? 2 : 1;
        if (pinning && vcpus !== undefined && pinning.length > 0 && pinning.length !== vcpus * guests) {
          p.error(
            'guest.pinning',
            `expected ${vcpus * guests} host CPU numbers (${vcpus} vCPU${vcpus > 1 ? 's' : ''} × ${guests} guest${guests > 1 ? 's' : ''}), got ${pinning.length}`,
          );
          pinning = undefined;
        }
      }
    }
    if (vcpus !== undefined && memoryMiB !== undefined && cmdline !== undefined && pinning !== undefined) {
      guest = { vcpus, memoryMiB, cmdline: cmdline.trim().replace(/\s+/g, ' '), pinning };
    }
  }

  // nic
  const n = top.nic === undefined ? {} : readObject(p, 'nic', top.nic, NIC_KEYS);
  let nic: Profile['nic'] | undefined;
  if (n) {
    const vhost = readBool(p, 'nic.vhost', n.vhost, false);
    const queues = readInt(p, 'nic.queues', n.queues, { min: 1, max: 64 }, 1);
    const mrgRxbuf = readBool(p, 'nic.mrgRxbuf', n.mrgRxbuf, true);
    let offloads: Partial<Record<NicOffload, boolean>> | undefined = {};
    if (n.offloads !== undefined) {
      const o = readObject(p, 'nic.offloads', n.offloads, nicOffloads);
      if (!o) offloads = undefined;
      else {
        for (const key of nicOffloads) {
          if (o[key] === undefined) continue;
          const v = readBool(p, join('nic.offloads', key), o[key], true);
          if (v === undefined) offloads = undefined;
          else if (offloads) offloads[key] = v;
        }
        if (Object.keys(o).some((k) => !(nicOffloads as readonly string[]).includes(k))) offloads = undefined;
      }
    }
    if (queues !== undefined && guest && queues > guest.vcpus) {
      p.warn('nic.queues', `${queues} queues with ${guest.vcpus} vCPU(s): the guest uses at most one queue pair per vCPU`);
    }
    if (vhost !== undefined && queues !== undefined && mrgRxbuf !== undefined && offloads !== undefined) {
      nic = { vhost, queues, mrgRxbuf, offloads };
    }
  }

  // kernel
  const k = top.kernel === undefined ? {} : readObject(p, 'kernel', top.kernel, KERNEL_KEYS);
  const fragment = k ? readFragment(p, 'kernel.fragment', k.fragment) : undefined;
  if (fragment && fragment.length === 0) {
    p.warn('kernel.fragment', 'empty: the guest kernel needs at least virtio-net, PCI, an initramfs and a serial console');
  }

  // sampling
  const s = readObject(p, 'sampling', top.sampling ?? {}, SAMPLING_KEYS);
  let sampling: Profile['sampling'] | undefined;
  if (s) {
    const runsPerBoot = readInt(p, 'sampling.runsPerBoot', s.runsPerBoot, { min: 1, max: 1000 }, 5);
    const warmupRuns = readInt(p, 'sampling.warmupRuns', s.warmupRuns, { min: 0, max: 100 }, 1);
    const minBoots = readInt(p, 'sampling.minBoots', s.minBoots, { min: 1, max: 1000 }, 3);
    const maxBoots = readInt(p, 'sampling.maxBoots', s.maxBoots, { min: 1, max: 1000 }, 10);
    const referenceEvery = readInt(p, 'sampling.referenceEvery', s.referenceEvery, { min: 0, max: 1000 }, 2);
    if (minBoots !== undefined && maxBoots !== undefined && maxBoots < minBoots) {
      p.error('sampling.maxBoots', `expected at least sampling.minBoots (${minBoots}), got ${maxBoots}`);
    } else if (runsPerBoot !== undefined && warmupRuns !== undefined && minBoots !== undefined && maxBoots !== undefined && referenceEvery !== undefined) {
      sampling = { runsPerBoot, warmupRuns, minBoots, maxBoots, referenceEvery };
      if (minBoots < 2) p.warn('sampling.minBoots', 'with 1 boot the boot-to-boot variance cannot be estimated');
      if (warmupRuns === 0 && topology !== 'host-to-guest') {
        p.warn('sampling.warmupRuns', "0: a guest's first netperf run per boot is typically ~20 % low");
      }
    }
  }

  const minEffect = readFraction(p, 'minEffect', top.minEffect);

  if (
    p.errors.length > 0 ||
    name === undefined ||
    description === undefined ||
    topology === undefined ||
    tests === undefined ||
    guest === undefined ||
    nic === undefined ||
    fragment === undefined ||
    sampling === undefined ||
    minEffect === undefined
  ) {
    return { errors: p.errors, warnings: p.warnings };
  }
  return {
    profile: {
      schema: PROFILE_SCHEMA_VERSION,
      name,
      description: description.trim(),
      topology,
      tests,
      guest,
      nic,
      kernel: { fragment },
      sampling,
      minEffect,
    },
    errors: [],
    warnings: p.warnings,
  };
}
