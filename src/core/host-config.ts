// Machine-local settings (~/.config/kbisect/host.yaml): how guests run on
// this host. Never part of a shared profile: the same profile must mean the
// same measurement everywhere, while the accelerator depends on the machine.
import { describeValue } from './errors.ts';
import type { AccelChoice } from './measure/types.ts';

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

const KEYS = ['accel', 'bootTimeoutS', 'probeTimeoutS', 'tcgCpu', 'tcgSkipLapicCalibration'] as const;

// Validates the parsed host.yaml (null/empty = all defaults); returns every problem at once.
export function validateHostConfig(raw: unknown, source: string): { config?: HostConfig; errors: string[] } {
  const errors: string[] = [];
  if (raw === null || raw === undefined) return { config: { ...defaultHostConfig }, errors };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return { errors: [`${source}: expected a mapping of settings, got ${describeValue(raw)}`] };
  }
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!(KEYS as readonly string[]).includes(key)) errors.push(`${source}: ${key}: unknown key (expected one of: ${KEYS.join(', ')})`);
  }
  const config: HostConfig = { ...defaultHostConfig };
  if (o.accel !== undefined) {
    if (o.accel === 'auto' || o.accel === 'kvm' || o.accel === 'tcg') config.accel = o.accel;
    else errors.push(`${source}: accel: expected one of auto, kvm, tcg, got ${describeValue(o.accel)}`);
  }
  for (const key of ['bootTimeoutS', 'probeTimeoutS'] as const) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 3600) config[key] = v;
    else errors.push(`${source}: ${key}: expected a number of seconds between 0 and 3600, got ${describeValue(v)}`);
  }
  if (o.tcgCpu !== undefined) {
    if (typeof o.tcgCpu === 'string' && /^[\w.,=+-]+$/.test(o.tcgCpu)) config.tcgCpu = o.tcgCpu;
    else errors.push(`${source}: tcgCpu: expected a QEMU CPU model such as "max", got ${describeValue(o.tcgCpu)}`);
  }
  if (o.tcgSkipLapicCalibration !== undefined) {
    if (typeof o.tcgSkipLapicCalibration === 'boolean') config.tcgSkipLapicCalibration = o.tcgSkipLapicCalibration;
    else errors.push(`${source}: tcgSkipLapicCalibration: expected true or false, got ${describeValue(o.tcgSkipLapicCalibration)}`);
  }
  return errors.length > 0 ? { errors } : { config, errors };
}
