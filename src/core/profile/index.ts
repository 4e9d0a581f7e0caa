// Measurement profiles: schema, validation, canonical form.
export * from './types.ts';
export { validateProfile } from './validate.ts';
export { canonicalizeProfile, profileToDocument } from './canonical.ts';
