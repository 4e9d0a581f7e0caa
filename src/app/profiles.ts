// Finding, resolving, validating and hashing profiles: the built-in ones
// (bundled into dist and the single executable), imported ones (the config
// dir), those of team sources (`team/NAME`) and any YAML file given by path.
// A profile that `extends` another is resolved on top of its parent, the
// parent first; the hash is of the resolved profile. Invalid input is a
// UserError listing every problem.
import { mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { sha256Hex } from '../adapters/digest.ts';
import { configDir } from '../adapters/paths.ts';
import { listSourceConfigs, readSourceConfig, readSourceProfile, readSourceSnapshot, recordSeenProfile } from '../adapters/profile-source.ts';
import { writeFileAtomic } from '../adapters/store.ts';
import { UserError } from '../core/errors.ts';
import { findPinnedProfile, refusePinnedProfile } from './profile-pin.ts';
import { readProfileFile } from '../adapters/profile-file.ts';
import { invalidProfile, parseProfileYaml, shortenProblem } from '../core/profile/yaml.ts';
import {
  canonicalizeProfile,
  describeChain,
  EXTENDS_KEY,
  formatRef,
  MAX_EXTENDS_DEPTH,
  MAX_PROFILE_BYTES,
  parseExtendsRef,
  parseProfileArg,
  profileToDocument,
  qualifiedName,
  validateProfileLayer,
  type Profile,
  type ProfileRef,
} from '../core/profile/index.ts';
import { builtinProfiles } from './builtin-profiles.ts';

export { MAX_PROFILE_BYTES, parseProfileYaml, builtinProfiles };

export type ProfileOrigin = 'builtin' | 'imported' | 'file' | 'source';

// One profile of an inheritance chain.
export interface ChainLink {
  // tcp-rr, team/rr-64, ./my.yaml
  name: string;
  origin: ProfileOrigin;
  source: string;
  // the hash this link resolves to on its own
  hash: string;
}

export interface LoadedProfile {
  profile: Profile;
  // sha256 of the canonical form of the resolved profile: stamped on every result
  hash: string;
  // "builtin:tcp-rr", the file path, or "team:profiles/rr.yaml@1a2b3c4d"
  source: string;
  origin: ProfileOrigin;
  warnings: string[];
  // this profile first, then its parent, the parent's parent...
  chain: ChainLink[];
  // a profile of a team source: the repository and the commit its file came from
  sourceUrl?: string;
  sourceCommit?: string;
}

// A profile file before it is resolved.
export interface ProfileDoc {
  // what a cycle is detected by: builtin:tcp-rr, imported:x, source:team/x, file:/abs/x.yaml
  id: string;
  // as shown in chains
  name: string;
  origin: ProfileOrigin;
  // prefixes every message about the file
  source: string;
  text: string;
  // where `extends: ./NAME` looks
  home: { kind: 'builtin' } | { kind: 'imported' } | { kind: 'source'; source: string } | { kind: 'dir'; dir: string } | { kind: 'none' };
  // a source's profile is named by its file: team/NAME
  fileName?: string;
  sourceUrl?: string;
  sourceCommit?: string;
}

// Where references are looked up: the disk, or (during a pull) the disk with one source's new files.
export interface ProfileCatalog {
  find(ref: ProfileRef, from: ProfileDoc | null): Promise<ProfileDoc | undefined>;
  // every name a user could give, for hints
  names(): Promise<string[]>;
}

// sha256 (hex) of a profile's canonical form.
export function hashProfile(profile: Profile): string {
  return sha256Hex(canonicalizeProfile(profile));
}

export function userProfilesDir(): string {
  return join(configDir(), 'profiles');
}

// Same rule as the profile's `name:` key: the file an imported profile is kept in.
const PROFILE_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const NAME_RULE = "expected a profile name: lowercase letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64";
// A source's profile is named after its file; a `name:` key, if any, must agree.
function nameFromFile(raw: Record<string, unknown>, doc: ProfileDoc): Record<string, unknown> {
  if (doc.fileName === undefined) return raw;
  const given = raw.name;
  if (given !== undefined && given !== doc.fileName && given !== doc.name) {
    throw invalidProfile(doc.source, [`${doc.source}: name: expected ${JSON.stringify(doc.fileName)} (the file's name) or no name, got ${JSON.stringify(given)}`]);
  }
  return { ...raw, name: doc.name };
}

// Validates one file on top of its resolved parent and hashes the result.
function finishProfile(raw: Record<string, unknown>, parent: LoadedProfile | null, doc: ProfileDoc): LoadedProfile {
  const { profile, errors, warnings } = validateProfileLayer(nameFromFile(raw, doc), parent?.profile ?? null, doc.source);
  if (!profile) throw invalidProfile(doc.source, errors);
  const hash = hashProfile(profile);
  return {
    profile,
    hash,
    source: doc.source,
    origin: doc.origin,
    warnings: warnings.map(shortenProblem),
    chain: [{ name: doc.name, origin: doc.origin, source: doc.source, hash }, ...(parent?.chain ?? [])],
    ...(doc.sourceUrl === undefined ? {} : { sourceUrl: doc.sourceUrl }),
    ...(doc.sourceCommit === undefined ? {} : { sourceCommit: doc.sourceCommit }),
  };
}

// Parses and validates YAML text that stands alone (a session's or a log's
// embedded profile, which is always resolved already); `source` names it in every message.
export function parseProfileText(text: string, source: string, origin: ProfileOrigin): LoadedProfile {
  const raw = parseProfileYaml(text, source);
  if (Object.hasOwn(raw, EXTENDS_KEY)) {
    throw new UserError(`${source}: extends: expected a resolved profile here, got one that extends ${JSON.stringify(raw[EXTENDS_KEY])}`, 'kbisect records profiles resolved (`kbisect profile show NAME` prints that form)');
  }
  return finishProfile(raw, null, { id: `text:${source}`, name: source, origin, source, text, home: { kind: 'none' } });
}

// Resolves a profile file: its parent first (recursively), then the file on top.
export async function resolveProfileDoc(doc: ProfileDoc, catalog: ProfileCatalog, trail: readonly ProfileDoc[] = []): Promise<LoadedProfile> {
  const raw = parseProfileYaml(doc.text, doc.source);
  if (!Object.hasOwn(raw, EXTENDS_KEY)) return finishProfile(raw, null, doc);
  const path = [...trail, doc];
  const parsed = parseExtendsRef(raw[EXTENDS_KEY]);
  if (!parsed.ok) throw new UserError(`${doc.source}: extends: ${parsed.message}`, 'name the parent as `kbisect profile list` shows it');
  const ref = parsed.ref;
  const wanted = describeChain([...path.map((d) => d.name), formatRef(ref)]);
  const parentDoc = await catalog.find(ref, doc);
  if (parentDoc === undefined) {
    const hint =
      ref.kind === 'source'
        ? `add and pull the source first: kbisect profile source add ${ref.source} URL (see kbisect profile source list)`
        : `profiles: ${(await catalog.names()).join(', ')}`;
    throw new UserError(`${doc.source}: extends: no profile named ${JSON.stringify(formatRef(ref))} (chain: ${wanted})`, hint);
  }
  if (path.some((d) => d.id === parentDoc.id)) {
    throw new UserError(`${doc.source}: extends: inheritance cycle ${describeChain([...path.map((d) => d.name), parentDoc.name])}`, 'one profile of the cycle must stop extending the next');
  }
  if (path.length >= MAX_EXTENDS_DEPTH) {
    throw new UserError(`${doc.source}: extends: expected at most ${MAX_EXTENDS_DEPTH} profiles in a chain, got more (${wanted})`, 'extend a profile nearer the top of the chain');
  }
  const parent = await resolveProfileDoc(parentDoc, catalog, path);
  if (ref.pin !== undefined && !parent.hash.startsWith(ref.pin)) {
    throw new UserError(
      `${doc.source}: extends: ${formatRef(ref)}@${ref.pin} is pinned, but ${parentDoc.name} now resolves to sha256 ${parent.hash}${parent.sourceCommit === undefined ? '' : ` (source commit ${parent.sourceCommit})`}`,
      `see what changed: kbisect profile diff ${parentDoc.name}@${ref.pin} ${parentDoc.name}; then pin the new hash or keep the old source commit`,
    );
  }
  return finishProfile(raw, parent, doc);
}

// The file an imported profile named `name` lives in; a name that could leave
// the profile directory (../x, /etc/x, a NUL byte) is refused.
export function importedProfilePath(name: string): string {
  if (!PROFILE_NAME_RE.test(name)) throw new UserError(`${NAME_RULE}, got ${JSON.stringify(name)}`, 'fix the `name:` key of the profile, or the name you gave');
  return join(userProfilesDir(), `${name}.yaml`);
}

// A profile argument that names a file rather than a built-in, imported or source profile.
export function looksLikePath(nameOrPath: string): boolean {
  const parsed = parseProfileArg(nameOrPath);
  return parsed.ok && parsed.ref.kind === 'path';
}

function builtinDoc(name: string): ProfileDoc | undefined {
  const text = builtinProfiles[name];
  return text === undefined ? undefined : { id: `builtin:${name}`, name, origin: 'builtin', source: `builtin:${name}`, text, home: { kind: 'builtin' } };
}

async function importedDoc(name: string): Promise<ProfileDoc | undefined> {
  const path = importedProfilePath(name);
  const text = await readProfileFile(path, path);
  return text === undefined ? undefined : { id: `imported:${name}`, name, origin: 'imported', source: path, text, home: { kind: 'imported' } };
}

// The document of a source's profile (from what the last pull accepted).
export function sourceDoc(source: string, name: string, file: SourceFile): ProfileDoc {
  return {
    id: `source:${source}/${name}`,
    name: qualifiedName(source, name),
    origin: 'source',
    source: `${source}:${file.path}@${file.commit.slice(0, 12)}`,
    text: file.text,
    home: { kind: 'source', source },
    fileName: name,
    sourceUrl: file.url,
    sourceCommit: file.commit,
  };
}

async function fileDoc(path: string, shown: string): Promise<ProfileDoc | undefined> {
  const text = await readProfileFile(path, shown);
  return text === undefined ? undefined : { id: `file:${path}`, name: shown, origin: 'file', source: shown, text, home: { kind: 'dir', dir: dirname(path) } };
}

async function listImportedNames(): Promise<string[]> {
  try {
    return (await readdir(userProfilesDir())).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).filter((n) => PROFILE_NAME_RE.test(n)).sort();
  } catch {
    return [];
  }
}

