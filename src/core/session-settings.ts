// How a bisection measures and judges, resolved from what `start` (and `run`)
// were told plus the profile's defaults: the engine settings, the judged test
// and its unit, the direction. Pure; the defaults live here and nowhere else.
import { defaultBisectConfig, validateBisectConfig, type BisectConfig, type Direction } from './bisect/config.ts';
import type { BisectSession, StartSettings } from './session.ts';

// Real hosts drift (TCG on a shared one by up to 2× within minutes): reference boots are on by default.
export const DEFAULT_REFERENCE_EVERY = 2;
// A generic command that runs longer than this is killed (its whole process group) and counts as a failed sample.
export const DEFAULT_COMMAND_TIMEOUT_S = 1800;

// The `kbisect start` option behind each engine setting, for error messages.
const START_FLAG: Record<string, string> = {
  confidence: '--confidence',
  minEffect: '--min-effect',
  maxBootsPerCommit: '--max-boots',
  referenceEvery: '--reference-every',
  seed: '--seed',
};

export interface JudgedTest {
  name: string;
  metric: string;
  unit: string;
  higherIsBetter: boolean;
}

// What a profile contributes when it is the measurement.
export interface ProfileDefaults {
  minEffect?: number;
  maxBoots?: number;
  referenceEvery?: number;
}

// The engine's direction: which way BAD ("new") moves from GOOD ("old").
export function chooseDirection(higherIsBetter: boolean, improvement: boolean): Direction {
  return higherIsBetter !== improvement ? 'lower-is-worse' : 'higher-is-worse';
}

// The engine settings, or every problem with them named by its `start` option.
export function resolveBisectConfig(
  settings: StartSettings,
  improvement: boolean,
  higherIsBetter: boolean,
  defaults: ProfileDefaults = {},
): { config: BisectConfig; errors: string[] } {
  const minEffect = settings.minEffect ?? defaults.minEffect;
  const maxBoots = settings.maxBoots ?? defaults.maxBoots;
  const { config, errors } = validateBisectConfig({
    ...defaultBisectConfig,
    direction: chooseDirection(higherIsBetter, improvement),
    ...(settings.confidence === undefined ? {} : { confidence: settings.confidence }),
    ...(minEffect === undefined ? {} : { minEffect }),
    ...(maxBoots === undefined ? {} : { maxBootsPerCommit: maxBoots }),
    referenceEvery: settings.referenceEvery ?? defaults.referenceEvery ?? DEFAULT_REFERENCE_EVERY,
    ...(settings.seed === undefined ? {} : { seed: settings.seed }),
  });
  return { config, errors: errors.map(nameStartOption) };
}

// "`maxBootsPerCommit` ..." → "--max-boots ...": users never typed the engine's names.
function nameStartOption(message: string): string {
  let out = message;
  for (const [key, flag] of Object.entries(START_FLAG)) out = out.replace(new RegExp(`\`${key}\`( option)?`, 'g'), `${flag} option`).replace(new RegExp(`\\b${key}\\b`, 'g'), flag);
  return out;
}

// The judged test of any session; a pending one has none yet.
export function judgedTestOf(session: BisectSession): JudgedTest {
  if (session.mode !== 'pending') return session.test;
  return { name: '(not chosen yet)', metric: 'value', unit: 'value', higherIsBetter: session.settings?.higherIsBetter ?? true };
}

// The engine settings of any session; a pending one judges with what `start` was told.
export function configOf(session: BisectSession): BisectConfig {
  if (session.mode !== 'pending') return session.config;
  return resolveBisectConfig(session.settings ?? {}, session.improvement, judgedTestOf(session).higherIsBetter).config;
}
