// ReportInput fixtures for the renderers: one per outcome, over 8 commits with
// real-looking numbers (TCP_RR transactions/s, -7% from commits[5] on).
import type { BisectResult, ChangeEstimate, Step } from '../../../src/core/bisect/types.ts';
import type { CommitInfo, ReportInput } from '../../../src/core/report/types.ts';

export const HOSTILE_SUBJECT = `<script>alert("pwned")</script> & "quoted" 'single' <img src=x onerror=alert(1)></svg></title>`;
export const HOSTILE_AUTHOR = `Eve "<eve@evil.example>" & <b>co</b>`;

const subjects = [
  'virtio_net: refill rx buffers in NAPI',
  'net: sched: tidy qdisc_run',
  'tcp: small queue check once per skb',
  'docs: networking: fix typo',
  'virtio_ring: use a single vring',
  'virtio_net: add udelay(50) per packet in start_xmit',
  'net: core: fold skb_tx_hash',
  'Linux 6.1-rc2',
];

export const commits: readonly CommitInfo[] = subjects.map((subject, i) => ({
  sha: `${(i + 10).toString(16).repeat(8)}${'0123456789abcdef0123456789abcdef'}`.slice(0, 40),
  subject,
  author: 'Ada Netdev',
  date: `2024-01-0${i + 1}T12:00:00Z`,
}));

export const CULPRIT = 5;
const sha = (i: number): string => commits[i]?.sha ?? '';

const level = (i: number): number => (i >= CULPRIT ? 6316 : 6799);
const wobble = [0.012, -0.02, 0.004, 0.017, -0.009, -0.003];
const boots = (i: number, n: number): number[] => Array.from({ length: n }, (_, k) => Math.round(level(i) * (1 + (wobble[k % wobble.length] ?? 0))));

const change: ChangeEstimate = { good: 6799, bad: 6316, ratio: 6316 / 6799, ci: [0.91, 0.948], goodBoots: 6, badBoots: 6 };

function step(i: number, verdict: Step['verdict'], n: number, phase: Step['phase'] = 'bisect', note = ''): Step {
  return { index: i, commit: sha(i), phase, verdict, boots: n, estimate: phase === 'bisect' ? level(i) : level(CULPRIT) / level(0), ci: null, llr: verdict === 'like-bad' ? 3.1 : -3.4, p: null, leader: sha(CULPRIT), leaderProbability: 0.6, note };
}

const baseResult: BisectResult = {
  outcome: 'culprit',
  culprit: { commit: sha(CULPRIT), probability: 0.973 },
  change,
  culpritChange: { ...change, good: 6790, bad: 6320, ratio: 6320 / 6790, ci: [0.905, 0.95] },
  explainsFullChange: true,
  steps: [step(0, 'like-good', 6, 'calibrate', 'GOOD vs BAD: -7.1%'), step(3, 'like-good', 4), step(5, 'like-bad', 4), step(4, 'like-good', 5), step(5, 'like-bad', 6, 'verify')],
  boots: 31,
  builds: 5,
  posterior: [0, 0, 0, 0.01, 0.973, 0.012, 0.005],
  warnings: [],
  seed: 20240101,
};

