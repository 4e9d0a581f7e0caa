// One formatter per quantity, shared by the terminal output, the reports and
// the app's messages: numbers, throughput, transaction rate, latency,
// durations and percentages. Pure.
import { normalizeUnit, UNITS } from './units.ts';

// 4 significant digits, no exponent for the usual magnitudes.
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 1000) return n.toFixed(0);
  if (abs >= 100) return n.toFixed(1);
  if (abs >= 10) return n.toFixed(2);
  return n.toFixed(3);
}

// "942.1 Mbit/s"
export function formatThroughput(mbitPerS: number): string {
  return `${formatNumber(mbitPerS)} ${UNITS.throughput}`;
}

// "5908 trans/s"
export function formatRate(transPerS: number): string {
  return `${formatNumber(transPerS)} ${UNITS.rate}`;
}

// "171.0 us"
export function formatLatency(us: number): string {
  return `${formatNumber(us)} ${UNITS.latency}`;
}

// A measured value whose unit is data (a test's samples, a stored record):
// the formatter of its quantity, or the number and the unit as given.
export function formatMeasurement(value: number, unit: string): string {
  const name = normalizeUnit(unit);
  switch (name) {
    case UNITS.throughput:
      return formatThroughput(value);
    case UNITS.rate:
      return formatRate(value);
    case UNITS.latency:
      return formatLatency(value);
    default:
      return name === '' ? formatNumber(value) : `${formatNumber(value)} ${name}`;
  }
}

// "0.81 s", "4.8 s", "26 s", "3m24s", "2h05m": two significant digits, or minutes.
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  const abs = Math.abs(ms);
  if (abs < 995) return `${(ms / 1000).toFixed(2)} s`;
  if (abs < 9_950) return `${(ms / 1000).toFixed(1)} s`;
  if (abs < 59_500) return `${(ms / 1000).toFixed(0)} s`;
  const totalS = Math.round(ms / 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (totalS < 3600) return `${Math.floor(totalS / 60)}m${pad(totalS % 60)}s`;
  return `${Math.floor(totalS / 3600)}h${pad(Math.floor(totalS / 60) % 60)}m`;
}

// A fraction as a percentage: 0.123 -> "12.3%"; `signed` for changes ("+1.2%", "-3.4%").
export function formatPercent(fraction: number, opts: { signed?: boolean; digits?: number } = {}): string {
  if (!Number.isFinite(fraction)) return 'n/a';
  const sign = opts.signed === true && fraction >= 0 ? '+' : '';
  return `${sign}${(fraction * 100).toFixed(opts.digits ?? 1)}%`;
}

// `qemu-system-x86_64 --version`'s first line as a short label: "QEMU 7.2.22".
export function formatQemuVersion(version: string): string {
  const v = version.trim().replace(/^QEMU emulator version\s+/i, '');
  return /^qemu\b/i.test(v) ? v : `QEMU ${v}`;
}
