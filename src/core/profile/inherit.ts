// Profile inheritance: a file names its parent (`extends`) and says only what
// differs. The resolved profile is the parent's, fully resolved, with the
// file's keys on top: mappings (guest, nic, nic.offloads, sampling, kernel)
// merge key by key, an empty one changes nothing, lists (tests,
// guest.pinning) are replaced whole, and kernel.fragment is edited
// (fragment.ts). name, description and extends belong to the file itself.
import { fieldsOf } from '../schema.ts';

export const EXTENDS_KEY = 'extends';
// Deep enough for any real family of profiles, shallow enough to read in one error message.
export const MAX_EXTENDS_DEPTH = 8;
// What a file says about itself: never inherited.
const OWN_KEYS: ReadonlySet<string> = new Set(['name', 'description', EXTENDS_KEY]);

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Child over parent, key by key in nested mappings. Built with
// Object.fromEntries, so a `__proto__` key stays a key (and is refused as unknown).
function mergeMappings(parent: Record<string, unknown>, child: Record<string, unknown>): Record<string, unknown> {
  const keys = [...Object.keys(parent), ...Object.keys(child).filter((k) => !Object.hasOwn(parent, k))];
  return Object.fromEntries(
    keys.map((key) => {
      const p = Object.hasOwn(parent, key) ? parent[key] : undefined;
      if (!Object.hasOwn(child, key)) return [key, p];
      const c = child[key];
      if (c === null && isMapping(p)) return [key, p];
      if (isMapping(c) && isMapping(p)) return [key, mergeMappings(p, c)];
      return [key, c];
    }),
  );
}

// The document a file resolves to before validation: the parent's document
// (or the implicit root) without its own keys, the file's keys on top.
export function mergeProfileLayer(parent: Record<string, unknown>, rawChild: unknown): Record<string, unknown> {
  const inherited = Object.fromEntries(Object.entries(parent).filter(([k]) => !OWN_KEYS.has(k)));
  const child = Object.fromEntries(Object.entries(fieldsOf(rawChild)).filter(([k]) => k !== EXTENDS_KEY));
  return mergeMappings(inherited, child);
}

// `a → b → c`: how a chain of profiles is named in messages.
export function describeChain(names: readonly string[]): string {
  return names.join(' → ');
}
