// The statistical bisection engine.
export { apply, createBisection, nextActions, replay, type BisectInput } from './engine.ts';
export { posteriorTable, summarize } from './summary.ts';
export { judgeCommit } from './judge.ts';
export { computeCalibrationLooks, defaultBisectConfig, validateBisectConfig, type BisectConfig, type Direction } from './config.ts';
export type * from './types.ts';
