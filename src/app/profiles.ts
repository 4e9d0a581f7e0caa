// Finding, validating and hashing profiles: the built-in ones (bundled into
// dist and the single executable), imported ones (the config dir) and any
// YAML file given by path. Invalid input is a UserError listing every problem.
import { mkdir, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { sha256Hex } from '../adapters/digest.ts';
import { configDir } from '../adapters/paths.ts';
import { writeFileAtomic } from '../adapters/store.ts';
import { UserError } from '../core/errors.ts';
import { canonicalizeProfile, profileToDocument, validateProfile, type Profile } from '../core/profile/index.ts';
import demoGuestTx from '../../profiles/demo-guest-tx.yaml?raw';
import tcpRr from '../../profiles/tcp-rr.yaml?raw';
import tcpStreamGuestToGuest from '../../profiles/tcp-stream-guest-to-guest.yaml?raw';
import tcpStreamGuestToHost from '../../profiles/tcp-stream-guest-to-host.yaml?raw';
import tcpStreamHostToGuestVhost from '../../profiles/tcp-stream-host-to-guest-vhost.yaml?raw';
import tcpStreamHostToGuest from '../../profiles/tcp-stream-host-to-guest.yaml?raw';
import udpRrSmall from '../../profiles/udp-rr-small.yaml?raw';

export const builtinProfiles: Readonly<Record<string, string>> = {
  'tcp-stream-guest-to-host': tcpStreamGuestToHost,
  'tcp-stream-host-to-guest': tcpStreamHostToGuest,
  'tcp-stream-host-to-guest-vhost': tcpStreamHostToGuestVhost,
  'tcp-rr': tcpRr,
  'tcp-stream-guest-to-guest': tcpStreamGuestToGuest,
  'udp-rr-small': udpRrSmall,
  'demo-guest-tx': demoGuestTx,
};

export interface LoadedProfile {
  profile: Profile;
  // sha256 of the canonical form: stamped on every result
  hash: string;
  // "builtin:tcp-rr", the file path, or "imported:<path>"
  source: string;
  origin: 'builtin' | 'imported' | 'file';
  warnings: string[];
}

// sha256 (hex) of a profile's canonical form.
export function hashProfile(profile: Profile): string {
  return sha256Hex(canonicalizeProfile(profile));
}

export function userProfilesDir(): string {
  return join(configDir(), 'profiles');
}

// Profiles are a few KiB; anything far larger is not one (and is not parsed).
export const MAX_PROFILE_BYTES = 256 * 1024;

// Same rule as the profile's `name:` key: the file an imported profile is kept in.
const PROFILE_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const NAME_RULE = "expected a profile name: lowercase letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64";
const NOT_A_PROFILE_HINT = 'see `kbisect profile show tcp-rr` for a complete, valid profile';
// each problem is cut to this length, so that no message carries much of a file
const MAX_PROBLEM_CHARS = 400;
const MAX_PROBLEMS = 20;

function sizeError(source: string, bytes: number): UserError {
  return new UserError(
    `${source}: expected a profile of at most ${MAX_PROFILE_BYTES} bytes (${MAX_PROFILE_BYTES / 1024} KiB), got ${bytes} bytes`,
    'give a kbisect profile YAML file (`kbisect profile show tcp-rr` prints one of about 3 KiB)',
  );
}

// What a parsed document is, without any of its content.
function describeShape(raw: unknown): string {
  if (raw === null || raw === undefined) return 'an empty document';
  if (typeof raw === 'string') return `a string of ${raw.length} characters`;
  if (Array.isArray(raw)) return `a list of ${raw.length} item${raw.length === 1 ? '' : 's'}`;
  if (typeof raw === 'object') return 'a mapping without a `schema` key';
  return `a ${typeof raw}`;
}

function shortenProblem(problem: string): string {
  return problem.length <= MAX_PROBLEM_CHARS ? problem : `${problem.slice(0, MAX_PROBLEM_CHARS - 20)}... (${problem.length} characters)`;
}

// Parses and validates YAML text; `source` names it in every message. A file
// that is not a profile is described by its shape, never echoed.
export function parseProfileText(text: string, source: string, origin: LoadedProfile['origin']): LoadedProfile {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_PROFILE_BYTES) throw sizeError(source, bytes);
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    const first = shortenProblem((error as Error).message.split('\n')[0] ?? '');
    throw new UserError(`${source}: not valid YAML: ${first}`, `fix the YAML syntax (indentation, quotes); ${NOT_A_PROFILE_HINT}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !('schema' in raw)) {
    throw new UserError(`${source}: expected a kbisect profile (a YAML mapping with schema: 1, name, topology, tests...), got ${describeShape(raw)}`, NOT_A_PROFILE_HINT);
  }
  const { profile, errors, warnings } = validateProfile(raw, source);
  if (!profile) {
    const shown = errors.slice(0, MAX_PROBLEMS).map(shortenProblem);
    if (errors.length > MAX_PROBLEMS) shown.push(`... and ${errors.length - MAX_PROBLEMS} more`);
    throw new UserError(`${source}: invalid profile (${errors.length} problem${errors.length === 1 ? '' : 's'}):\n  ${shown.join('\n  ')}`, NOT_A_PROFILE_HINT);
  }
  return { profile, hash: hashProfile(profile), source, origin, warnings: warnings.map(shortenProblem) };
}

// A profile argument that names a file (a / or a .yaml ending) rather than a built-in or imported profile.
export function looksLikePath(nameOrPath: string): boolean {
  return nameOrPath.includes('/') || /\.ya?ml$/i.test(nameOrPath);
}

// The file an imported profile named `name` lives in; a name that could leave
// the profile directory (../x, /etc/x, a NUL byte) is refused.
export function importedProfilePath(name: string): string {
  if (!PROFILE_NAME_RE.test(name)) throw new UserError(`${NAME_RULE}, got ${JSON.stringify(name)}`, 'fix the `name:` key of the profile, or the name you gave');
  return join(userProfilesDir(), `${name}.yaml`);
}

// Reads at most MAX_PROFILE_BYTES of a file (a FIFO or /dev/zero cannot make it read forever).
async function readProfileFile(path: string, source: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`${source}: cannot read the profile (${(error as NodeJS.ErrnoException).code ?? String(error)})`, 'give a built-in profile name (kbisect profile list) or an existing YAML file');
  }
  try {
    const stat = await handle.stat();
    if (stat.isFile() && stat.size > MAX_PROFILE_BYTES) throw sizeError(source, stat.size);
    const buffer = Buffer.alloc(MAX_PROFILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_PROFILE_BYTES) throw sizeError(source, stat.isFile() ? stat.size : length);
    }
    return buffer.subarray(0, length).toString('utf8');
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`${source}: cannot read the profile (${(error as NodeJS.ErrnoException).code ?? String(error)})`, 'give an existing YAML file');
  } finally {
    await handle.close();
  }
}

// Loads a built-in or imported profile by name, or a YAML file by path.
export async function loadProfile(nameOrPath: string, cwd: string = process.cwd()): Promise<LoadedProfile> {
  if (nameOrPath.includes('\0')) {
    throw new UserError(`expected a profile name or a path to a YAML file, got ${JSON.stringify(nameOrPath)} with a NUL byte`, 'give the name or path again');
  }
  if (!looksLikePath(nameOrPath)) {
    const builtin = builtinProfiles[nameOrPath];
    if (builtin !== undefined) return parseProfileText(builtin, `builtin:${nameOrPath}`, 'builtin');
    if (!PROFILE_NAME_RE.test(nameOrPath)) {
      throw new UserError(`${NAME_RULE}, or a path to a YAML file, got ${JSON.stringify(nameOrPath)}`, 'see `kbisect profile list`; a path needs a / or a .yaml ending');
    }
    const imported = importedProfilePath(nameOrPath);
    const text = await readProfileFile(imported, imported);
    if (text !== undefined) return parseProfileText(text, imported, 'imported');
    const known = [...Object.keys(builtinProfiles), ...(await listImportedNames())];
    throw new UserError(
      `no profile named ${JSON.stringify(nameOrPath)}`,
      `built-in and imported profiles: ${known.join(', ')}; or give a path to a YAML file`,
    );
  }
  const path = nameOrPath.startsWith('/') ? nameOrPath : join(cwd, nameOrPath);
  const text = await readProfileFile(path, nameOrPath);
  if (text === undefined) {
    throw new UserError(`${nameOrPath}: cannot read the profile (ENOENT)`, 'give a built-in profile name (kbisect profile list) or an existing YAML file');
  }
  return parseProfileText(text, nameOrPath, 'file');
}

async function listImportedNames(): Promise<string[]> {
  try {
    return (await readdir(userProfilesDir())).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
  } catch {
    return [];
  }
}

// Every built-in and imported profile, validated (an invalid imported file is reported, not fatal).
export async function listProfiles(): Promise<{ profiles: LoadedProfile[]; problems: string[] }> {
  const profiles: LoadedProfile[] = Object.entries(builtinProfiles).map(([name, text]) => parseProfileText(text, `builtin:${name}`, 'builtin'));
  const problems: string[] = [];
  for (const name of await listImportedNames()) {
    try {
      profiles.push(await loadProfile(name));
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  return { profiles, problems };
}

// The normalized profile as YAML (defaults spelled out), with its hash in a header comment.
export function renderProfileYaml(loaded: LoadedProfile): string {
  return `# kbisect profile ${loaded.profile.name}, sha256 ${loaded.hash}\n${stringifyYaml(profileToDocument(loaded.profile), { lineWidth: 0 })}`;
}

export interface ImportResult {
  loaded: LoadedProfile;
  savedAs: string;
  // imported: new name; unchanged: the same file was already there (nothing
  // written); updated: same hash, other description; replaced: other hash (--force)
  status: 'imported' | 'unchanged' | 'updated' | 'replaced';
  previousHash?: string;
}

// What is already imported under a name: its rendered text and hash, or why it is unreadable.
async function readImported(path: string): Promise<{ text: string; hash: string | null } | undefined> {
  const text = await readProfileFile(path, path).catch(() => '');
  if (text === undefined) return undefined;
  try {
    return { text, hash: parseProfileText(text, path, 'imported').hash };
  } catch {
    return { text, hash: null };
  }
}

// Copies a validated profile file into the user's profile dir, loadable by
// name afterwards. Never silently replaces a profile that measures something
// else: results are filed by hash, and the name is how people find them.
export async function importProfile(path: string, cwd: string = process.cwd(), opts: { force?: boolean } = {}): Promise<ImportResult> {
  const loaded = await loadProfile(looksLikePath(path) ? path : `./${path}`, cwd);
  const name = loaded.profile.name;
  const builtin = builtinProfiles[name];
  if (builtin !== undefined && parseProfileText(builtin, `builtin:${name}`, 'builtin').hash !== loaded.hash) {
    throw new UserError(`${path}: a built-in profile is already named ${JSON.stringify(name)} and measures something else`, 'rename the profile (its `name:` key) before importing');
  }
  const savedAs = importedProfilePath(name);
  const rendered = renderProfileYaml(loaded);
  const existing = await readImported(savedAs);
  const imported = { ...loaded, source: savedAs, origin: 'imported' as const };
  if (existing?.text === rendered) return { loaded: imported, savedAs, status: 'unchanged' };
  if (existing !== undefined && existing.hash !== loaded.hash && opts.force !== true) {
    const was = existing.hash === null ? 'an invalid profile' : `sha256 ${existing.hash}`;
    throw new UserError(
      `${path}: a profile named ${JSON.stringify(name)} is already imported (${savedAs}, ${was}) and this one measures something else (sha256 ${loaded.hash})`,
      'rename the new profile (its `name:` key), or replace the imported one with --force (results stay filed under the old hash)',
    );
  }
  await mkdir(userProfilesDir(), { recursive: true });
  await writeFileAtomic(savedAs, rendered);
  if (existing === undefined) return { loaded: imported, savedAs, status: 'imported' };
  const previous = existing.hash === null ? {} : { previousHash: existing.hash };
  return { loaded: imported, savedAs, status: existing.hash === loaded.hash ? 'updated' : 'replaced', ...previous };
}