// The catalog of what is on disk: built-in, imported, pulled sources, files (relative to `cwd`).
export function diskCatalog(cwd: string = process.cwd()): ProfileCatalog {
  return {
    async find(ref, from) {
      switch (ref.kind) {
        case 'name':
          return builtinDoc(ref.name) ?? (await importedDoc(ref.name));
        case 'source': {
          const file = await readSourceProfile(ref.source, ref.name);
          return file === undefined ? undefined : sourceDoc(ref.source, ref.name, file);
        }
        case 'sibling': {
          const home = from?.home ?? { kind: 'none' };
          switch (home.kind) {
            case 'builtin':
              return builtinDoc(ref.name);
            case 'imported':
              return importedDoc(ref.name);
            case 'source':
              return this.find({ kind: 'source', source: home.source, name: ref.name }, from);
            case 'dir':
              return fileDoc(join(home.dir, `${ref.name}.yaml`), join(home.dir, `${ref.name}.yaml`));
            case 'none':
              return undefined;
          }
          return undefined;
        }
        case 'path': {
          const path = ref.path.startsWith('/') ? ref.path : join(cwd, ref.path);
          return fileDoc(path, ref.path);
        }
      }
    },
    async names() {
      return [...Object.keys(builtinProfiles), ...(await listImportedNames())];
    },
  };
}

