// Measurement profiles: schema, validation, canonical form.
export * from './types.ts';
export { defaultTestName, profileDefaults } from './defaults.ts';
export { profileJsonSchema, validateProfile } from './validate.ts';
export { canonicalizeProfile, profileToDocument } from './canonical.ts';
