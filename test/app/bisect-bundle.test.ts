// Evidence bundles for real, through the CLI a user types: a generic-mode
// bisection on a real git repository packed with `report --bundle`, read with
// `report FILE` by "another machine" (other data and cache dirs, a working
// directory outside any git repository) — byte-identical text, JSON and HTML
// — and restored with `replay --from-bundle` into a clone (same verdict, with
// the same consent rule as a log). A kernel-mode session made from a recorded
// TCG log carries its host fingerprint and kernel .configs. Truncated,
// altered and hostile archives (made with GNU tar where it can make them)
// are refused, each with its message.
import { execFileSync } from 'node:child_process';
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openBundle, reportFromBundle } from '../../src/app/bisect/bundle.ts';
import { openEventLog, recordEvent } from '../../src/app/bisect/record.ts';
import { resetBisection, runBisection, startBisection } from '../../src/app/bisect.ts';
import { defaultResultsPath } from '../../src/app/measure.ts';
import { createContext } from '../../src/cli/context.ts';
import { runCli } from '../../src/cli/index.ts';
import { sha256Hex } from '../../src/adapters/digest.ts';
import { cacheKeyFor, storeEntry } from '../../src/adapters/kernel-cache.ts';
import { sessionPaths } from '../../src/adapters/session-store.ts';
import { BUNDLE_LIMITS } from '../../src/core/bundle/contents.ts';
import { buildManifest, encodeManifest, MANIFEST_NAME } from '../../src/core/bundle/manifest.ts';
import { decodeTar, encodeTar } from '../../src/core/bundle/tar.ts';
import { UserError } from '../../src/core/errors.ts';
import { isolateKbisectDirs, makeBenchRepo, type BenchRepo } from '../helpers/bench-repo.ts';
import { initTestRepo } from '../helpers/git-repo.ts';
import { rawTar } from '../helpers/raw-tar.ts';
import { makeTempDir, removeTempDir, setEnv } from '../helpers/temp-dir.ts';

interface Ran {
  kind: string;
  stdout: string;
  stderr: string;
}

