// `npm run bench:trace:record`: records, once, on this machine, the real boots
// that `npm run bench:trace` replays. A demo kernel repository (Linux 6.1, one
// commit adds a busy delay per packet in virtio-net's start_xmit) is built at
// every commit, then each commit is booted `--boots` times in randomized block
// order (every round a fresh seeded permutation of the commits), so that host
// drift spreads evenly over the commits instead of aliasing with them. Each
// boot is one `kbisect measure --kernel IMAGE --boots 1 --json --no-store`,
// with its start time, every judged run and the warm-up.
//
// The trace file is rewritten atomically after each boot: Ctrl-C or a crash
// loses at most the boot in flight, and the same command resumes the same
// seeded schedule where it stopped.
//
//   npm run bench:trace:record -- [--out bench/trace/loaded-udelay6.json] [--dir REPO] [--commits 16]
//     [--culprit 11] [--delay-us 6] [--boots 8] [--endpoint-boots 40] [--seed 1] [--profile bench/trace/profile.yaml]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { recordSchedule } from './schedule.ts';
import { parseTrace, type Trace, type TraceBoot } from './trace.ts';

// npm runs scripts in the package's root
const root = process.cwd();
if (!existsSync(join(root, 'package.json'))) throw new Error('run it from the kbisect checkout: npm run bench:trace:record');
const { values: opts } = parseArgs({
  options: {
    out: { type: 'string', default: join(root, 'bench', 'trace', 'loaded-udelay6.json') },
    dir: { type: 'string', default: '/var/cache/kbisect-fixtures/trace-repo' },
    commits: { type: 'string', default: '16' },
    culprit: { type: 'string', default: '11' },
    'delay-us': { type: 'string', default: '6' },
    boots: { type: 'string', default: '8' },
    // boots of GOOD and of BAD each (default: --boots), spread over the rounds
    'endpoint-boots': { type: 'string' },
    seed: { type: 'string', default: '1' },
    profile: { type: 'string', default: join(root, 'bench', 'trace', 'profile.yaml') },
  },
});

const kbisect = join(root, 'dist', 'kbisect.mjs');
if (!existsSync(kbisect)) throw new Error(`${kbisect} not found: npm run build first`);
const say = (text: string): void => void process.stderr.write(`record: ${text}\n`);
const spec = {
  commits: Number(opts.commits),
  culprit: Number(opts.culprit),
  delayUs: Number(opts['delay-us']),
  bootsPerCommit: Number(opts.boots),
  seed: Number(opts.seed),
  // only when asked for: a trace recorded without it resumes with the same spec
  ...(opts['endpoint-boots'] === undefined ? {} : { endpointBoots: Number(opts['endpoint-boots']) }),
};

// the repository (make-demo-repo is reproducible: the same options give the same SHAs)
say(`kernel repo in ${opts.dir}: ${spec.commits} commits, culprit ${spec.culprit}, udelay(${spec.delayUs}) per packet`);
const made = JSON.parse(
  execFileSync('node', [join(root, 'scripts', 'make-demo-repo.mjs'), '--out', opts.dir, '--commits', String(spec.commits), '--culprit', String(spec.culprit), '--delay-us', String(spec.delayUs)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }),
) as { good: string; bad: string; culprit: string; commits: { sha: string; subject: string }[] };
const shas = [made.good, ...made.commits.map((c) => c.sha).filter((s) => s !== made.good)];
if (shas[shas.length - 1] !== made.bad) throw new Error('make-demo-repo: the commits do not end at BAD');
const answer = shas.indexOf(made.culprit);

// what one boot runs: the profile as kbisect resolves it
const shown = JSON.parse(execFileSync('node', [kbisect, 'profile', 'show', opts.profile, '--json'], { encoding: 'utf8' })) as {
  profile: { tests: { durationS: number }[]; sampling: { runsPerBoot: number; warmupRuns: number } };
};
const run = { seconds: shown.profile.tests[0]?.durationS ?? 0, runsPerBoot: shown.profile.sampling.runsPerBoot, warmupRuns: shown.profile.sampling.warmupRuns };

// the schedule: rounds, each a seeded permutation of the commits (and of GOOD's and BAD's extra boots)
const schedule = recordSchedule(shas.length, spec.bootsPerCommit, spec.seed, spec.endpointBoots ?? spec.bootsPerCommit);

