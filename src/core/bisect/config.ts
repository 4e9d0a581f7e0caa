// Knobs of a statistical bisection, with defaults tuned on the simulator
// (bench/sim.ts) for netperf in QEMU guests (boot-to-boot CV ≈ 1.7%).
import { z } from 'zod';
import { EVERY_PROBLEM, checkSchema, fieldsOf } from '../schema.ts';

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
  /** Boots per endpoint at the first GOOD/BAD Mann–Whitney look. */
  readonly calibrationBoots: number;
  /** Rules 2: boots per endpoint at the first early (t-test) look; early looks run up to calibrationBoots − 1. */
  readonly firstLookBoots: number;
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
   * host is taken as stationary and no reference boots are taken. Under
   * rules 2 this is the spacing while the host drifts: it doubles (up to
   * maxReferenceEvery) after each reference boot that shows no drift.
   */
  readonly referenceEvery: number;
  /** Widest spacing of reference boots on a host that shows no drift (rules 2; never below referenceEvery). */
  readonly maxReferenceEvery: number;
  /**
   * Revision of the decision rules. 2 (issue 14): early t-test looks at
   * calibration (from firstLookBoots) and verification, verification and the
   * explains-all check within a budget and a futility bound, the pair
   * re-checked after the explains-all check, reference boots spaced out while
   * the host shows no drift. 1: the rules before; settings stored without
   * `rules` were recorded under them and replay under them
   * (report-input.ts), so that an old session's verdict never changes.
   */
  readonly rules: 1 | 2;
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
  firstLookBoots: 3,
  maxCalibrationBoots: 96,
  calibrationAlpha: 0.01,
  verifyBoots: 3,
  maxVerifyBoots: 30,
  referenceEvery: 0,
  maxReferenceEvery: 32,
  rules: 2,
};

// The rules a stored configuration that does not name them was recorded under.
export const LEGACY_RULES: BisectConfig['rules'] = 1;

export interface ConfigValidation {
  readonly config: BisectConfig;
  readonly errors: readonly string[];
}

// execa's shape: "Expected the `timeout` option to be a non-negative integer, got `-1`."
function option(what: string): (issue: { path?: readonly PropertyKey[] | undefined; input?: unknown }) => string {
  return (issue) => `Expected the \`${String(issue.path?.[0])}\` option to be ${what}, got \`${String(issue.input)}\`.`;
}

const number = (what: string): z.ZodNumber => z.number({ error: option(what) });
const int = (what: string): z.ZodInt => z.int({ error: option(what) });

// Pairs of a first look and a cap: the cap may not come before the look.
const LOOK_AND_CAP = [
  ['minBootsPerCommit', 'maxBootsPerCommit'],
  ['calibrationBoots', 'maxCalibrationBoots'],
  ['verifyBoots', 'maxVerifyBoots'],
] as const;

const bisectConfigSchema = z
  .object({
    confidence: number('a number in (0.5, 1)').gt(0.5).lt(1),
    minBootsPerCommit: int('an integer ≥ 1').min(1),
    maxBootsPerCommit: int('an integer ≥ 1').min(1),
    minEffect: number('a number in (0, 1)').gt(0).lt(1),
    maxBuilds: int('an integer ≥ 2').min(2),
    maxBoots: int('an integer ≥ 2').min(2),
    seed: number('a finite number'),
    verdictErrorRate: number('a number in (0, 0.5)').gt(0).lt(0.5),
    calibrationBoots: int('an integer ≥ 2').min(2),
    firstLookBoots: int('an integer ≥ 2').min(2),
    maxCalibrationBoots: int('an integer ≥ 2').min(2),
    calibrationAlpha: number('a number in (0, 0.5)').gt(0).lt(0.5),
    verifyBoots: int('an integer ≥ 2').min(2),
    maxVerifyBoots: int('an integer ≥ 2').min(2),
    referenceEvery: int('an integer ≥ 0 (0: no reference boots)').min(0),
    maxReferenceEvery: int('an integer ≥ 1').min(1),
    rules: z.union([z.literal(1), z.literal(2)], { error: option('1 or 2') }),
    direction: z.enum(['lower-is-worse', 'higher-is-worse'], { error: option('"lower-is-worse" or "higher-is-worse"') }),
  })
  .superRefine((raw, ctx) => {
    const config = fieldsOf(raw);
    for (const [look, cap] of LOOK_AND_CAP) {
      const lo = config[look];
      const hi = config[cap];
      if (typeof lo === 'number' && typeof hi === 'number' && hi < lo) {
        ctx.addIssue({ code: 'custom', input: hi, message: `Expected \`${cap}\` (${hi}) to be at least \`${look}\` (${lo}).` });
      }
    }
  }, EVERY_PROBLEM);

// Fills defaults and reports every problem at once instead of throwing on the first.
export function validateBisectConfig(raw: Partial<BisectConfig>): ConfigValidation {
  const config: BisectConfig = { ...defaultBisectConfig, ...raw };
  const checked = checkSchema(bisectConfigSchema, config);
  return { config, errors: checked.ok ? [] : checked.problems.map((p) => p.message) };
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
