// Team profile sources as data: what a source's URL, ref and files may be.
// A source is a git repository a user names (`kbisect profile source add
// team URL`); its profiles are `team/NAME`. Everything here is checked before
// git or the file system sees it: no option injection (`-…`), no transport
// that runs a command (`ext::`), no file name that leaves its directory.
import { describeValue } from '../errors.ts';
import { isProfileName, NAME_RULE } from './ref.ts';

// Upper bounds on what one source may hold: a team keeps dozens of profiles, not thousands.
export const MAX_SOURCE_PROFILES = 500;
const MAX_URL_CHARS = 2048;
const URL_FORMS = 'https://host/repo.git, ssh://host/repo, git@host:repo.git, file:///path or a local directory';

export interface SourceSettings {
  name: string;
  // a URL git fetches from, or an absolute path to a repository
  url: string;
  // a branch, tag or commit; null: the repository's default branch (HEAD)
  ref: string | null;
}

// Why a source name is unusable, or null.
export function checkSourceName(name: string): string | null {
  return isProfileName(name) ? null : `expected a source name: ${NAME_RULE}, got ${describeValue(name)}`;
}

// Why a source URL is unusable, or null. Relative paths are made absolute by the caller.
export function checkSourceUrl(url: string): string | null {
  const bad = `expected a git URL (${URL_FORMS}), got ${describeValue(url.length > 100 ? `${url.slice(0, 100)}...` : url)}`;
  if (url.length === 0 || url.length > MAX_URL_CHARS) return bad;
  // control characters and blanks: never part of a URL kbisect hands to git
  if (/[\x00-\x20\x7f]/.test(url)) return `${bad}: no spaces or control characters`;
  if (url.startsWith('-')) return `${bad}: it must not start with "-"`;
  // transport::address runs a helper (ext:: runs any command)
  if (url.includes('::')) return `${bad}: transport helpers (such as ext::) are not allowed`;
  if (url.startsWith('/')) return null;
  if (/^(?:https?|ssh|git|file):\/\/[^/]/.test(url) || /^file:\/\/\//.test(url)) return null;
  // scp-like: [user@]host:path
  if (/^(?:[A-Za-z0-9._-]+@)?[A-Za-z0-9][A-Za-z0-9.-]*:(?!\/\/)[^-]/.test(url)) return null;
  return bad;
}

// Why a --ref is unusable, or null: a branch or tag name (git check-ref-format's rules, simplified) or a commit id.
export function checkSourceRef(ref: string): string | null {
  const ok =
    /^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/.test(ref) &&
    !ref.includes('..') &&
    !ref.includes('//') &&
    !ref.endsWith('/') &&
    !ref.endsWith('.') &&
    !ref.endsWith('.lock') &&
    !ref.split('/').some((part) => part.startsWith('.'));
  return ok ? null : `--ref: expected a branch, tag or commit of the source repository (such as main or v2), got ${describeValue(ref)}`;
}

// Which files of a source repository are profiles: the `profiles/` directory
// when there is one, else the top level; `NAME.yaml` with a valid NAME.
export function pickProfileFiles(paths: readonly string[]): { picked: { path: string; name: string }[]; skipped: { path: string; reason: string }[] } {
  const inDir = paths.some((p) => p.startsWith('profiles/'));
  const prefix = inDir ? 'profiles/' : '';
  const picked: { path: string; name: string }[] = [];
  const skipped: { path: string; reason: string }[] = [];
  for (const path of paths) {
    if (!path.startsWith(prefix)) continue;
    const rest = path.slice(prefix.length);
    if (rest.includes('/') || !/\.ya?ml$/.test(rest)) continue;
    const name = rest.replace(/\.ya?ml$/, '');
    if (!rest.endsWith('.yaml')) skipped.push({ path, reason: 'profiles end in .yaml' });
    else if (!isProfileName(name)) skipped.push({ path, reason: `not a profile name (${NAME_RULE})` });
    else picked.push({ path, name });
  }
  picked.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (picked.length > MAX_SOURCE_PROFILES) {
    for (const p of picked.splice(MAX_SOURCE_PROFILES)) skipped.push({ path: p.path, reason: `more than ${MAX_SOURCE_PROFILES} profiles in one source` });
  }
  return { picked, skipped };
}
