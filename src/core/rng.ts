// A seeded pseudo-random generator whose whole state is one JSON number, so
// that an engine state holding it survives JSON.stringify/parse and a run
// replays bit for bit. Algorithm: mulberry32 (Tommy Ettinger, public domain).

export interface Rng {
  /** 32-bit counter; advanced by every draw. */
  state: number;
}

// Seeds are mixed so that nearby seeds (1, 2, 3…) give unrelated streams.
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) {
    throw new TypeError(`Expected the \`seed\` to be a finite number, got \`${seed}\`.`);
  }
  let h = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return { state: (h ^ (h >>> 16)) >>> 0 };
}

// The primitive draw every other helper builds on.
export function nextUint32(rng: Rng): number {
  rng.state = (rng.state + 0x6d2b79f5) >>> 0;
  let t = rng.state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

// Uniform in [0, 1), for probabilities and resampling.
export function nextUniform(rng: Rng): number {
  return nextUint32(rng) / 4294967296;
}

// Uniform integer in [0, n), for picking bootstrap indices.
export function nextInt(rng: Rng, n: number): number {
  return Math.floor(nextUniform(rng) * n);
}

// Standard normal by Box & Muller (1958); the second variate is discarded so
// that the state stays a single counter.
export function nextNormal(rng: Rng): number {
  const u1 = 1 - nextUniform(rng);
  const u2 = nextUniform(rng);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

// Independent child stream, so that one consumer's draws do not shift another's.
export function forkRng(rng: Rng): Rng {
  return createRng(nextUint32(rng));
}