// every kernel, built once (the kernel cache keeps them)
say(`building ${shas.length} kernels (cached ones are taken as they are)`);
const built = JSON.parse(execFileSync('node', [kbisect, '-C', opts.dir, 'build', ...shas, '--profile', opts.profile, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 })) as unknown;
const images = imagesOf(built, shas);

const fresh: Trace = {
  kind: 'kbisect-trace',
  version: 1,
  recordedAt: new Date().toISOString(),
  note: 'real boots of a demo kernel range on one host, in randomized block order; replayed by npm run bench:trace',
  spec,
  profile: opts.profile.startsWith(root) ? opts.profile.slice(root.length + 1) : opts.profile,
  run,
  host: hostFacts(),
  commits: shas.map((sha) => ({ sha, subject: made.commits.find((c) => c.sha === sha)?.subject ?? '(GOOD)' })),
  answer,
  boots: [],
};
let trace = fresh;
if (existsSync(opts.out)) {
  const old = parseTrace(JSON.parse(readFileSync(opts.out, 'utf8')) as unknown);
  if (JSON.stringify(old.spec) !== JSON.stringify(spec) || old.commits.map((c) => c.sha).join() !== shas.join()) {
    throw new Error(`${opts.out} holds a trace of another range or schedule; move it away to record a new one`);
  }
  trace = old;
  say(`resuming: ${old.boots.length} of ${schedule.length} boots recorded`);
}

const started = Date.now();
const resumedFrom = trace.boots.length;
for (let k = trace.boots.length; k < schedule.length; k++) {
  const c = schedule[k] as number;
  const at = new Date().toISOString();
  const t0 = Date.now();
  const r = spawnSync('node', [kbisect, 'measure', '--kernel', images[c] as string, '--profile', opts.profile, '--boots', '1', '--json', '--no-store'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.signal === 'SIGINT' || r.status === 130) throw new Error('interrupted');
  const boot = bootOf(r.stdout, c, at, Date.now() - t0, r.stderr);
  trace = { ...trace, boots: [...trace.boots, boot] };
  writeFileSync(`${opts.out}.tmp`, `${JSON.stringify(trace)}\n`);
  renameSync(`${opts.out}.tmp`, opts.out);
  const eta = ((Date.now() - started) / (k + 1 - resumedFrom)) * (schedule.length - k - 1);
  say(`${k + 1}/${schedule.length} commit ${c}: ${boot.failed ?? boot.runs.map((v) => v.toFixed(0)).join(' ')} (${(boot.ms / 1000).toFixed(1)} s; ~${Math.round(eta / 60_000)} min left)`);
}
say(`done: ${opts.out}`);

function imagesOf(raw: unknown, want: string[]): string[] {
  const list = Array.isArray(raw) ? raw : [raw];
  const bySha = new Map<string, string>();
  for (const b of list as { sha?: string; commit?: string; bzImage?: string; kind?: string }[]) {
    const sha = b.sha ?? b.commit;
    if (sha !== undefined && typeof b.bzImage === 'string') bySha.set(sha, b.bzImage);
  }
  return want.map((sha) => {
    const image = bySha.get(sha);
    if (image === undefined) throw new Error(`kbisect build gave no bzImage for ${sha}: ${JSON.stringify(raw).slice(0, 400)}`);
    return image;
  });
}

function bootOf(stdout: string, commit: number, at: string, ms: number, stderr: string): TraceBoot {
  type Measured = { boots?: { kind: string; reason?: string; tests?: { runs: number[]; warmup?: number[] }[] }[] };
  const parsed = ((): Measured | null => {
    try {
      return JSON.parse(stdout) as Measured;
    } catch {
      // no JSON: the measurement failed before any boot
      return null;
    }
  })();
  const b = parsed?.boots?.[0];
  const round3 = (v: number): number => Math.round(v * 1000) / 1000;
  if (b?.kind === 'ok' && b.tests?.[0] !== undefined) {
    return { commit, at, ms, runs: b.tests[0].runs.map(round3), warmup: (b.tests[0].warmup ?? []).map(round3) };
  }
  return { commit, at, ms, runs: [], warmup: [], failed: b?.reason ?? (stderr.trim().split('\n').pop() ?? 'no result').slice(0, 300) };
}

function hostFacts(): Trace['host'] {
  const qemu = spawnSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? '';
  const cpus = readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length;
  return { qemu, cpus, kvm: existsSync('/dev/kvm') };
}
