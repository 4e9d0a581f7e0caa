// Finding, validating and hashing profiles: the built-in ones (bundled into
// dist and the single executable), imported ones (the config dir) and any
// YAML file given by path. Invalid input is a UserError listing every problem.
import { mkdir, readFile, readdir } from 'node:fs/promises';
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

// Parses and validates YAML text; `source` names it in every message.
export function parseProfileText(text: string, source: string, origin: LoadedProfile['origin']): LoadedProfile {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    throw new UserError(`${source}: not valid YAML: ${(error as Error).message.split('\n')[0] ?? ''}`, 'fix the YAML syntax (indentation, quotes)');
  }
  const { profile, errors, warnings } = validateProfile(raw, source);
  if (!profile) {
    throw new UserError(
      `${source}: invalid profile (${errors.length} problem${errors.length === 1 ? '' : 's'}):\n  ${errors.join('\n  ')}`,
      'see `kbisect profile show tcp-rr` for a complete, valid profile',
    );
  }
  return { profile, hash: hashProfile(profile), source, origin, warnings };
}

function looksLikePath(nameOrPath: string): boolean {
  return nameOrPath.includes('/') || /\.ya?ml$/i.test(nameOrPath);
}

// Loads a built-in or imported profile by name, or a YAML file by path.
export async function loadProfile(nameOrPath: string, cwd: string = process.cwd()): Promise<LoadedProfile> {
  if (!looksLikePath(nameOrPath)) {
    const builtin = builtinProfiles[nameOrPath];
    if (builtin !== undefined) return parseProfileText(builtin, `builtin:${nameOrPath}`, 'builtin');
    const imported = join(userProfilesDir(), `${nameOrPath}.yaml`);
    const text = await readFile(imported, 'utf8').catch(() => undefined);
    if (text !== undefined) return parseProfileText(text, imported, 'imported');
    const known = [...Object.keys(builtinProfiles), ...(await listImportedNames())];
    throw new UserError(
      `no profile named ${JSON.stringify(nameOrPath)}`,
      `built-in and imported profiles: ${known.join(', ')}; or give a path to a YAML file`,
    );
  }
  const path = nameOrPath.startsWith('/') ? nameOrPath : join(cwd, nameOrPath);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError(`${nameOrPath}: cannot read the profile (${(error as NodeJS.ErrnoException).code ?? String(error)})`, 'give a built-in profile name (kbisect profile list) or an existing YAML file');
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

// Copies a validated profile file into the user's profile dir, loadable by name afterwards.
export async function importProfile(path: string, cwd: string = process.cwd()): Promise<{ loaded: LoadedProfile; savedAs: string }> {
  const loaded = await loadProfile(looksLikePath(path) ? path : `./${path}`, cwd);
  const name = loaded.profile.name;
  const builtin = builtinProfiles[name];
  if (builtin !== undefined && parseProfileText(builtin, `builtin:${name}`, 'builtin').hash !== loaded.hash) {
    throw new UserError(`${path}: a built-in profile is already named ${JSON.stringify(name)} and measures something else`, 'rename the profile (its `name:` key) before importing');
  }
  const savedAs = join(userProfilesDir(), `${name}.yaml`);
  await mkdir(userProfilesDir(), { recursive: true });
  await writeFileAtomic(savedAs, renderProfileYaml(loaded));
  return { loaded: { ...loaded, source: savedAs, origin: 'imported' }, savedAs };
}
