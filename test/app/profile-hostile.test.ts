// Nothing from a shared profile runs code. A hostile value (shell
// metacharacters, option injection) in every string field of a profile is
// either refused when the profile is read, or never reaches a command line;
// every profile field that does reach one (QEMU, the kernel command line,
// netperf in the guest or on the host, taskset) arrives as argv elements
// made of allow-listed characters, and no process is started through a shell.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildNetperfArgs } from '../../src/adapters/netperf.ts';
import { buildQemuArgs } from '../../src/adapters/qemu.ts';
import { importedProfilePath, loadProfile, MAX_PROFILE_BYTES } from '../../src/app/profiles.ts';
import { UserError } from '../../src/core/errors.ts';
import { baseKernelArgs, buildKernelCmdline, encodeGuestJob } from '../../src/core/guest-protocol.ts';
import { planBoot, selectVcpuPinning } from '../../src/core/measure/plan.ts';
import { nicOffloads, validateProfile, type Profile } from '../../src/core/profile/index.ts';
import { useTempDir } from '../helpers/temp-dir.ts';

const tmp = useTempDir('profile-hostile', { env: { KBISECT_CONFIG_DIR: 'config' } });

const PAYLOADS = ['$(touch /tmp/kbisect-pwned)', '`id`', 'a; rm -rf /', 'a && id', 'a | nc x 1', 'a > /etc/x', "a' b", 'a" b', '--help', '-oProxyCommand=id', 'x,script=/bin/sh', 'kbisect.role=shell', 'init=/bin/sh', 'a\nb'];

function base(): Record<string, unknown> {
  return { schema: 1, name: 'x', topology: 'guest-to-host', tests: [{ name: 'rr', type: 'TCP_RR', durationS: 5 }], minEffect: 0.05 };
}

// Every string field of a profile, with the payload put in it.
const FIELDS: [string, (p: string) => Record<string, unknown>][] = [
  ['name', (p) => ({ ...base(), name: p })],
  ['extends', (p) => ({ ...base(), extends: p })],
  ['topology', (p) => ({ ...base(), topology: p })],
  ['tests[0].name', (p) => ({ ...base(), tests: [{ name: p, type: 'TCP_RR', durationS: 5 }] })],
  ['tests[0].type', (p) => ({ ...base(), tests: [{ type: p, durationS: 5 }] })],
  ['tests[0].metric', (p) => ({ ...base(), tests: [{ type: 'TCP_RR', durationS: 5, metric: p }] })],
  ['tests[0].durationS', (p) => ({ ...base(), tests: [{ type: 'TCP_RR', durationS: p }] })],
  ['guest.cmdline', (p) => ({ ...base(), guest: { cmdline: p } })],
  ['nic.offloads key', (p) => ({ ...base(), nic: { offloads: { [p]: true } } })],
  ['kernel.fragment line', (p) => ({ ...base(), kernel: { fragment: [p] } })],
  ['kernel.fragment string value', (p) => ({ ...base(), kernel: { fragment: [`+CONFIG_CMDLINE="${p}"`] } })],
  ['minEffect', (p) => ({ ...base(), minEffect: p })],
];

// The argument vectors a measurement of `profile` starts: QEMU per guest (its
// -append is the kernel command line, with the guest's netperf jobs), host-side netperf, taskset.
function commandLines(profile: Profile): string[][] {
  const plan = planBoot(profile, { hostIp: '10.77.0.1', guestIps: ['10.77.0.2', '10.77.0.3'] }, buildNetperfArgs);
  const lines: string[][] = [];
  plan.guests.forEach((job, index) => {
    const append = buildKernelCmdline(baseKernelArgs('tcg'), { ...job, ip: `10.77.0.${index + 2}`, netmask: '255.255.255.0' }, profile.guest.cmdline);
    lines.push(
      buildQemuArgs({
        name: `kb-b0-g${index}`,
        accel: 'tcg',
        memoryMiB: profile.guest.memoryMiB,
        vcpus: profile.guest.vcpus,
        kernel: '/cache/bzImage',
        initrd: '/run/initrd',
        append,
        nics: [{ tap: `kbt${index}`, mac: '52:54:00:00:00:01', vhost: profile.nic.vhost, queues: profile.nic.queues, mrgRxbuf: profile.nic.mrgRxbuf, offloads: profile.nic.offloads }],
      }),
    );
    lines.push(encodeGuestJob(job));
    for (const cpu of selectVcpuPinning(profile, index)) lines.push(['-p', '-c', String(cpu), '1234']);
  });
  for (const t of profile.tests) lines.push(buildNetperfArgs(t, '10.77.0.2'));
  return lines;
}

// What may appear in an argv element that a profile influenced: no quotes,
// no shell metacharacters, no whitespace but the kernel command line's separators.
const SAFE_ELEMENT = /^[A-Za-z0-9_.,:=+/@%~ -]*$/;

