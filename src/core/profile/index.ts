// Measurement profiles: schema, validation, inheritance, references, canonical form, differences.
export * from './types.ts';
export { defaultTestName, profileDefaults } from './defaults.ts';
export { profileJsonSchema, validateProfile, validateProfileLayer } from './validate.ts';
export { canonicalizeProfile, profileToDocument } from './canonical.ts';
export { guestBaseFragment } from './fragment.ts';
export { describeChain, EXTENDS_KEY, MAX_EXTENDS_DEPTH } from './inherit.ts';
export { diffProfiles, formatProfileDiff, type ProfileDiff, type ProfileDifference } from './diff.ts';
export {
  formatRef,
  isProfileName,
  NAME_RULE,
  parseExtendsRef,
  parseProfileArg,
  PIN_RE,
  PROFILE_NAME_RE,
  qualifiedName,
  type ProfileRef,
  type RefParse,
} from './ref.ts';
