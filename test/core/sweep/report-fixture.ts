// A SweepReportInput for the sweep renderers: one 40-point TCP_STREAM series
// with a -12% step at point 25 (accepted, bisected to a culprit), a tail
// candidate at 37, a host epoch from point 30, a spike screened out at 12, a
// commit skipped at 18, reference boots against drift, and three alerts
// (culprit, not-reproduced, candidate). Hostile text sits in a subject and in
// the command-mode variant's command.
import type {
  AlertView,
  SeriesBoot,
  SeriesChangePoint,
  SeriesEpoch,
  SeriesPoint,
  SeriesView,
  SweepHost,
  SweepReportInput,
  SweepTest,
} from '../../../src/core/sweep/types.ts';

export const HOSTILE_SUBJECT = `<script>alert(1)</script> "&'`;
export const HOSTILE_COMMAND = `./bench.sh --label "<script>alert(1)</script>" && echo "&'" > /dev/null`;

export const N_POINTS = 40;
export const STEP_AT = 25;
export const EPOCH_AT = 30;
export const SPIKE_AT = 12;
export const SKIPPED_AT = 18;
export const FAILED_ONCE_AT = 33;
export const CANDIDATE_AT = 37;

// Deterministic 40-hex shas, distinct per index.
export function sha(i: number): string {
  return Array.from({ length: 5 }, (_, k) => ((Math.imul(i + 7, 2654435761) ^ Math.imul(k + 1, 40503 * (i + 3))) >>> 0).toString(16).padStart(8, '0')).join('');
}

const SUBJECTS = [
  'net: sched: tidy qdisc_run',
  'tcp: small queue check once per skb',
  'virtio_ring: use a single vring',
  'docs: networking: fix typo in ip-sysctl',
  'vhost: move worker wake-up out of the lock',
  'net: core: fold skb_tx_hash',
  'ipv4: route: avoid a cache line bounce',
  'virtio_net: refill rx buffers in NAPI',
];

export const CULPRIT_SUBJECT = `virtio_net: add per-packet delay ${HOSTILE_SUBJECT}`;
const subjectAt = (i: number): string => (i === STEP_AT ? CULPRIT_SUBJECT : (SUBJECTS[i % SUBJECTS.length] ?? 'misc'));

export const HOST: SweepHost = {
  id: '3f2a9c1d7e5b4a60',
  machine: 'perf-lab-07',
  cpuModel: 'Intel(R) Xeon(R) Gold 6346 CPU @ 3.10GHz',
  hostKernel: '6.1.0-18-amd64',
  qemuVersion: '7.2.9',
  accel: 'kvm',
};
// the host kernel was upgraded: a new fingerprint, the same machine
export const HOST_UPGRADED: SweepHost = { ...HOST, id: 'a1b2c3d4e5f60718', hostKernel: '6.1.0-21-amd64' };

export const TEST: SweepTest = { name: 'TCP_STREAM', metric: 'throughput', unit: 'Mbit/s', higherIsBetter: true };
export const SERIES_KEY = `${HOST.machine}/568adfd9c0e1/TCP_STREAM/throughput`;

const BASE = 9375;
const WOBBLE = [0.011, -0.017, 0.004, 0.015, -0.008];
// the level a commit really has: the step, the candidate's small drop, the host upgrade
const level = (i: number): number => BASE * (i >= STEP_AT ? 0.88 : 1) * (i >= CANDIDATE_AT ? 0.965 : 1) * (i >= EPOCH_AT ? 1.03 : 1);
// what the machine does to every number over time: a slow wander the reference boots track
const drift = (i: number): number => 1 + 0.015 * Math.sin(i / 5);

const runOf = (i: number): number => (i < 20 ? 1 : i < EPOCH_AT ? 2 : 3);
const seqOf = (i: number, k: number): number => runOf(i) * 1e6 + i * 10 + k;
const atOf = (i: number): string => `2024-03-${String(runOf(i)).padStart(2, '0')}T0${Math.floor(i / 10)}:${String((i % 10) * 6).padStart(2, '0')}:00Z`;