describe('hostile values in every string field', () => {
  it.each(FIELDS.flatMap(([field, put]) => PAYLOADS.map((p) => [field, p, put] as const)))('%s = %j is refused or reaches no command line', (field, payload, put) => {
    const r = validateProfile(put(payload), 'hostile.yaml');
    if (r.profile === undefined) {
      expect(r.errors.length).toBeGreaterThan(0);
      return;
    }
    for (const argv of commandLines(r.profile)) {
      argv.forEach((element, i) => {
        expect(element).toMatch(SAFE_ELEMENT);
        // kernel parameters are the one field meant for a command line: the kernel's, as one QEMU argument
        if (field === 'guest.cmdline' && argv[i - 1] === '-append') expect(element.split(' ')).toContain(payload);
        else expect(element).not.toContain(payload);
      });
    }
  });

  it('keeps free text (the description) off every command line', () => {
    const r = validateProfile({ ...base(), description: PAYLOADS.join(' ') }, 'x');
    expect(r.errors).toEqual([]);
    const all = commandLines(r.profile as Profile).flat();
    for (const p of PAYLOADS) expect(all.join('\n')).not.toContain(p);
  });

  it('passes allow-listed values as separate argv elements', () => {
    const r = validateProfile(
      {
        ...base(),
        topology: 'guest-to-guest',
        tests: [{ name: 'rr', type: 'TCP_RR', durationS: 5, requestBytes: 64, responseBytes: 128, nodelay: true }],
        guest: { vcpus: 2, memoryMiB: 512, cmdline: 'mitigations=off isolcpus=1-3 virtio_net.napi_tx=1', pinning: [0, 1, 2, 3] },
        nic: { vhost: true, queues: 2, mrgRxbuf: false, offloads: Object.fromEntries(nicOffloads.map((o) => [o, false])) },
      },
      'x',
    );
    expect(r.errors).toEqual([]);
    const lines = commandLines(r.profile as Profile);
    for (const argv of lines) for (const element of argv) expect(element).toMatch(SAFE_ELEMENT);
    const qemu = lines[0] ?? [];
    expect(qemu[qemu.indexOf('-append') + 1]).toContain(' mitigations=off isolcpus=1-3 virtio_net.napi_tx=1 kbisect.role=server');
    expect(qemu).toEqual(expect.arrayContaining(['-m', '512', '-smp', '2']));
    expect(lines.at(-1)).toEqual(['-4', '-H', '10.77.0.2', '-t', 'TCP_RR', '-l', '5', '-P', '0', '-j', '--', '-o', expect.any(String) as unknown, '-r', '64,128', '-D']);
  });

  it.each([
    ['quotes', 'acpi_osi="!Windows 2012"', /expected kernel parameters made of letters/],
    ['a command substitution', 'x=$(id)', /expected kernel parameters made of letters/],
    ['another init', 'rdinit=/bin/sh', /"rdinit=\/bin\/sh": kbisect's guest runs its own \/init/],
    ['another console', 'console=ttyS1', /kbisect's guest runs its own \/init on its own console/],
    ['the end of parameters', 'quiet -- x', /a word starting with "-" ends the kernel parameters/],
    ['a quoted kbisect word', '"kbisect.role=shell"', /expected kernel parameters made of letters/],
    ["a variable for /init's environment", 'quiet PATH=/tmp', /"PATH=\/tmp": an upper-case name would become an environment variable of kbisect's \/init/],
  ])('refuses a kernel command line with %s', (_what, cmdline, message) => {
    expect(validateProfile({ ...base(), guest: { cmdline } }, 'x').errors.join('\n')).toMatch(message);
  });
});

describe('no shell', () => {
  // every child process goes through adapters/exec.ts, as an argv, never with execa's shell option
  it('starts no process through a shell (no `shell:` option anywhere in src/)', () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith('.ts')) files.push(path);
      }
    };
    walk(join(import.meta.dirname, '..', '..', 'src'));
    const offenders = files.filter((f) => /\bshell\s*:\s*(true|['"`])/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});

describe('hostile files', () => {
  it.each(['../x', '../../etc/passwd', '/etc/passwd', 'a/b', '..', '.hidden', 'a\0b'])('keeps the imported-profile name %j inside its directory', (name) => {
    expect(() => importedProfilePath(name)).toThrow(UserError);
  });

  it('refuses an alias bomb, merge keys and custom tags, and a file over the size cap', async () => {
    const laughs = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`)];
    const cases: [string, string, RegExp][] = [
      ['bomb.yaml', `schema: 1\nname: bomb\n${laughs.join('\n')}\n`, /not valid YAML: .*Excessive alias count/],
      ['merge.yaml', 'schema: 1\nname: m\nbase: &b {vcpus: 2}\nguest:\n  <<: *b\n', /<<: unknown key/],
      ['tag.yaml', 'schema: 1\nname: t\ndescription: !!js/function "function () {}"\n', /not valid YAML: .*tag/i],
      ['huge.yaml', `schema: 1\nname: h\n# ${'x'.repeat(MAX_PROFILE_BYTES)}\n`, /expected a profile of at most 262144 bytes/],
    ];
    for (const [file, text, message] of cases) {
      const path = join(tmp.path, file);
      writeFileSync(path, text);
      const started = Date.now();
      const error = await loadProfile(path).catch((e: unknown) => e);
      expect(error, file).toBeInstanceOf(UserError);
      expect((error as Error).message, file).toMatch(message);
      expect(Date.now() - started, file).toBeLessThan(2000);
    }
  });
});