// Runs `kbisect ARGS` in `cwd` (as -C would) and captures what it prints.
async function kbisect(cwd: string, ...args: string[]): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const kind = await runCli(args, createContext((raw) => raw ?? cwd));
    return { kind, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

async function refusedWith(cwd: string, ...args: string[]): Promise<UserError> {
  const error = await kbisect(cwd, ...args).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

let r: BenchRepo;
let restore: () => void;
// every directory a test makes lives under this one, removed at the end
let scratch: string;
const fresh = (prefix: string): string => mkdtempSync(join(scratch, `${prefix}-`));
// "another machine": its own data and cache dirs, and a working directory in no git repository
let elsewhere: string;
let bundle: string;
const original: Record<'text' | 'json' | 'html', string> = { text: '', json: '', html: '' };
let originalKind = '';

function onOtherMachine(): () => void {
  return setEnv({ KBISECT_DATA_DIR: join(elsewhere, 'data'), KBISECT_CACHE_DIR: join(elsewhere, 'cache') });
}

beforeAll(async () => {
  scratch = makeTempDir('bundle-scratch');
  r = makeBenchRepo({ commits: 8, culprit: 5, prefix: 'kbisect-bundle-' });
  restore = isolateKbisectDirs(r.dir);
  elsewhere = makeTempDir('elsewhere');
  await startBisection({ repo: r.repo, good: r.shas[0] as string, bad: r.shas[7] as string, command: 'bash bench.sh', minEffect: 0.05, seed: 3 });
  await runBisection({ repo: r.repo });
  const text = await kbisect(r.repo, 'report');
  original.text = text.stdout;
  originalKind = text.kind;
  original.json = (await kbisect(r.repo, 'report', '--json')).stdout;
  original.html = join(r.dir, 'original.html');
  bundle = join(r.dir, 'evidence.tar.gz');
  const written = await kbisect(r.repo, 'report', '--bundle', bundle, '--html', original.html);
  expect(written.stdout).toBe(original.text);
  expect(written.stderr).toMatch(/kbisect: wrote bundle .*evidence\.tar\.gz: sha256 [0-9a-f]{64}, written .* by kbisect .*; 9 members/);
}, 120_000);

afterAll(async () => {
  await resetBisection(r.repo).catch(() => undefined);
  restore();
  r.remove();
  removeTempDir(elsewhere);
  removeTempDir(scratch);
});

describe('a generic-mode bundle on another machine', () => {
  it('`report FILE` prints the same text and JSON, byte for byte, with no repository; --html writes the page it carries', async () => {
    expect(() => execFileSync('git', ['rev-parse', '--git-dir'], { cwd: elsewhere, stdio: 'pipe' })).toThrow();
    const back = onOtherMachine();
    try {
      const text = await kbisect(elsewhere, 'report', bundle);
      expect(text.stdout).toBe(original.text);
      expect(text.kind).toBe(originalKind);
      expect(text.stderr).toMatch(/kbisect: bundle .*: sha256 [0-9a-f]{64}, written .* by kbisect/);
      expect((await kbisect(elsewhere, 'report', bundle, '--json')).stdout).toBe(original.json);
      const html = join(elsewhere, 'report.html');
      await kbisect(elsewhere, 'report', bundle, '--html', html);
      const carried = decodeTar(gunzipSync(readFileSync(bundle)), BUNDLE_LIMITS, 'b').find((m) => m.name === 'report.html');
      expect(readFileSync(html, 'utf8')).toBe(Buffer.from(carried?.data ?? []).toString());
      // the HTML of the run that wrote the bundle is that page too (one generated-at stamp)
      expect(readFileSync(original.html, 'utf8')).toBe(readFileSync(html, 'utf8'));
    } finally {
      back();
    }
  });

  it('`replay --from-bundle` refuses the command it carries without consent, then restores it with the same verdict', async () => {
    const back = onOtherMachine();
    const clone = join(elsewhere, 'clone');
    try {
      execFileSync('git', ['clone', '-q', r.repo, clone]);
      const refused = await refusedWith(clone, 'replay', '--from-bundle', bundle);
      expect(refused.message).toMatch(/evidence\.tar\.gz carries a command that `kbisect run` would execute for every sample:\n {4}bash bench\.sh/);
      expect(refused.hint).toMatch(/--trust/);
      expect((await refusedWith(clone, 'report')).message).toMatch(/no bisection in progress/);
      const replayed = await kbisect(clone, 'replay', '--from-bundle', bundle, '--trust');
      expect(replayed.kind).toBe('ok');
      expect(replayed.stderr).toMatch(/kbisect: same verdict as the bundle records: culprit [0-9a-f]{12}/);
      expect(replayed.stdout).toBe(original.text);
      expect((await kbisect(clone, 'report', '--json')).stdout).toBe(original.json);
      expect((await refusedWith(clone, 'replay')).message).toMatch(/expected a log file or --from-bundle FILE.tar.gz, got neither/);
      expect((await refusedWith(clone, 'replay', join(elsewhere, 'a.log'), '--from-bundle', bundle)).message).toMatch(/expected a log file or --from-bundle FILE.tar.gz, got both/);
      expect((await refusedWith(clone, 'report', bundle, '--bundle', join(elsewhere, 'x.tar.gz'))).message).toMatch(/got both/);
    } finally {
      back();
    }
  }, 60_000);
});

// A copy of the bundle whose members `change` edits, re-packed (the manifest unchanged unless edited too).
function repack(change: (members: { name: string; data: Uint8Array }[]) => { name: string; data: Uint8Array }[]): string {
  const members = decodeTar(gunzipSync(readFileSync(bundle)), BUNDLE_LIMITS, 'b').map((m) => ({ name: m.name, data: new Uint8Array(m.data) }));
  const file = join(fresh('repacked'), 'b.tar.gz');
  writeFileSync(file, gzipSync(encodeTar(change(members), 0)));
  return file;
}

// A copy whose members `change` edits, with a manifest recomputed to match: what a forger (or a careless editor) could make.
function repackSigned(change: (members: { name: string; data: Uint8Array }[]) => { name: string; data: Uint8Array }[]): string {
  const members = decodeTar(gunzipSync(readFileSync(bundle)), BUNDLE_LIMITS, 'b')
    .filter((m) => m.name !== MANIFEST_NAME)
    .map((m) => ({ name: m.name, data: new Uint8Array(m.data) }));
  const changed = change(members);
  const manifest = buildManifest(changed, { createdAt: '2026-01-01T00:00:00.000Z', kbisectVersion: '9.9.9' }, sha256Hex);
  const file = join(fresh('signed'), 'b.tar.gz');
  writeFileSync(file, gzipSync(encodeTar([{ name: MANIFEST_NAME, data: encodeManifest(manifest) }, ...changed], 0)));
  return file;
}

// An archive made by GNU tar from files laid out by `setUp` in a fresh directory.
function gnuTar(setUp: (dir: string) => void, args: string[]): string {
  const dir = fresh('gnutar');
  mkdirSync(join(dir, 'in'));
  setUp(join(dir, 'in'));
  execFileSync('tar', ['--format=ustar', '-czf', join(dir, 'b.tar.gz'), ...args], { cwd: join(dir, 'in'), stdio: 'pipe' });
  return join(dir, 'b.tar.gz');
}

describe('sums are not signatures: the statistics are re-run', () => {
  it('a re-signed bundle whose report names another culprit: the samples say otherwise, the recomputed report is shown, replay exits 3', async () => {
    const forged = repackSigned((ms) =>
      ms.map((m) => {
        if (m.name !== 'report.json') return m;
        const json = JSON.parse(Buffer.from(m.data).toString()) as { culprit: { sha: string } };
        json.culprit.sha = r.shas[2] as string;
        return { ...m, data: new TextEncoder().encode(`${JSON.stringify(json, null, 2)}\n`) };
      }),
    );
    const s = await reportFromBundle(forged);
    expect(s.warnings.join('\n')).toMatch(
      new RegExp(`the bundle's samples give culprit ${r.shas[5]?.slice(0, 12)} here, but the report it carries \\(kbisect 9\\.9\\.9\\) says culprit ${r.shas[2]?.slice(0, 12)}: shown is the report recomputed here`),
    );
    expect(s.rendered.text).toBe(original.text);
    expect(s.rendered.json).toBe(original.json);
    const back = onOtherMachine();
    try {
      const clone = join(elsewhere, 'forged-clone');
      execFileSync('git', ['clone', '-q', r.repo, clone]);
      const replayed = await kbisect(clone, 'replay', '--from-bundle', forged, '--trust');
      expect(replayed.kind).toBe('inconclusive');
      expect(replayed.stderr).toMatch(/the samples give culprit [0-9a-f]{12}, but the bundle \(kbisect 9\.9\.9\) records culprit [0-9a-f]{12}/);
    } finally {
      back();
    }
  }, 60_000);

  it('a bundle written before a report field existed (no `sampling`): the carried report, with no note of figures that differ', async () => {
    const older = repackSigned((ms) =>
      ms.map((m) => {
        if (m.name !== 'report.json') return m;
        const { sampling: _sampling, ...json } = JSON.parse(Buffer.from(m.data).toString()) as Record<string, unknown>;
        return { ...m, data: new TextEncoder().encode(`${JSON.stringify(json, null, 2)}\n`) };
      }),
    );
    const s = await reportFromBundle(older);
    expect(s.warnings).toEqual([]);
    expect(s.rendered.json).not.toMatch(/"sampling"/);
  });

  it('a re-signed bundle whose figures differ but whose verdict stands: the carried report is shown, with a note', async () => {
    const edited = repackSigned((ms) =>
      ms.map((m) => {
        if (m.name !== 'report.json') return m;
        const json = JSON.parse(Buffer.from(m.data).toString()) as { change: { ratio: number } };
        json.change.ratio *= 1.01;
        return { ...m, data: new TextEncoder().encode(`${JSON.stringify(json, null, 2)}\n`) };
      }),
    );
    const s = await reportFromBundle(edited);
    expect(s.warnings.join('\n')).toMatch(/same verdict here, but some figures differ from the report it carries \(written by kbisect 9\.9\.9, read by .*\): shown is the carried report/);
    expect(s.rendered.json).not.toBe(original.json);
    expect(s.rendered.text).toBe(original.text);
  });
});

describe('a bundle that is not whole, or hostile, is refused with its reason', () => {
  const refused = async (file: string): Promise<string> => {
    const error = await reportFromBundle(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    return (error as UserError).message;
  };

  it('truncated (the file, or the archive inside a whole gzip stream)', async () => {
    const bytes = readFileSync(bundle);
    const cut = join(fresh('cut'), 'b.tar.gz');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    expect(await refused(cut)).toMatch(/expected a complete gzip stream, got one that ends early: the bundle is cut short/);
    const tar = gunzipSync(bytes);
    const cutTar = join(fresh('cut'), 'b.tar.gz');
    writeFileSync(cutTar, gzipSync(tar.subarray(0, 3000)));
    expect(await refused(cutTar)).toMatch(/the archive is cut short inside member/);
  });

  it('a flipped byte (in the gzip stream; in a member, re-packed)', async () => {
    const bytes = Buffer.from(readFileSync(bundle));
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] as number) ^ 0x01;
    const flipped = join(fresh('flip'), 'b.tar.gz');
    writeFileSync(flipped, bytes);
    expect(await refused(flipped)).toMatch(/expected a gzip stream that decodes, got damaged data/);
    const edited = repack((ms) =>
      ms.map((m) => {
        if (m.name !== 'events.jsonl') return m;
        const data = new Uint8Array(m.data);
        const i = Buffer.from(data).indexOf('"runs":[') + 8;
        data[i] = data[i] === 0x39 ? 0x38 : 0x39;
        return { ...m, data };
      }),
    );
    expect(await refused(edited)).toMatch(/member events\.jsonl does not match its checksum \(sha256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}\): it was altered/);
  });

  it('a swapped member (the events of another bisection; two reports swapped)', async () => {
    const other = repack((ms) => ms.map((m) => (m.name === 'events.jsonl' ? { ...m, data: new TextEncoder().encode('') } : m)));
    expect(await refused(other)).toMatch(/member events\.jsonl is 0 bytes, the manifest says \d+: it was altered or cut short/);
    const swapped = repack((ms) => ms.map((m) => (m.name === 'report.txt' ? { ...m, name: 'report.json' } : m.name === 'report.json' ? { ...m, name: 'report.txt' } : m)));
    expect(await refused(swapped)).toMatch(/member report\.(txt|json) is \d+ bytes, the manifest says \d+/);
  });

  it('a path that climbs out, or an absolute one', async () => {
    const climbing = gnuTar((d) => writeFileSync(join(d, '..', 'x'), 'owned'), ['-P', '../x']);
    expect(await refused(climbing)).toMatch(/member "..\/x" has a path that climbs out of the archive \(..\); a bundle holds only plain relative names/);
    const absolute = gnuTar((d) => writeFileSync(join(d, 'f'), 'x'), ['-P', '/etc/hostname']);
    expect(await refused(absolute)).toMatch(/member "\/etc\/hostname" has an absolute path/);
  });

  it('a symlink, a hard link, a device, a directory', async () => {
    const symlink = gnuTar((d) => symlinkSync('/etc/passwd', join(d, 'session.json')), ['session.json']);
    expect(await refused(symlink)).toMatch(/member "session.json" is a symbolic link; a bundle holds only regular files/);
    const hardlink = gnuTar((d) => {
      writeFileSync(join(d, 'a'), 'x');
      linkSync(join(d, 'a'), join(d, 'b'));
    }, ['a', 'b']);
    expect(await refused(hardlink)).toMatch(/member "b" is a hard link/);
    const device = gnuTar(() => undefined, ['-C', '/', 'dev/null']);
    expect(await refused(device)).toMatch(/member "dev\/null" is a character device/);
    const directory = gnuTar((d) => mkdirSync(join(d, 'kernels')), ['kernels']);
    expect(await refused(directory)).toMatch(/member "kernels\/" is a directory; a bundle holds only regular files/);
  });

  it('a name twice (GNU tar --append)', async () => {
    const dir = fresh('dup');
    writeFileSync(join(dir, 'manifest.json'), '{}');
    execFileSync('tar', ['--format=ustar', '-cf', 'b.tar', 'manifest.json'], { cwd: dir });
    writeFileSync(join(dir, 'manifest.json'), '{"evil":true}');
    execFileSync('tar', ['--format=ustar', '-rf', 'b.tar', 'manifest.json'], { cwd: dir });
    copyFileSync(join(dir, 'b.tar'), join(dir, 'copy.tar'));
    writeFileSync(join(dir, 'b.tar.gz'), gzipSync(readFileSync(join(dir, 'copy.tar'))));
    expect(await refused(join(dir, 'b.tar.gz'))).toMatch(/member manifest.json appears twice; a bundle holds each name once/);
  });

  it('a decompression bomb and a member that claims to be huge (within smaller caps; the default cap is proven in test/adapters/bundle.test.ts)', async () => {
    const dir = fresh('bomb');
    const bomb = join(dir, 'bomb.tar.gz');
    writeFileSync(bomb, gzipSync(Buffer.alloc(8 << 20)));
    const limits = { ...BUNDLE_LIMITS, maxUnpackedBytes: 1 << 20, maxMemberBytes: 1 << 20, maxTotalBytes: 1 << 20 };
    await expect(openBundle(bomb, limits)).rejects.toThrow(/expected at most 1 MiB once uncompressed, got more \(a decompression bomb, or not a kbisect bundle\); nothing was kept/);
    const huge = join(dir, 'huge.tar.gz');
    writeFileSync(huge, gzipSync(rawTar([{ name: 'events.jsonl', size: 300 << 20 }])));
    expect(await refused(huge)).toMatch(/member events\.jsonl is 300\.0 MiB, more than the 256\.0 MiB one member may hold/);
  });
});