const baseInput: ReportInput = {
  repo: '/src/linux',
  commits,
  profile: { name: 'virtio-tcp-rr', hash: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' },
  metric: { name: 'netperf.TCP_RR.transaction_rate', unit: 'trans/s', higherIsBetter: true },
  host: { fingerprint: '3f2a9c1d7e5b4a60', accel: 'kvm' },
  result: baseResult,
  bootsByCommit: { [sha(0)]: boots(0, 6), [sha(3)]: boots(3, 4), [sha(4)]: boots(4, 5), [sha(5)]: boots(5, 10), [sha(7)]: boots(7, 6) },
  posteriorHistory: [
    [0.14, 0.14, 0.14, 0.14, 0.15, 0.15, 0.14],
    [0, 0, 0, 0.33, 0.33, 0.34, 0],
    [0, 0, 0, 0.45, 0.55, 0, 0],
    [0, 0, 0, 0.01, 0.973, 0.012, 0.005],
    [0, 0, 0, 0.01, 0.973, 0.012, 0.005],
  ],
  wallMs: 42 * 60_000,
  generatedAt: '2024-02-01T09:30:00Z',
};

export type FixtureName = 'culprit' | 'range' | 'no-regression' | 'inconclusive' | 'running';

// One ReportInput per outcome the engine can end (or pause) in.
export const fixtures: Record<FixtureName, ReportInput> = {
  culprit: baseInput,
  range: {
    ...baseInput,
    result: {
      ...baseResult,
      outcome: 'range',
      culprit: null,
      culpritChange: null,
      explainsFullChange: null,
      range: { first: sha(4), last: sha(6), commits: [sha(4), sha(5), sha(6)], probability: 0.96 },
      warnings: ['commit 0e0e0e0e0e0e does not build: skipped'],
    },
  },
  'no-regression': {
    ...baseInput,
    result: {
      ...baseResult,
      outcome: 'no-regression',
      culprit: null,
      change: { ...change, bad: 6790, ratio: 6790 / 6799, ci: [0.98, 1.02] },
      culpritChange: null,
      explainsFullChange: null,
      steps: [step(0, 'unknown', 12, 'calibrate')],
      posterior: [],
      powerEstimate: { bootsNeeded: 96, bootsPerEndpoint: 48, forEffect: 0.02, power: 0.8 },
      warnings: ['No change between GOOD and BAD was confirmed after 12+12 boots.'],
    },
    posteriorHistory: [],
  },
  inconclusive: {
    ...baseInput,
    result: { ...baseResult, outcome: 'inconclusive', culprit: null, culpritChange: null, explainsFullChange: null, warnings: ['the boot budget (200) is spent'] },
  },
  running: {
    ...baseInput,
    result: { ...baseResult, outcome: 'running', culprit: null, change: null, culpritChange: null, explainsFullChange: null, steps: [], boots: 0, builds: 0, posterior: [] },
    bootsByCommit: {},
    posteriorHistory: [],
    wallMs: null,
  },
};

export interface InjectedText {
  readonly subject: string;
  readonly author: string;
  readonly date: string;
  readonly word: string;
}

export const HOSTILE: InjectedText = { subject: HOSTILE_SUBJECT, author: HOSTILE_AUTHOR, date: '<i>', word: '"><script>x</script>' };
// the benign twin: plain text in the same places, so both reports must have the same markup
export const PLAIN: InjectedText = { subject: 'plain subject', author: 'Plain Author', date: '', word: 'plain' };

// The input with the given text wherever a commit, the repo, the profile, the host or a note can carry it.
export function injectText(input: ReportInput, t: InjectedText): ReportInput {
  return {
    ...input,
    repo: `/src/${t.subject}`,
    commits: input.commits.map((c) => ({ ...c, subject: t.subject, author: t.author, date: `${c.date}${t.date}` })),
    profile: { name: t.subject, hash: input.profile.hash },
    metric: { ...input.metric, unit: t.word },
    host: { fingerprint: t.word, accel: t.word },
    result: {
      ...input.result,
      steps: input.result.steps.map((s) => ({ ...s, note: t.subject })),
      warnings: [...input.result.warnings, t.subject],
    },
  };
}

// The command-mode variant: a user's script on checkouts, no host or accelerator to speak of.
export function makeCommandMode(input: ReportInput): ReportInput {
  return {
    ...input,
    mode: 'command',
    profile: { name: 'command: bash bench.sh', hash: '' },
    metric: { name: 'command.value', unit: 'value', higherIsBetter: true },
    host: { fingerprint: 'n/a', accel: 'n/a' },
  };
}
