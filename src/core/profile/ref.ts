// Profile references as users and files write them: `tcp-rr` (built-in or
// imported), `team/tcp-rr` (from a profile source), `./sibling` (in `extends`:
// next to the profile that names it), a path (command line only), each with
// an optional `@568adfd9` pin on the content hash. Every name is checked here,
// so that none can leave its directory (`../x`, `/etc/x`, a NUL byte).
import { describeValue } from '../errors.ts';

// A profile's (and a source's) name: also its file name, so no '/', no leading '.'.
export const PROFILE_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const NAME_RULE = "lowercase letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64";
// A pin: at least 8 hex digits of the sha256 content hash (git's short-id habit).
export const PIN_RE = /^[0-9a-f]{8,64}$/;
const MAX_REF_CHARS = 4096;

export type ProfileRef =
  // built-in or imported
  | { kind: 'name'; name: string; pin?: string }
  // `SOURCE/NAME`: a profile of a team source
  | { kind: 'source'; source: string; name: string; pin?: string }
  // `./NAME` in `extends`: the profile of that name beside the one that names it
  | { kind: 'sibling'; name: string; pin?: string }
  // a YAML file (command line only)
  | { kind: 'path'; path: string; pin?: string };

export type RefParse = { ok: true; ref: ProfileRef } | { ok: false; message: string };

// A name that is also a safe file name (no '/', no leading '.').
export function isProfileName(name: string): boolean {
  return PROFILE_NAME_RE.test(name);
}

// `team/tcp-rr` for a source profile, the bare name otherwise.
export function qualifiedName(source: string | null, name: string): string {
  return source === null ? name : `${source}/${name}`;
}

// Splits `REF@PIN`; an `@` followed by something other than hex is left in the reference.
function splitPin(raw: string): { base: string; pin?: string } | { error: string } {
  const at = raw.lastIndexOf('@');
  if (at < 0) return { base: raw };
  const pin = raw.slice(at + 1);
  const base = raw.slice(0, at);
  if (PIN_RE.test(pin)) return { base, pin };
  // a path may contain '@' (user@host/x.yaml); a name never does
  if (/^[0-9a-fA-F]*$/.test(pin)) {
    return { error: `expected @ followed by 8 to 64 lowercase hex digits of the profile's content hash, got ${describeValue(`@${pin}`)}` };
  }
  return { base: raw };
}

function withPin<T extends ProfileRef>(ref: T, pin: string | undefined): T {
  return pin === undefined ? ref : { ...ref, pin };
}

// A command-line profile argument: a name, SOURCE/NAME, or a path (a leading
// / . or ~, a .yaml ending, or more than one '/'); any of them @PIN.
export function parseProfileArg(raw: string): RefParse {
  if (raw.includes('\0')) return { ok: false, message: `expected a profile name or a path to a YAML file, got ${describeValue(raw)} with a NUL byte` };
  if (raw.length > MAX_REF_CHARS) return { ok: false, message: `expected a profile name or a path, got ${raw.length} characters` };
  const split = splitPin(raw);
  if ('error' in split) return { ok: false, message: split.error };
  const { base, pin } = split;
  if (base === '') return { ok: false, message: `expected a profile name (kbisect profile list) or a path to a YAML file, got ${describeValue(raw)}` };
  const parts = base.split('/');
  const pathLike = /^[/.~]/.test(base) || /\.ya?ml$/i.test(base) || parts.length > 2;
  if (!pathLike) {
    if (parts.length === 1 && isProfileName(base)) return { ok: true, ref: withPin({ kind: 'name', name: base }, pin) };
    const [source = '', name = ''] = parts;
    if (parts.length === 2 && isProfileName(source) && isProfileName(name)) return { ok: true, ref: withPin({ kind: 'source', source, name }, pin) };
    if (parts.length === 1) {
      return { ok: false, message: `expected a profile name: ${NAME_RULE}; SOURCE/NAME; or a path to a YAML file, got ${describeValue(raw)}` };
    }
  }
  return { ok: true, ref: withPin({ kind: 'path', path: base }, pin) };
}

// The value of an `extends:` key: NAME, SOURCE/NAME or ./NAME, optionally @PIN; never a path.
export function parseExtendsRef(raw: unknown): RefParse {
  const expected = 'a profile name (tcp-rr), SOURCE/NAME (team/tcp-rr) or ./NAME (a profile beside this one), optionally @HASH';
  if (typeof raw !== 'string') return { ok: false, message: `expected ${expected}, got ${describeValue(raw)}` };
  if (raw.length > 200 || raw.includes('\0')) return { ok: false, message: `expected ${expected}, got ${raw.length} characters${raw.includes('\0') ? ' with a NUL byte' : ''}` };
  const split = splitPin(raw);
  if ('error' in split) return { ok: false, message: split.error };
  const { base, pin } = split;
  if (base.startsWith('./') && isProfileName(base.slice(2))) return { ok: true, ref: withPin({ kind: 'sibling', name: base.slice(2) }, pin) };
  if (isProfileName(base)) return { ok: true, ref: withPin({ kind: 'name', name: base }, pin) };
  const parts = base.split('/');
  const [source = '', name = ''] = parts;
  if (parts.length === 2 && isProfileName(source) && isProfileName(name)) return { ok: true, ref: withPin({ kind: 'source', source, name }, pin) };
  return { ok: false, message: `expected ${expected} (each name: ${NAME_RULE}), got ${describeValue(raw)}` };
}

// The reference as it would be typed (without its pin).
export function formatRef(ref: ProfileRef): string {
  switch (ref.kind) {
    case 'name':
      return ref.name;
    case 'source':
      return `${ref.source}/${ref.name}`;
    case 'sibling':
      return `./${ref.name}`;
    case 'path':
      return ref.path;
  }
}