// The recorded TCG log (test/fixtures/logs): 5 commits, boots of GOOD and BAD under a drifting host.
interface RecordedLog {
  commits: string[];
  events: { at: string; kind: 'boot'; commit: string; runs: number[] }[];
}

describe('a kernel-mode bundle (a session made from a recorded TCG log)', () => {
  let dir: string;
  let back: () => void;
  const HOST = { id: '5e1f0c0ffee0dd11', cpuModel: 'AMD EPYC 7B13', cpuCount: 2, hostKernel: '6.1.0-28-cloud-amd64', qemuVersion: 'QEMU emulator version 7.2.15', netperfVersion: 'Netperf version 2.7.0', accel: 'tcg' as const };

  beforeAll(() => {
    dir = makeTempDir('kernel-bundle');
    back = setEnv({ KBISECT_DATA_DIR: join(dir, 'data'), KBISECT_CACHE_DIR: join(dir, 'cache') });
  });
  afterAll(() => {
    back();
    removeTempDir(dir);
  });

  it('carries the host fingerprint and the .config of every kernel still cached, reports identically elsewhere, replays to the same verdict', async () => {
    const log = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'logs', 'tcg-no-regression.json'), 'utf8')) as RecordedLog;
    const repo = initTestRepo(join(dir, 'linux'));
    const shas = log.commits.map((_, i) => repo.commitFile('net/core/dev.c', `/* ${i} */\n`, `net: change ${i}`));
    const shaOf = new Map(log.commits.map((c, i) => [c, shas[i] as string]));
    await startBisection({ repo: repo.dir, good: shas[0] as string, bad: shas[4] as string, profile: 'demo-guest-tx', minEffect: 0.15, maxBoots: 12, referenceEvery: 2, seed: 1 });
    const imageOf = (sha: string): string => sha256Hex(`bzImage of ${sha}`);
    // the boots as `kbisect run` records them, until the engine is done with them
    const open = await openEventLog(await sessionPaths(repo.dir));
    const bootIndex = new Map<string, number>();
    for (const e of log.events) {
      if (open.state.phase === 'done') break;
      const sha = shaOf.get(e.commit) as string;
      const i = bootIndex.get(sha) ?? 0;
      bootIndex.set(sha, i + 1);
      await recordEvent(open, { kind: 'boot', commit: sha, runs: e.runs }, { source: 'boot', imageHash: imageOf(sha), bootIndex: i, readyMs: 900, host: HOST.id, accel: 'tcg', tests: [{ test: 'stream', metric: 'throughput', unit: 'Mbps', runs: e.runs }] });
    }
    expect(open.state.phase).toBe('done');
    // this host's results store and kernel cache: GOOD's kernel is still cached, BAD's was evicted
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(defaultResultsPath(), `${JSON.stringify({ type: 'boot', schema: 1, key: { imageHash: imageOf(shas[0] as string), profileHash: 'p', hostId: HOST.id }, host: HOST })}\n`);
    const src = join(dir, 'build');
    mkdirSync(src);
    writeFileSync(join(src, 'bzImage'), `bzImage of ${shas[0]}`);
    writeFileSync(join(src, 'vmlinux'), 'elf');
    writeFileSync(join(src, 'config'), '# Linux/x86 6.1.0 Kernel Configuration\nCONFIG_VIRTIO_NET=y\n');
    const key = cacheKeyFor({ sha: shas[0] as string, configHash: 'cfg', toolchainId: 'gcc-12' });
    await storeEntry(
      { version: 1, key, kind: 'built', sha: shas[0] as string, configHash: 'cfg', toolchainId: 'gcc-12', toolchainVersion: 'gcc (Debian 12.2.0-14) 12.2.0', imageHash: imageOf(shas[0] as string), durationMs: 61_000, builtAt: '2026-11-25T16:30:00.000Z' },
      { bzImage: join(src, 'bzImage'), vmlinux: join(src, 'vmlinux'), config: join(src, 'config') },
    );

    const text = await kbisect(repo.dir, 'report');
    const json = await kbisect(repo.dir, 'report', '--json');
    const file = join(dir, 'kernel.tar.gz');
    const written = await kbisect(repo.dir, 'report', '--bundle', file);
    expect(written.stdout).toBe(text.stdout);
    expect(written.stderr).toMatch(/1 of 2 kernel \.config\(s\), 1 host fingerprint\(s\)/);
    expect(written.stderr).toMatch(new RegExp(`kernel ${imageOf(shas[4] as string).slice(0, 12)} \\(${(shas[4] as string).slice(0, 12)}\\): no .config in the bundle: not in the kernel cache`));

    const other = join(dir, 'elsewhere');
    mkdirSync(other);
    const away = setEnv({ KBISECT_DATA_DIR: join(other, 'data'), KBISECT_CACHE_DIR: join(other, 'cache') });
    try {
      const read = await kbisect(other, 'report', file);
      expect(read.stdout).toBe(text.stdout);
      expect(read.stdout).toMatch(/profile demo-guest-tx .* host 5e1f0c0ffee0dd11, accelerator tcg/s);
      expect((await kbisect(other, 'report', file, '--json')).stdout).toBe(json.stdout);
      const opened = await openBundle(file);
      expect(opened.info.hosts).toEqual([{ id: HOST.id, accel: 'tcg', boots: expect.any(Number) as unknown, facts: { cpuModel: 'AMD EPYC 7B13', cpuCount: 2, hostKernel: '6.1.0-28-cloud-amd64', qemuVersion: 'QEMU emulator version 7.2.15', netperfVersion: 'Netperf version 2.7.0' } }]);
      expect(opened.info.kernels.map((k) => [k.commit, k.config !== null, k.build?.toolchainVersion ?? null])).toEqual([
        [shas[4], false, null],
        [shas[0], true, 'gcc (Debian 12.2.0-14) 12.2.0'],
      ]);
      expect(opened.texts.configs.get(imageOf(shas[0] as string))).toMatch(/CONFIG_VIRTIO_NET=y/);
      expect(opened.texts.profileYaml).toMatch(/name: demo-guest-tx/);
      // a kernel session carries no command and no compiler: replay needs no consent
      const clone = join(other, 'linux');
      execFileSync('git', ['clone', '-q', repo.dir, clone]);
      const replayed = await kbisect(clone, 'replay', '--from-bundle', file);
      expect(replayed.stderr).toMatch(/same verdict as the bundle records: no-regression/);
      expect(replayed.stdout).toBe(text.stdout);
    } finally {
      away();
    }
  }, 60_000);
});
