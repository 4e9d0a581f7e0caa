import { describe, expect, it } from 'vitest';
import { formatReportText } from '../../../src/core/report/text.ts';
import type { ReportInput } from '../../../src/core/report/types.ts';
import { commits, CULPRIT, fixtures, makeCommandMode, type FixtureName } from './fixtures.ts';

const short = (i: number): string => commits[i]?.sha.slice(0, 12) ?? '?';
const HOST_LINE = '  host 3f2a9c1d7e5b4a60, accelerator kvm (hardware virtualization)';
const GOOD_TO_BAD = 'netperf.TCP_RR.transaction_rate  6799 ±2%  -7.1% [-9.0%, -5.2%]  6316';

describe('formatReportText', () => {
  const cases: [FixtureName, string[], string[]][] = [
    [
      'culprit',
      [
        'kbisect: culprit found',
        'profile virtio-tcp-rr (9f86d081884c), metric netperf.TCP_RR.transaction_rate [trans/s], higher is better',
        HOST_LINE,
        GOOD_TO_BAD,
        'first bad commit (probability 97.3%):',
        `  ${short(CULPRIT)} virtio_net: add udelay(50) per packet in start_xmit (Ada Netdev, 2024-01-06)`,
        // parent → culprit, with its own CI
        '-6.9% [-9.5%, -5.0%]  6320',
        'explains the full GOOD → BAD change',
        `    5 verify    ${short(CULPRIT)} like-bad    6 boots change -7.1%`,
        'total: 5 builds, 31 boots, wall 42.0 min',
      ],
      ['first bad commit is one of', 'warning:'],
    ],
    [
      'range',
      ['kbisect: culprit narrowed to a range', HOST_LINE, GOOD_TO_BAD, 'first bad commit is one of (probability 96.0%):', `  ${short(4)} virtio_ring`, `  ${short(5)} virtio_net: add udelay`, `  ${short(6)} net: core`, 'warning: commit 0e0e0e0e0e0e does not build: skipped'],
      ['first bad commit (probability'],
    ],
    [
      'no-regression',
      ['kbisect: no confirmed regression between GOOD and BAD', HOST_LINE, '-0.1% [-2.0%, +2.0%]', 'to see a change of 2.0% with power 80%: about 48 boots of GOOD and of BAD (96 in all)', 'warning: No change'],
      ['first bad commit'],
    ],
    ['inconclusive', ['kbisect: inconclusive', HOST_LINE, GOOD_TO_BAD, 'warning: the boot budget (200) is spent'], ['first bad commit']],
    ['running', ['kbisect: still running', HOST_LINE, 'total: 0 builds, 0 boots'], ['first bad commit', 'steps:', 'GOOD → BAD', 'wall']],
  ];

  it.each(cases)('%s: names what it found, the change with its CI, the host and the accelerator', (name, present, absent) => {
    const text = formatReportText(fixtures[name]);
    for (const p of present) expect(text, p).toContain(p);
    for (const a of absent) expect(text, a).not.toContain(a);
    expect(text).not.toMatch(/this host|accel auto/);
  });

  it.each([
    ['tcg', 'accelerator tcg (software emulation: not comparable with KVM results)'],
    ['auto', 'accelerator auto (not chosen yet: no guest booted)'],
    ['', 'host 3f2a9c1d7e5b4a60, accelerator unknown'],
  ])('says which accelerator the guests ran under: %j', (accel, line) => {
    expect(formatReportText({ ...fixtures.culprit, host: { fingerprint: '3f2a9c1d7e5b4a60', accel } })).toContain(line);
  });
});

describe('formatReportText in command mode', () => {
  // warnings are the engine's own sentences, not the renderer's words
  const quiet = (input: ReportInput): ReportInput => ({ ...input, result: { ...input.result, warnings: [] } });

  it.each(Object.keys(fixtures) as FixtureName[])('%s: speaks of samples and checkouts, never boots or builds, and of no host', (name) => {
    // a real fingerprint in the input must not leak into a command-mode report
    const text = formatReportText({ ...makeCommandMode(quiet(fixtures[name])), host: { fingerprint: '3f2a9c1d7e5b4a60', accel: 'tcg' } });
    expect(text).not.toMatch(/\bboots?\b|\bbuilds?\b/i);
    expect(text).toMatch(/total: \d+ checkouts, \d+ samples/);
    expect(text).toContain('  host n/a, accelerator n/a\n');
    expect(text).not.toContain('3f2a9c1d7e5b4a60');
  });

  it('counts samples per step and in the power estimate', () => {
    const text = formatReportText(makeCommandMode(fixtures['no-regression']));
    expect(text).toContain('about 48 samples of GOOD and of BAD (96 in all)');
    expect(text).toContain(`    1 calibrate ${short(0)} unknown    12 samples change -7.1%`);
  });

  it('says how many of the boots were reference boots of GOOD/BAD (issue 14), and nothing when there were none', () => {
    const input = fixtures.culprit;
    expect(formatReportText({ ...input, result: { ...input.result, referenceBoots: 7 } })).toContain('total: 5 builds, 31 boots (7 of them reference boots of GOOD/BAD, to follow drift), wall 42.0 min');
    expect(formatReportText({ ...input, result: { ...input.result, referenceBoots: 0 } })).toContain('total: 5 builds, 31 boots, wall 42.0 min');
  });

  it('says what sampling.adaptive decided and why, under the host line, and nothing for a fixed profile', () => {
    const sampling = { runsPerBoot: 1, warmupRuns: 0, endpointBoots: [3, 3] as const, reason: 'GOOD→BAD down by 34.0% or more ends a commit\'s test at its least 2 boots whatever the runs, so a run more buys nothing' };
    const text = formatReportText({ ...fixtures.culprit, sampling });
    expect(text).toContain(`${HOST_LINE}\n  sampling.adaptive: 1 run a boot once 3 GOOD + 3 BAD boots were in: GOOD→BAD down by 34.0%`);
    expect(formatReportText({ ...fixtures.culprit, sampling: { ...sampling, runsPerBoot: 3, warmupRuns: 1 } })).toContain('sampling.adaptive: 3 runs a boot after 1 warm-up once');
    expect(formatReportText(fixtures.culprit)).not.toContain('sampling');
    // the reason is read from a log that may be another machine's: no terminal escapes or line breaks get through
    const hostile = formatReportText({ ...fixtures.culprit, sampling: { ...sampling, reason: 'a\u001b[2J\nb\rc' } });
    expect(hostile).toContain('were in: a [2J b c');
    expect(hostile).not.toMatch(/\u001b/);
  });

  it('is kernel mode when the input does not say (reports from before `mode`)', () => {
    const { mode: _mode, ...legacy } = makeCommandMode(fixtures.culprit);
    expect(formatReportText(legacy)).toContain('total: 5 builds, 31 boots');
  });
});
