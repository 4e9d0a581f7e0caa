// The statistics kbisect uses, one concern per file.
export * from './descriptive.ts';
export * from './distributions.ts';
export * from './mann-whitney.ts';
export * from './ks.ts';
export * from './hodges-lehmann.ts';
export * from './bootstrap.ts';
export * from './welch.ts';
export * from './sprt.ts';
export * from './power.ts';
export * from './rank-von-neumann.ts';
export * from './variance-components.ts';
export * from './stratified.ts';
export * from './pitman-morgan.ts';