export interface SourceFile {
  text: string;
  url: string;
  commit: string;
  path: string;
}

// `base` with one source's profiles replaced by `files`: a pull resolves the
// new files (and the old ones it falls back to) before anything is written.
export function overlayCatalog(base: ProfileCatalog, source: string, files: ReadonlyMap<string, SourceFile>): ProfileCatalog {
  return {
    async find(ref, from) {
      const target = ref.kind === 'source' ? ref : ref.kind === 'sibling' && from?.home.kind === 'source' ? { source: from.home.source, name: ref.name } : null;
      if (target === null || target.source !== source) return base.find(ref, from);
      const file = files.get(target.name);
      return file === undefined ? undefined : sourceDoc(source, target.name, file);
    },
    names: () => base.names(),
  };
}

// What a profile argument names, found in `catalog`: a UserError says what is missing.
export async function findProfileDoc(nameOrPath: string, catalog: ProfileCatalog, cwd: string): Promise<{ doc: ProfileDoc; ref: ProfileRef }> {
  const parsed = parseProfileArg(nameOrPath);
  if (!parsed.ok) throw new UserError(parsed.message, 'see `kbisect profile list`; a path needs a / or a .yaml ending');
  const ref = parsed.ref;
  const doc = await catalog.find(ref, null);
  if (doc !== undefined) return { doc, ref };
  switch (ref.kind) {
    case 'name':
      throw new UserError(`no profile named ${JSON.stringify(ref.name)}`, `built-in and imported profiles: ${(await catalog.names()).join(', ')}; or give a path to a YAML file`);
    case 'source': {
      const config = await readSourceConfig(ref.source);
      if (config === undefined) {
        // not a source: perhaps a file without the .yaml ending
        const asFile = await fileDoc(join(cwd, formatRef(ref)), formatRef(ref)).catch(() => undefined);
        if (asFile !== undefined) return { doc: asFile, ref: { kind: 'path', path: formatRef(ref), ...(ref.pin === undefined ? {} : { pin: ref.pin }) } };
        const known = (await listSourceConfigs()).map((s) => s.name);
        throw new UserError(
          `no profile source named ${JSON.stringify(ref.source)} (for ${formatRef(ref)})`,
          `${known.length > 0 ? `sources: ${known.join(', ')}; ` : ''}add it with \`kbisect profile source add ${ref.source} URL\`, or write ./${formatRef(ref)}.yaml for a file`,
        );
      }
      throw new UserError(`source ${ref.source} has no profile named ${JSON.stringify(ref.name)}`, `kbisect profile list shows the ones pulled; \`kbisect profile pull ${ref.source}\` fetches new ones`);
    }
    case 'sibling':
    case 'path':
      throw new UserError(`${formatRef(ref)}: cannot read the profile (ENOENT)`, 'give a built-in profile name (kbisect profile list) or an existing YAML file');
  }
}

