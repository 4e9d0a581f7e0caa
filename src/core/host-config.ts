// Machine-local settings (~/.config/kbisect/host.yaml): how guests run on
// this host. Never part of a shared profile: the same profile must mean the
// same measurement everywhere, while the accelerator depends on the machine.
import { z } from 'zod';
import type { AccelChoice } from './measure/types.ts';
import { bool, checkSchema, expecting, formatProblem, oneOf } from './schema.ts';

export interface HostConfig {
  // auto: boot probe under KVM once per host and kernel config, TCG if it fails
  accel: AccelChoice;
  // no ready marker within this many seconds = a hung boot
  bootTimeoutS: number;
  // the KVM boot probe's limit
  probeTimeoutS: number;
  // QEMU CPU model under TCG
  tcgCpu: string;
  // TCG only: boot with nolapic_timer (skips ~0.2 s of APIC timer calibration per boot)
  tcgSkipLapicCalibration: boolean;
}

export const defaultHostConfig: HostConfig = { accel: 'auto', bootTimeoutS: 30, probeTimeoutS: 10, tcgCpu: 'max', tcgSkipLapicCalibration: true };

const accelChoices = ['auto', 'kvm', 'tcg'] as const satisfies readonly AccelChoice[];

function seconds(): z.ZodNumber {
  const error = expecting('a number of seconds between 0 and 3600');
  return z.number({ error }).gt(0).lte(3600);
}

function cpuModel(): z.ZodString {
  const error = expecting('a QEMU CPU model such as "max"');
  return z.string({ error }).regex(/^[\w.,=+-]+$/, { error });
}

const hostConfigSchema = z.strictObject(
  {
    accel: oneOf(accelChoices).default(defaultHostConfig.accel),
    bootTimeoutS: seconds().default(defaultHostConfig.bootTimeoutS),
    probeTimeoutS: seconds().default(defaultHostConfig.probeTimeoutS),
    tcgCpu: cpuModel().default(defaultHostConfig.tcgCpu),
    tcgSkipLapicCalibration: bool().default(defaultHostConfig.tcgSkipLapicCalibration),
  },
  { error: expecting('a mapping of settings') },
);

// Validates the parsed host.yaml (null/empty = all defaults); returns every problem at once.
export function validateHostConfig(raw: unknown, source: string): { config?: HostConfig; errors: string[] } {
  const checked = checkSchema(hostConfigSchema, raw ?? {});
  if (!checked.ok) return { errors: checked.problems.map((p) => formatProblem(source, p)) };
  return { config: checked.value, errors: [] };
}