function medianOf(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function bootsAt(i: number): SeriesBoot[] {
  if (i === SKIPPED_AT) return [];
  const spike = i === SPIKE_AT ? 1.18 : 1;
  return WOBBLE.map((w, k) => ({ value: Math.round(level(i) * drift(i) * spike * (1 + w * ((i % 3) + 1) * 0.6)), seq: seqOf(i, k), run: runOf(i), at: atOf(i) }));
}

const referenceLevelAt = (i: number): number => Math.round(BASE * drift(i) * (i >= EPOCH_AT ? 1.03 : 1));
const REFERENCE_OVERALL = BASE;

export const points: readonly SeriesPoint[] = Array.from({ length: N_POINTS }, (_, i) => {
  const boots = bootsAt(i);
  const raw = boots.length > 0 ? medianOf(boots.map((b) => b.value)) : null;
  const referenceLevel = raw === null ? null : referenceLevelAt(i);
  return {
    sha: sha(i),
    subject: subjectAt(i),
    author: i === STEP_AT ? 'Eve Hacker <eve@example.org>' : 'Ada Netdev <ada@example.org>',
    date: `2024-02-${String(1 + (i % 28)).padStart(2, '0')}T12:00:00Z`,
    index: i,
    epoch: i >= EPOCH_AT ? 1 : 0,
    boots,
    raw,
    adjusted: raw === null || referenceLevel === null ? null : Math.round((raw * REFERENCE_OVERALL) / referenceLevel),
    referenceLevel,
    failures:
      i === SKIPPED_AT
        ? ['build-failed: drivers/net/virtio_net.c:1234: error: implicit declaration', 'build-failed: retry: same error', 'build-failed: third try: same error']
        : i === FAILED_ONCE_AT
          ? ['boot-failed: guest did not reach userspace within 60 s']
          : [],
    skipped: i === SKIPPED_AT,
    excluded: i === SPIKE_AT,
    isReference: i === 0,
  };
});

// reference boots of commit 0, taken every few commits across the three runs
const referenceBoots: readonly SeriesBoot[] = [0, 6, 13, 19, 24, 29, 31, 35, 39].map((i, k) => ({
  value: Math.round(referenceLevelAt(i) * (1 + (WOBBLE[k % WOBBLE.length] ?? 0) * 0.5)),
  seq: seqOf(i, 7),
  run: runOf(i),
  at: atOf(i),
}));

export const epochs: readonly SeriesEpoch[] = [
  { start: 0, end: EPOCH_AT, reason: 'first', host: HOST, note: '' },
  { start: EPOCH_AT, end: N_POINTS, reason: 'host', host: HOST_UPGRADED, note: 'host kernel 6.1.0-18-amd64 → 6.1.0-21-amd64' },
];

export const changePoints: readonly SeriesChangePoint[] = [
  { kind: 'accepted', direction: 'regression', index: STEP_AT, lastBeforeIndex: 23, firstAfterIndex: 26, relativeChange: -0.12, relativeChangeCi: [-0.135, -0.104], pValue: 2e-9 },
  { kind: 'candidate', direction: 'regression', index: CANDIDATE_AT, lastBeforeIndex: 36, firstAfterIndex: 38, relativeChange: -0.035, relativeChangeCi: [-0.07, 0.001], pValue: 0.021 },
];

export const series: SeriesView = {
  key: SERIES_KEY,
  host: HOST_UPGRADED,
  test: TEST,
  referenceSha: sha(0),
  referenceBoots,
  drift: [
    { hostId: HOST.id, model: 'interpolated', driftP: 1e-5, spread: { none: 0.041, perRun: 0.03, interpolated: 0.012 }, referenceBoots: 20 },
    { hostId: HOST_UPGRADED.id, model: 'none', driftP: 0.4, spread: { none: 0.008, perRun: 0.009, interpolated: 0.011 }, referenceBoots: 8 },
  ],
  points,
  epochs,
  changePoints,
  noiseSigma: 0.0123,
};

const point = (i: number): SeriesPoint => points[i] as SeriesPoint;
const alertId = (l: number, f: number): string => `${SERIES_KEY} ${sha(l)}..${sha(f)}`;

export const CULPRIT_ALERT: AlertView = {
  id: alertId(23, 26),
  seriesKey: SERIES_KEY,
  lastGoodSha: sha(23),
  firstBadSha: sha(26),
  state: 'culprit',
  evidence: { kind: 'accepted', direction: 'regression', relativeChange: -0.12, relativeChangeCi: [-0.135, -0.104], pValue: 2e-9 },
  raisedAt: '2024-03-02T04:10:00Z',
  updatedAt: '2024-03-03T02:00:00Z',
  lastGood: { sha: sha(23), subject: point(23).subject },
  firstBad: { sha: sha(26), subject: point(26).subject, author: point(26).author },
  commitsInRange: 3,
  why: null,
  history: [
    { at: '2024-03-02T04:10:00Z', state: 'candidate', note: 'raised: -12.0% at point 25' },
    { at: '2024-03-02T06:00:00Z', state: 'confirming', note: 'accepted: enough points after the step' },
    { at: '2024-03-02T07:30:00Z', state: 'bisecting', note: 'confirmed: F/L -11.9% [-13.8%, -10.1%]' },
    { at: '2024-03-03T02:00:00Z', state: 'culprit', note: `culprit ${sha(STEP_AT).slice(0, 12)} ${CULPRIT_SUBJECT}` },
  ],
  confirmation: { ratio: 0.881, ci: [0.862, 0.899], p: 3e-6, bootsBefore: 10, bootsAfter: 10, confirmed: true },
  bisection: {
    outcome: 'culprit',
    culprit: { sha: sha(STEP_AT), subject: CULPRIT_SUBJECT, author: 'Eve Hacker <eve@example.org>', probability: 0.973 },
    range: null,
    change: { ratio: 0.879, ci: [0.861, 0.897], before: 9375, after: 8241 },
    boots: 46,
    builds: 3,
    sessionDir: '/var/lib/kbisect/sweeps/nightly-tx/alerts/1',
    summaryText: [
      'kbisect: culprit found',
      '  profile demo-guest-tx (568adfd9c0e1), metric netperf.TCP_STREAM.throughput [Mbit/s], higher is better',
      '',
      'first bad commit (probability 97.3%):',
      `  ${sha(STEP_AT).slice(0, 12)} ${CULPRIT_SUBJECT} (Eve Hacker, 2024-02-26)`,
      '  netperf.TCP_STREAM.throughput  9375 ±2%  -12.1% [-13.9%, -10.3%]  8241 ±2%',
    ].join('\n'),
  },
  before: { sha: sha(23), subject: point(23).subject, mean: 9371, stddevPercent: 1.8, n: 10 },
  after: { sha: sha(26), subject: point(26).subject, mean: 8249, stddevPercent: 2.6, n: 10 },
  reproduce: [
    `kbisect start --profile demo-guest-tx --repo /src/linux ${sha(23).slice(0, 12)} ${sha(26).slice(0, 12)}`,
    'kbisect run --boots 5',
  ],
};

export const NOT_REPRODUCED_ALERT: AlertView = {
  id: alertId(7, 10),
  seriesKey: SERIES_KEY,
  lastGoodSha: sha(7),
  firstBadSha: sha(10),
  state: 'not-reproduced',
  evidence: { kind: 'accepted', direction: 'regression', relativeChange: -0.041, relativeChangeCi: [-0.06, -0.02], pValue: 0.004 },
  raisedAt: '2024-03-01T05:00:00Z',
  updatedAt: '2024-03-01T08:00:00Z',
  lastGood: { sha: sha(7), subject: point(7).subject },
  firstBad: { sha: sha(10), subject: point(10).subject, author: point(10).author },
  commitsInRange: 3,
  why: 'fresh boots of L and F differ by -0.3% [-2.0%, +1.4%], p = 0.62: the step was drift, not a commit',
  history: [
    { at: '2024-03-01T05:00:00Z', state: 'candidate', note: 'raised: -4.1% at point 9' },
    { at: '2024-03-01T06:00:00Z', state: 'confirming', note: 'accepted' },
    { at: '2024-03-01T08:00:00Z', state: 'not-reproduced', note: 'confirmation found no difference' },
  ],
  confirmation: { ratio: 0.997, ci: [0.98, 1.014], p: 0.62, bootsBefore: 8, bootsAfter: 8, confirmed: false },
  bisection: null,
  before: { sha: sha(7), subject: point(7).subject, mean: 9402, stddevPercent: 1.1, n: 8 },
  after: { sha: sha(10), subject: point(10).subject, mean: 9374, stddevPercent: 1.4, n: 8 },
  reproduce: [`kbisect sweep confirm nightly-tx --alert '${alertId(7, 10)}'`],
};

export const CANDIDATE_ALERT: AlertView = {
  id: alertId(36, 38),
  seriesKey: SERIES_KEY,
  lastGoodSha: sha(36),
  firstBadSha: sha(38),
  state: 'candidate',
  evidence: { kind: 'candidate', direction: 'regression', relativeChange: -0.035, relativeChangeCi: [-0.07, 0.001], pValue: 0.021 },
  raisedAt: '2024-03-03T01:00:00Z',
  updatedAt: '2024-03-03T01:00:00Z',
  lastGood: { sha: sha(36), subject: point(36).subject },
  firstBad: { sha: sha(38), subject: point(38).subject, author: point(38).author },
  commitsInRange: 2,
  why: null,
  history: [{ at: '2024-03-03T01:00:00Z', state: 'candidate', note: 'raised: -3.5% at point 37 (tail)' }],
  confirmation: null,
  bisection: null,
  before: { sha: sha(36), subject: point(36).subject, mean: 9478, stddevPercent: 2.2, n: 5 },
  after: { sha: sha(38), subject: point(38).subject, mean: 9139, stddevPercent: 3.1, n: 5 },
  reproduce: [],
};

export const fixture: SweepReportInput = {
  generatedAt: '2024-03-03T06:00:00Z',
  sweep: {
    id: 'nightly-tx',
    repo: '/src/linux',
    branch: 'net-next',
    mode: 'kernel',
    profile: { name: 'demo-guest-tx', hash: '568adfd9c0e1b2a3f4e5d6c7b8a9f0e1d2c3b4a5968778695a4b3c2d1e0f9a8b' },
    command: null,
    test: TEST,
    bootsPerCommit: 5,
  },
  series: [series],
  alerts: [CULPRIT_ALERT, NOT_REPRODUCED_ALERT, CANDIDATE_ALERT],
  runs: [
    { run: 1, startedAt: '2024-03-01T00:00:00Z', finishedAt: '2024-03-01T05:00:00Z', mode: 'range', measured: 20, hostId: HOST.id, head: sha(19) },
    { run: 2, startedAt: '2024-03-02T00:00:00Z', finishedAt: '2024-03-02T04:10:00Z', mode: 'new', measured: 10, hostId: HOST.id, head: sha(29) },
    { run: 3, startedAt: '2024-03-03T00:00:00Z', finishedAt: null, mode: 'new', measured: 10, hostId: HOST_UPGRADED.id, head: sha(39) },
  ],
};

// The same sweep measured by a user's command instead of guest kernels.
export function makeCommandSweep(input: SweepReportInput, command = HOSTILE_COMMAND): SweepReportInput {
  const bare = (h: SweepHost): SweepHost => ({ ...h, qemuVersion: '', accel: 'none' });
  const test: SweepTest = { name: 'command', metric: 'ops', unit: 'ops/s', higherIsBetter: true };
  return {
    ...input,
    sweep: { ...input.sweep, mode: 'command', profile: null, command, test },
    series: input.series.map((s) => ({ ...s, host: bare(s.host), test, epochs: s.epochs.map((e) => ({ ...e, host: bare(e.host) })) })),
  };
}

// The input with `text` in every free-text place (subjects, authors, repo, branch, profile, host, notes, ids, commands).
export function injectSweepText(input: SweepReportInput, text: string): SweepReportInput {
  const withText = <T extends { readonly subject: string }>(c: T): T => ({ ...c, subject: text });
  return {
    ...input,
    generatedAt: `${input.generatedAt}${text}`,
    sweep: {
      ...input.sweep,
      id: text,
      repo: `/src/${text}`,
      branch: text,
      profile: input.sweep.profile ? { name: text, hash: text } : null,
      command: input.sweep.command === null ? null : text,
      test: { ...input.sweep.test, name: text, metric: text, unit: text },
    },
    series: input.series.map((s) => ({
      ...s,
      key: text,
      test: { ...s.test, name: text, metric: text, unit: text },
      host: { ...s.host, id: text, machine: text, cpuModel: text, hostKernel: text, qemuVersion: text },
      points: s.points.map((p) => ({ ...p, subject: text, author: text, failures: p.failures.map(() => text) })),
      epochs: s.epochs.map((e) => ({ ...e, note: e.note ? text : '', host: { ...e.host, id: text, machine: text, cpuModel: text, hostKernel: text } })),
      referenceBoots: s.referenceBoots.map((b) => ({ ...b, at: text })),
    })),
    alerts: input.alerts.map((a) => ({
      ...a,
      id: text,
      seriesKey: text,
      raisedAt: text,
      lastGood: withText(a.lastGood),
      firstBad: { ...withText(a.firstBad), author: text },
      why: a.why === null ? null : text,
      history: a.history.map((h) => ({ ...h, at: text, note: text })),
      before: a.before ? withText(a.before) : null,
      after: a.after ? withText(a.after) : null,
      bisection: a.bisection
        ? { ...a.bisection, culprit: a.bisection.culprit ? { ...a.bisection.culprit, subject: text, author: text } : null, sessionDir: text, summaryText: text }
        : null,
      reproduce: a.reproduce.map(() => text),
    })),
    runs: input.runs.map((r) => ({ ...r, startedAt: text, hostId: r.hostId === null ? null : text })),
  };
}
