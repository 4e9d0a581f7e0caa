// The words and host facts both renderers use, so that the text and the HTML
// report never disagree: kernel mode boots builds, command mode runs a user's
// script on checkouts.
import type { ReportInput, ReportSampling } from './types.ts';

export interface ReportWords {
  // one measurement of a commit: a guest boot, or one run of the user's command
  readonly sample: string;
  readonly samples: string;
  readonly samplesHeading: string;
  // what a commit had to become before it could be measured
  readonly builds: string;
}

const words: Record<NonNullable<ReportInput['mode']>, ReportWords> = {
  kernel: { sample: 'boot', samples: 'boots', samplesHeading: 'Boots', builds: 'builds' },
  command: { sample: 'sample', samples: 'samples', samplesHeading: 'Samples', builds: 'checkouts' },
};

// Kernel mode unless the input says otherwise (reports written before `mode` existed).
export function wordsFor(input: Pick<ReportInput, 'mode'>): ReportWords {
  return words[input.mode ?? 'kernel'];
}

// sampling.adaptive in one line; the reason comes from a log that may be
// another machine's, so it stays on one line whatever it holds.
export function describeSampling(s: ReportSampling): string {
  const runs = `${s.runsPerBoot} run${s.runsPerBoot === 1 ? '' : 's'} a boot${s.warmupRuns > 0 ? ` after ${s.warmupRuns} warm-up` : ''}`;
  return `sampling.adaptive: ${runs} once ${s.endpointBoots[0]} GOOD + ${s.endpointBoots[1]} BAD boots were in: ${s.reason.replace(/[\x00-\x1f\x7f]+/g, ' ')}`;
}

export interface HostDescription {
  readonly fingerprint: string;
  readonly accel: string;
  // why the accelerator matters to the numbers, or '' when there is nothing to say
  readonly accelNote: string;
}

const accelNotes: Record<string, string> = {
  kvm: 'hardware virtualization',
  tcg: 'software emulation: not comparable with KVM results',
  auto: 'not chosen yet: no guest booted',
};

// Which host measured and under which accelerator; n/a in command mode, where no guest runs.
export function describeHost(input: Pick<ReportInput, 'mode' | 'host'>): HostDescription {
  if (input.mode === 'command') return { fingerprint: 'n/a', accel: 'n/a', accelNote: '' };
  const fingerprint = input.host.fingerprint.trim() || 'unknown';
  const accel = input.host.accel.trim() || 'unknown';
  return { fingerprint, accel, accelNote: accelNotes[accel] ?? '' };
}
