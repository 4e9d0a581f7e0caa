// Knobs of a statistical bisection, with defaults tuned on the simulator
// (bench/sim.ts) for netperf in QEMU guests (boot-to-boot CV ≈ 1.7%).

export type Direction = 'lower-is-worse' | 'higher-is-worse';

export interface BisectConfig {
  /** Posterior probability the named commit must reach. */
  readonly confidence: number;
  /** Throughput regresses downwards, latency upwards. */
  readonly direction: Direction;
  /** Boots before a commit's sequential test may stop. */
  readonly minBootsPerCommit: number;
  /** Boots of one sequential test after which a still undecided commit is judged unknown. */
  readonly maxBootsPerCommit: number;
  /** Smallest relative change the user cares about (0.02 = 2%). */
  readonly minEffect: number;
  /** Distinct commits the engine may ask to build, GOOD and BAD included. */
  readonly maxBuilds: number;
  /** Boots in all, after which the bisection stops with what it has. */
  readonly maxBoots: number;
  /** Seed of every random choice (interleaving order, bootstrap). */
  readonly seed: number;
  /** α = β of each commit's SPRT. */
  readonly verdictErrorRate: number;
  /** Boots per endpoint at the first GOOD/BAD look. */
  readonly calibrationBoots: number;
  /** Boots per endpoint after which calibration gives up. */
  readonly maxCalibrationBoots: number;
  /** Family-wise error of confirming a GOOD→BAD change that is not there. */
  readonly calibrationAlpha: number;
  /** Fresh interleaved boots per side (parent, culprit) at the first verification look. */
  readonly verifyBoots: number;
  /** Fresh boots per side after which verification gives up. */
  readonly maxVerifyBoots: number;
  /**
   * Once bisecting, boot GOOD or BAD again (alternately) whenever this many
   * boots of other commits came after the last endpoint boot, and judge every
   * boot against the endpoint boots nearest to it in time (drift.ts). 0: the
   * host is taken as stationary and no reference boots are taken.
   */
  readonly referenceEvery: number;
}

export const defaultBisectConfig: BisectConfig = {
  confidence: 0.95,
  direction: 'lower-is-worse',
  minBootsPerCommit: 2,
  maxBootsPerCommit: 40,
  minEffect: 0.02,
  maxBuilds: 60,
  maxBoots: 2000,
  seed: 1,
  verdictErrorRate: 0.01,
  calibrationBoots: 6,
  maxCalibrationBoots: 96,
  calibrationAlpha: 0.01,
  verifyBoots: 3,
  maxVerifyBoots: 30,
  referenceEvery: 0,
};

export interface ConfigValidation {
  readonly config: BisectConfig;
  readonly errors: readonly string[];
}

type NumericKey = { [K in keyof BisectConfig]: BisectConfig[K] extends number ? K : never }[keyof BisectConfig];

const RULES: readonly (readonly [NumericKey, string, (v: number) => boolean])[] = [
  ['confidence', 'a number in (0.5, 1)', (v) => v > 0.5 && v < 1],
  ['minBootsPerCommit', 'an integer ≥ 1', (v) => Number.isInteger(v) && v >= 1],
  ['maxBootsPerCommit', 'an integer ≥ 1', (v) => Number.isInteger(v) && v >= 1],
  ['minEffect', 'a number in (0, 1)', (v) => v > 0 && v < 1],
  ['maxBuilds', 'an integer ≥ 2', (v) => Number.isInteger(v) && v >= 2],
  ['maxBoots', 'an integer ≥ 2', (v) => Number.isInteger(v) && v >= 2],
  ['seed', 'a finite number', (v) => Number.isFinite(v)],
  ['verdictErrorRate', 'a number in (0, 0.5)', (v) => v > 0 && v < 0.5],
  ['calibrationBoots', 'an integer ≥ 2', (v) => Number.isInteger(v) && v >= 2],
  ['maxCalibrationBoots', 'an integer ≥ 2', (v) => Number.isInteger(v) && v >= 2],
  ['calibrationAlpha', 'a number in (0, 0.5)', (v) => v > 0 && v < 0.5],
  ['verifyBoots', 'an integer ≥ 2', (v) => Number.isInteger(v) && v >= 2],
  ['maxVerifyBoots', 'an integer ≥ 2', (v) => Number.isInteger(v) && v >= 2],
  ['referenceEvery', 'an integer ≥ 0 (0: no reference boots)', (v) => Number.isInteger(v) && v >= 0],
];

// Fills defaults and reports every problem at once instead of throwing on the first.
export function validateBisectConfig(raw: Partial<BisectConfig>): ConfigValidation {
  const config: BisectConfig = { ...defaultBisectConfig, ...raw };
  const errors: string[] = [];
  for (const [key, expected, isValid] of RULES) {
    const value = config[key];
    if (typeof value !== 'number' || !isValid(value)) {
      errors.push(`Expected the \`${key}\` option to be ${expected}, got \`${String(value)}\`.`);
    }
  }
  if (config.direction !== 'lower-is-worse' && config.direction !== 'higher-is-worse') {
    errors.push(`Expected the \`direction\` option to be "lower-is-worse" or "higher-is-worse", got \`${String(config.direction)}\`.`);
  }
  if (config.maxBootsPerCommit < config.minBootsPerCommit) {
    errors.push(`Expected \`maxBootsPerCommit\` (${config.maxBootsPerCommit}) to be at least \`minBootsPerCommit\` (${config.minBootsPerCommit}).`);
  }
  if (config.maxCalibrationBoots < config.calibrationBoots) {
    errors.push(`Expected \`maxCalibrationBoots\` (${config.maxCalibrationBoots}) to be at least \`calibrationBoots\` (${config.calibrationBoots}).`);
  }
  if (config.maxVerifyBoots < config.verifyBoots) {
    errors.push(`Expected \`maxVerifyBoots\` (${config.maxVerifyBoots}) to be at least \`verifyBoots\` (${config.verifyBoots}).`);
  }
  return { config, errors };
}

// Per-endpoint boot counts at which calibration looks at the data: ×1.5 each
// time, so that a large change is confirmed early and a small one still can be.
export function computeCalibrationLooks(config: BisectConfig): number[] {
  const looks: number[] = [];
  let n = config.calibrationBoots;
  while (n < config.maxCalibrationBoots) {
    looks.push(n);
    n = Math.max(n + 1, Math.round(n * 1.5));
  }
  looks.push(config.maxCalibrationBoots);
  return looks;
}
