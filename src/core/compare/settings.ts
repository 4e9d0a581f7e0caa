// The settings of a comparison, validated with the messages of its options,
// and the bisection config they stand for: a comparison is the bisection's
// endpoint calibration (same looks, same tests) asked in both directions.
import { defaultBisectConfig, validateBisectConfig, type BisectConfig, type Direction } from '../bisect/config.ts';
import type { CompareSettings } from './types.ts';

export interface RawCompareSettings {
  readonly seed: number;
  readonly direction: Direction;
  readonly alpha?: number | undefined;
  readonly minEffect?: number | undefined;
  readonly maxBootsPerSide?: number | undefined;
}

// The `kbisect compare` option behind each engine setting, for error messages.
const FLAG: Record<string, string> = {
  minEffect: '--min-effect',
  maxCalibrationBoots: '--max-boots',
  calibrationBoots: '--max-boots',
  seed: '--seed',
};

// Two-sided: the bisection's one-sided calibration α in each direction.
export const DEFAULT_COMPARE_ALPHA = 2 * defaultBisectConfig.calibrationAlpha;

// The bisection config of a comparison: α is split over the two directions
// (Bonferroni), so that "different" either way is wrong at most α of the time.
export function compareConfigOf(settings: CompareSettings): BisectConfig {
  return {
    ...defaultBisectConfig,
    direction: settings.direction,
    minEffect: settings.minEffect,
    calibrationAlpha: settings.alpha / 2,
    calibrationBoots: settings.calibrationBoots,
    maxCalibrationBoots: settings.maxBootsPerSide,
    seed: settings.seed,
    confidence: settings.confidence,
  };
}

// Fills the bisection's defaults and reports every problem at once, named by option.
export function validateCompareSettings(raw: RawCompareSettings): { settings: CompareSettings; errors: string[] } {
  const maxBootsPerSide = raw.maxBootsPerSide ?? defaultBisectConfig.maxCalibrationBoots;
  // each direction gets the bisection's calibration α: "B is worse" means what a bisection's "confirmed" means
  const alpha = raw.alpha ?? DEFAULT_COMPARE_ALPHA;
  const settings: CompareSettings = {
    seed: raw.seed,
    alpha,
    minEffect: raw.minEffect ?? defaultBisectConfig.minEffect,
    // a cap below the bisection's first look moves the first look down to it
    calibrationBoots: Number.isFinite(maxBootsPerSide) ? Math.max(2, Math.min(defaultBisectConfig.calibrationBoots, Math.trunc(maxBootsPerSide))) : defaultBisectConfig.calibrationBoots,
    maxBootsPerSide,
    direction: raw.direction,
    confidence: defaultBisectConfig.confidence,
  };
  const errors: string[] = [];
  if (!(typeof alpha === 'number' && alpha > 0 && alpha < 0.5)) errors.push(`Expected the --alpha option to be a number in (0, 0.5), got \`${String(alpha)}\`.`);
  const checked = validateBisectConfig(compareConfigOf({ ...settings, alpha: errors.length > 0 ? DEFAULT_COMPARE_ALPHA : alpha }));
  for (const message of checked.errors) errors.push(nameOption(message));
  return { settings, errors: [...new Set(errors)] };
}

// "`maxCalibrationBoots` option ..." → "--max-boots option ...": users never typed the engine's names.
function nameOption(message: string): string {
  let out = message;
  for (const [key, flag] of Object.entries(FLAG)) out = out.replace(new RegExp(`\`${key}\`( option)?`, 'g'), `${flag} option`);
  return out;
}