export interface LoadOptions {
  // what a pin that does not match means: refuse to run (default), or look the pinned content up (profile diff/show)
  pinned?: 'refuse' | 'lookup';
  catalog?: ProfileCatalog;
}

// A pin that does not match: refused with what changed, or (lookup) the content it pinned.
async function checkPin(loaded: LoadedProfile, nameOrPath: string, pin: string, mode: 'refuse' | 'lookup'): Promise<LoadedProfile> {
  if (mode === 'lookup') return findPinnedProfile(loaded, nameOrPath, pin);
  throw await refusePinnedProfile(loaded, nameOrPath, pin);
}

// Loads a built-in, imported or source profile by name, or a YAML file by
// path, resolved; `NAME@HASH` refuses (or, with pinned: 'lookup', finds) content with another hash.
export async function loadProfile(nameOrPath: string, cwd: string = process.cwd(), opts: LoadOptions = {}): Promise<LoadedProfile> {
  const catalog = opts.catalog ?? diskCatalog(cwd);
  const { doc, ref } = await findProfileDoc(nameOrPath, catalog, cwd);
  const loaded = await resolveProfileDoc(doc, catalog);
  if (ref.pin === undefined || loaded.hash.startsWith(ref.pin)) return loaded;
  return checkPin(loaded, nameOrPath, ref.pin, opts.pinned ?? 'refuse');
}

// Every built-in, imported and source profile, resolved (an invalid one is reported, not fatal).
export async function listProfiles(): Promise<{ profiles: LoadedProfile[]; problems: string[] }> {
  const catalog = diskCatalog();
  const profiles: LoadedProfile[] = [];
  const problems: string[] = [];
  const names = [...Object.keys(builtinProfiles), ...(await listImportedNames())];
  for (const source of await listSourceConfigs()) {
    const snapshot = await readSourceSnapshot(source.name).catch((error: unknown) => {
      problems.push((error as Error).message);
      return undefined;
    });
    for (const name of snapshot?.texts.keys() ?? []) names.push(qualifiedName(source.name, name));
  }
  for (const name of names) {
    try {
      profiles.push(await loadProfile(name, process.cwd(), { catalog }));
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  return { profiles, problems };
}

// The chain as one comment line: `tcp-rr-64 (file) ← tcp-rr (builtin) ← guest base`.
export function describeOrigins(loaded: LoadedProfile): string {
  return [...loaded.chain.map((l) => `${l.name} (${l.origin})`), 'kbisect guest base'].join(' ← ');
}

// The resolved profile as YAML (defaults spelled out), with its hash, its chain
// and its source in header comments: what a session records and `profile show` prints.
export function renderProfileYaml(loaded: LoadedProfile, opts: { chain?: boolean } = {}): string {
  const header = [`# kbisect profile ${loaded.profile.name}, sha256 ${loaded.hash}`];
  if (opts.chain !== false) header.push(`# resolved from: ${describeOrigins(loaded).replace(/[\r\n]/g, ' ')}`);
  if (loaded.sourceUrl !== undefined) header.push(`# source: ${loaded.sourceUrl.replace(/[\r\n]/g, ' ')} at commit ${loaded.sourceCommit ?? 'unknown'}`);
  return `${header.join('\n')}\n${stringifyYaml(profileToDocument(loaded.profile), { lineWidth: 0 })}`;
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
// name afterwards (resolved: an imported profile no longer follows its parent).
// Never silently replaces a profile that measures something else: results are
// filed by hash, and the name is how people find them.
export async function importProfile(path: string, cwd: string = process.cwd(), opts: { force?: boolean } = {}): Promise<ImportResult> {
  const loaded = await loadProfile(looksLikePath(path) ? path : `./${path}`, cwd);
  const name = loaded.profile.name;
  const builtin = builtinDoc(name);
  if (builtin !== undefined && (await resolveProfileDoc(builtin, diskCatalog(cwd))).hash !== loaded.hash) {
    throw new UserError(`${path}: a built-in profile is already named ${JSON.stringify(name)} and measures something else`, 'rename the profile (its `name:` key) before importing');
  }
  const savedAs = importedProfilePath(name);
  const rendered = renderProfileYaml(loaded, { chain: false });
  const existing = await readImported(savedAs);
  const imported = { ...loaded, source: savedAs, origin: 'imported' as const };
  await recordSeenProfile({ hash: loaded.hash, name, yaml: rendered });
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
