// Team profile sources on disk, in the config dir:
//   sources/NAME/source.json      what the user added (URL, ref)
//   sources/NAME/git/             a bare repository that only fetches
//   sources/NAME/profiles/        the accepted profiles (NAME.yaml, as upstream
//                                 wrote them) and state.json (the commit each came from)
//   profile-history/HASH.json     every resolved profile seen in a pull, by content hash,
//                                 so that a pin can be shown against what it pinned
// Every name is checked before it becomes a path; files are written atomically
// and a pull replaces the profiles directory as a whole.
import { lstat, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../core/errors.ts';
import { checkSourceName, pickProfileFiles, type SourceSettings } from '../core/profile/source.ts';
import { isProfileName } from '../core/profile/ref.ts';
import { MAX_PROFILE_BYTES } from '../core/profile/types.ts';
import { fetchRefInto, initBareRepository, listCommitIds, listTree, readBlobText } from './git.ts';
import { configDir } from './paths.ts';
import { writeFileAtomic } from './store.ts';

const FETCHED_REF = 'refs/kbisect/source';
const STATE_FILE = 'state.json';

export interface SourceConfig extends SourceSettings {
  addedAt: string;
}

// Where each accepted profile came from.
export interface SourceState {
  url: string;
  ref: string | null;
  // the commit of the last pull
  commit: string;
  pulledAt: string;
  profiles: Record<string, { path: string; commit: string }>;
}

export interface SourceSnapshot {
  state: SourceState;
  // profile name → the text as upstream wrote it
  texts: Map<string, string>;
}

export interface UpstreamProfiles {
  commit: string;
  files: { name: string; path: string; text: string }[];
  skipped: { path: string; reason: string }[];
}

export interface SeenProfile {
  hash: string;
  name: string;
  sourceUrl?: string;
  sourceCommit?: string;
  // the resolved profile, rendered
  yaml: string;
}

// Where every source lives: the config dir, never the repository being bisected.
export function sourcesDir(): string {
  return join(configDir(), 'sources');
}

// The directory of source `name`; a name that could leave `sources/` is refused.
export function sourceDir(name: string): string {
  const problem = checkSourceName(name);
  if (problem !== null) throw new UserError(problem, 'see `kbisect profile source list`');
  return join(sourcesDir(), name);
}

function historyDir(): string {
  return join(configDir(), 'profile-history');
}

// Reads a small regular file kbisect wrote (never a FIFO or a device someone put there).
async function readSmallFile(path: string, maxBytes: number): Promise<string | undefined> {
  let stat;
  try {
    stat = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!stat.isFile()) throw new UserError(`${path}: expected a regular file, got something else`, 'remove it; `kbisect profile pull` writes it again');
  if (stat.size > maxBytes) throw new UserError(`${path}: expected at most ${maxBytes} bytes, got ${stat.size}`, 'remove it; `kbisect profile pull` writes it again');
  return readFile(path, 'utf8');
}

async function readJsonFile(path: string): Promise<unknown> {
  const text = await readSmallFile(path, 4 * 1024 * 1024);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UserError(`${path}: not valid JSON`, 'remove the source and add it again (kbisect profile source remove/add)');
  }
}

function isSourceConfig(v: unknown): v is SourceConfig {
  const o = v as Partial<SourceConfig> | null;
  return typeof o === 'object' && o !== null && typeof o.name === 'string' && typeof o.url === 'string' && (o.ref === null || typeof o.ref === 'string') && typeof o.addedAt === 'string';
}

// The source a user added under `name`, or undefined.
export async function readSourceConfig(name: string): Promise<SourceConfig | undefined> {
  const path = join(sourceDir(name), 'source.json');
  const raw = await readJsonFile(path);
  if (raw === undefined) return undefined;
  if (!isSourceConfig(raw) || raw.name !== name) throw new UserError(`${path}: expected {name, url, ref, addedAt} for source ${JSON.stringify(name)}`, 'remove the source and add it again');
  return raw;
}

// Records what the user added, before the first fetch (a failed add removes it).
export async function writeSourceConfig(config: SourceConfig): Promise<void> {
  const dir = sourceDir(config.name);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, 'source.json'), `${JSON.stringify(config, null, 2)}\n`);
}

// Every added source, by name.
export async function listSourceConfigs(): Promise<SourceConfig[]> {
  let names: string[];
  try {
    names = (await readdir(sourcesDir())).filter(isProfileName).sort();
  } catch {
    return [];
  }
  const configs: SourceConfig[] = [];
  for (const name of names) {
    const config = await readSourceConfig(name);
    if (config !== undefined) configs.push(config);
  }
  return configs;
}

// Forgets a source: its clone and its profiles.
export async function removeSourceDir(name: string): Promise<void> {
  await rm(sourceDir(name), { recursive: true, force: true });
}

function isSourceState(v: unknown): v is SourceState {
  const o = v as Partial<SourceState> | null;
  return typeof o === 'object' && o !== null && typeof o.commit === 'string' && typeof o.url === 'string' && typeof o.profiles === 'object' && o.profiles !== null;
}

// The accepted profiles of a source (undefined: never pulled).
export async function readSourceSnapshot(name: string): Promise<SourceSnapshot | undefined> {
  const dir = sourceDir(name);
  // a pull that stopped between its two renames left the previous snapshot as profiles.old
  for (const sub of ['profiles', 'profiles.old']) {
    const state = await readJsonFile(join(dir, sub, STATE_FILE));
    if (state === undefined) continue;
    if (!isSourceState(state)) throw new UserError(`${join(dir, sub, STATE_FILE)}: not a source state`, `pull again: kbisect profile pull ${name}`);
    const texts = new Map<string, string>();
    for (const profile of Object.keys(state.profiles)) {
      if (!isProfileName(profile)) continue;
      const text = await readSmallFile(join(dir, sub, `${profile}.yaml`), MAX_PROFILE_BYTES + 1);
      if (text !== undefined) texts.set(profile, text);
    }
    return { state, texts };
  }
  return undefined;
}

// The text of one accepted profile of a source, with where it came from.
export async function readSourceProfile(source: string, name: string): Promise<{ text: string; url: string; commit: string; path: string } | undefined> {
  if (!isProfileName(name)) return undefined;
  const snapshot = await readSourceSnapshot(source);
  const text = snapshot?.texts.get(name);
  const where = snapshot?.state.profiles[name];
  if (snapshot === undefined || text === undefined || where === undefined) return undefined;
  return { text, url: snapshot.state.url, commit: where.commit, path: where.path };
}

// Replaces a source's accepted profiles as a whole: written beside, then swapped in.
export async function writeSourceSnapshot(name: string, snapshot: SourceSnapshot): Promise<void> {
  const dir = sourceDir(name);
  const next = join(dir, 'profiles.new');
  await rm(next, { recursive: true, force: true });
  await mkdir(next, { recursive: true });
  for (const [profile, text] of snapshot.texts) {
    if (!isProfileName(profile)) throw new UserError(`expected a profile name, got ${JSON.stringify(profile)}`);
    await writeFileAtomic(join(next, `${profile}.yaml`), text);
  }
  await writeFileAtomic(join(next, STATE_FILE), `${JSON.stringify(snapshot.state, null, 2)}\n`);
  await rm(join(dir, 'profiles.old'), { recursive: true, force: true });
  await rename(join(dir, 'profiles'), join(dir, 'profiles.old')).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  await rename(next, join(dir, 'profiles'));
  await rm(join(dir, 'profiles.old'), { recursive: true, force: true });
}

async function gitDirOf(name: string): Promise<string> {
  const dir = join(sourceDir(name), 'git');
  await initBareRepository(dir);
  return dir;
}

// Fetches the source's ref and returns its commit.
export async function fetchSource(config: SourceSettings, signal?: AbortSignal): Promise<string> {
  return fetchRefInto(await gitDirOf(config.name), config.url, config.ref, FETCHED_REF, signal);
}

// The profile files of a source at `commit`, read from git (nothing is checked out).
export async function readUpstreamProfiles(name: string, commit: string): Promise<UpstreamProfiles> {
  const repo = await gitDirOf(name);
  const tree = await listTree(repo, commit);
  const blobs = new Map(tree.filter((e) => e.type === 'blob').map((e) => [e.path, e] as const));
  const { picked, skipped } = pickProfileFiles([...blobs.keys()]);
  const files: UpstreamProfiles['files'] = [];
  for (const { path, name: profile } of picked) {
    const entry = blobs.get(path);
    if (entry === undefined) continue;
    // a symbolic link's blob is its target, not a profile
    if (entry.mode === '120000') {
      skipped.push({ path, reason: 'a symbolic link, not a file' });
      continue;
    }
    const blob = await readBlobText(repo, entry.object, MAX_PROFILE_BYTES);
    if ('tooLarge' in blob) skipped.push({ path, reason: `expected a profile of at most ${MAX_PROFILE_BYTES} bytes, got ${blob.tooLarge}` });
    else files.push({ name: profile, path, text: blob.text });
  }
  return { commit, files, skipped };
}

// The commits of the source's history, newest first (to find what a pin named).
export async function listSourceHistory(name: string, head: string, max: number): Promise<string[]> {
  return listCommitIds(await gitDirOf(name), head, max);
}

// Keeps a resolved profile by its hash (once; the content of a hash never changes).
export async function recordSeenProfile(seen: SeenProfile): Promise<void> {
  if (!/^[0-9a-f]{64}$/.test(seen.hash)) throw new UserError(`expected a sha256 content hash, got ${JSON.stringify(seen.hash)}`);
  const path = join(historyDir(), `${seen.hash}.json`);
  if ((await readSmallFile(path, 4 * 1024 * 1024).catch(() => undefined)) !== undefined) return;
  await mkdir(historyDir(), { recursive: true });
  await writeFileAtomic(path, `${JSON.stringify(seen, null, 2)}\n`);
}

// Resolved profiles seen before whose hash starts with `prefix`.
export async function findSeenProfiles(prefix: string): Promise<SeenProfile[]> {
  if (!/^[0-9a-f]{1,64}$/.test(prefix)) return [];
  let files: string[];
  try {
    files = (await readdir(historyDir())).filter((f) => f.startsWith(prefix) && /^[0-9a-f]{64}\.json$/.test(f));
  } catch {
    return [];
  }
  const found: SeenProfile[] = [];
  for (const file of files) {
    const raw = (await readJsonFile(join(historyDir(), file)).catch(() => undefined)) as Partial<SeenProfile> | undefined;
    if (raw && typeof raw.yaml === 'string' && typeof raw.name === 'string' && raw.hash === file.slice(0, 64)) {
      found.push({
        hash: raw.hash,
        name: raw.name,
        yaml: raw.yaml,
        ...(typeof raw.sourceUrl === 'string' ? { sourceUrl: raw.sourceUrl } : {}),
        ...(typeof raw.sourceCommit === 'string' ? { sourceCommit: raw.sourceCommit } : {}),
      });
    }
  }
  return found;
}
