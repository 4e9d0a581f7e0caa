// Team profile sources: `kbisect profile source add|list|remove` and
// `kbisect profile pull`. A pull fetches the source's ref, resolves and
// validates every upstream profile before any replaces the one in use; an
// invalid one is reported and the previous version kept, so that a broken
// commit upstream never breaks a colleague's nightly run.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  fetchSource,
  listSourceConfigs,
  readSourceConfig,
  readSourceSnapshot,
  readUpstreamProfiles,
  recordSeenProfile,
  removeSourceDir,
  writeSourceConfig,
  writeSourceSnapshot,
  type SourceConfig,
  type SourceSnapshot,
  type SourceState,
} from '../adapters/profile-source.ts';
import { ProcessError, UserError } from '../core/errors.ts';
import { checkSourceName, checkSourceRef, checkSourceUrl } from '../core/profile/source.ts';
import { diskCatalog, overlayCatalog, renderProfileYaml, resolveProfileDoc, sourceDoc, type LoadedProfile, type SourceFile } from './profiles.ts';

// What a pull did to one profile of the source.
export type PulledStatus =
  | 'added' // new upstream, valid
  | 'unchanged' // same text, same hash
  | 'updated' // other text, same hash (comments, description)
  | 'changed' // other hash (its own file or a parent changed): results of the new content are filed apart
  | 'kept' // upstream invalid: the previous version stays
  | 'rejected' // upstream invalid, and no previous version to keep
  | 'removed'; // no longer upstream

export interface PulledProfile {
  name: string;
  status: PulledStatus;
  hash?: string;
  previousHash?: string;
  // why the upstream version was refused (kept, rejected)
  problem?: string;
}

export interface PullReport {
  source: string;
  url: string;
  ref: string | null;
  commit: string;
  previousCommit: string | null;
  profiles: PulledProfile[];
  // files that look like profiles but are not read (name, size, symlink)
  skipped: { path: string; reason: string }[];
}

// How many times a pull falls back to previous versions before it gives up on a profile.
const MAX_FALLBACK_ROUNDS = 10;

// A local directory is kept as an absolute path; anything else must be a git URL.
function normalizeSourceUrl(urlOrPath: string, cwd: string): string {
  const local = /^(?:\/|\.{1,2}(?:\/|$)|~\/)/.test(urlOrPath) || (checkSourceUrl(urlOrPath) !== null && existsSync(resolve(cwd, urlOrPath)));
  if (local) {
    const path = resolve(cwd, urlOrPath.replace(/^~(?=\/)/, process.env.HOME ?? '~'));
    if (!existsSync(path) || !statSync(path).isDirectory()) {
      throw new UserError(`expected a git repository (a URL or a local directory), got ${JSON.stringify(urlOrPath)}: ${path} is not a directory`, 'give the path of a clone, or its URL');
    }
    return path;
  }
  const problem = checkSourceUrl(urlOrPath);
  if (problem !== null) throw new UserError(problem, 'give the URL you would give `git clone`, or the path of a clone');
  return urlOrPath;
}

// Fetches, with a message that says which source and what to check.
async function fetchOrExplain(config: SourceConfig): Promise<string> {
  try {
    return await fetchSource(config);
  } catch (error) {
    if (!(error instanceof ProcessError)) throw error;
    const tail = error.stderrTail.trim().split('\n').slice(-2).join(' ');
    throw new UserError(
      `source ${config.name}: cannot fetch ${config.ref ?? 'the default branch'} of ${config.url}: ${tail || error.message}`,
      `check the URL and the ref (\`git ls-remote ${config.url}\` lists what it has)`,
    );
  }
}

// The previous snapshot's profiles, resolved as they are now (for the report's previous hashes).
async function previousHashes(name: string, snapshot: SourceSnapshot | undefined): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  if (snapshot === undefined) return hashes;
  const catalog = diskCatalog();
  for (const [profile, text] of snapshot.texts) {
    const where = snapshot.state.profiles[profile];
    if (where === undefined) continue;
    try {
      hashes.set(profile, (await resolveProfileDoc(sourceDoc(name, profile, { text, url: snapshot.state.url, commit: where.commit, path: where.path }), catalog)).hash);
    } catch {
      // an old profile that no longer resolves has no hash to compare with
    }
  }
  return hashes;
}

// Resolves every candidate with the others; a failing one falls back to its
// previous version (or is dropped), until all that remain resolve.
async function settleCandidates(
  name: string,
  candidates: Map<string, SourceFile>,
  previous: SourceSnapshot | undefined,
): Promise<{ resolved: Map<string, LoadedProfile>; problems: Map<string, string> }> {
  const problems = new Map<string, string>();
  for (let round = 0; ; round++) {
    const catalog = overlayCatalog(diskCatalog(), name, candidates);
    const resolved = new Map<string, LoadedProfile>();
    const failed = new Map<string, string>();
    for (const [profile, file] of candidates) {
      try {
        resolved.set(profile, await resolveProfileDoc(sourceDoc(name, profile, file), catalog));
      } catch (error) {
        failed.set(profile, (error as Error).message);
      }
    }
    if (failed.size === 0) return { resolved, problems };
    // a profile that fails only because its parent (upstream too) fails waits for the parent's fallback
    const own = [...failed].filter(([profile, message]) => {
      const file = candidates.get(profile);
      return file !== undefined && message.startsWith(sourceDoc(name, profile, file).source);
    });
    for (const [profile, message] of own.length > 0 ? own : failed) {
      if (!problems.has(profile)) problems.set(profile, message);
      const oldText = previous?.texts.get(profile);
      const oldWhere = previous?.state.profiles[profile];
      const current = candidates.get(profile);
      if (round < MAX_FALLBACK_ROUNDS && oldText !== undefined && oldWhere !== undefined && current?.text !== oldText) {
        candidates.set(profile, { text: oldText, path: oldWhere.path, commit: oldWhere.commit, url: previous?.state.url ?? current?.url ?? '' });
      } else {
        candidates.delete(profile);
      }
    }
  }
}

// Fetches a source and replaces its profiles with the upstream ones that resolve.
export async function pullProfileSource(name: string): Promise<PullReport> {
  const config = await readSourceConfig(name);
  if (config === undefined) throw new UserError(`no profile source named ${JSON.stringify(name)}`, 'kbisect profile source list shows them; kbisect profile source add NAME URL adds one');
  const commit = await fetchOrExplain(config);
  const upstream = await readUpstreamProfiles(name, commit);
  const previous = await readSourceSnapshot(name);
  const before = await previousHashes(name, previous);
  const candidates = new Map<string, SourceFile>(upstream.files.map((f) => [f.name, { text: f.text, path: f.path, commit, url: config.url }]));
  const upstreamTexts = new Map(upstream.files.map((f) => [f.name, f.text]));
  const { resolved, problems } = await settleCandidates(name, candidates, previous);

  const state: SourceState = { url: config.url, ref: config.ref, commit, pulledAt: new Date().toISOString(), profiles: {} };
  const texts = new Map<string, string>();
  for (const [profile, file] of candidates) {
    state.profiles[profile] = { path: file.path, commit: file.commit };
    texts.set(profile, file.text);
  }
  await writeSourceSnapshot(name, { state, texts });
  for (const loaded of resolved.values()) {
    await recordSeenProfile({
      hash: loaded.hash,
      name: loaded.profile.name,
      yaml: renderProfileYaml(loaded),
      ...(loaded.sourceUrl === undefined ? {} : { sourceUrl: loaded.sourceUrl }),
      ...(loaded.sourceCommit === undefined ? {} : { sourceCommit: loaded.sourceCommit }),
    });
  }

  const names = [...new Set([...upstreamTexts.keys(), ...(previous?.texts.keys() ?? [])])].sort();
  const profiles = names.map((profile): PulledProfile => {
    const hash = resolved.get(profile)?.hash;
    const previousHash = before.get(profile);
    const known = { name: profile, ...(hash === undefined ? {} : { hash }), ...(previousHash === undefined ? {} : { previousHash }) };
    const problem = problems.get(profile);
    if (!upstreamTexts.has(profile)) return { ...known, status: 'removed' };
    if (problem !== undefined) return { ...known, status: candidates.has(profile) ? 'kept' : 'rejected', problem };
    if (previous?.texts.get(profile) === undefined) return { ...known, status: 'added' };
    // the same file may resolve to another hash: its parent changed
    if (hash !== previousHash) return { ...known, status: 'changed' };
    return { ...known, status: previous.texts.get(profile) === upstreamTexts.get(profile) ? 'unchanged' : 'updated' };
  });
  return { source: name, url: config.url, ref: config.ref, commit, previousCommit: previous?.state.commit ?? null, profiles, skipped: upstream.skipped };
}

// Pulls one source, or every source.
export async function pullProfileSources(name?: string): Promise<PullReport[]> {
  if (name !== undefined) return [await pullProfileSource(name)];
  const configs = await listSourceConfigs();
  if (configs.length === 0) throw new UserError('no profile sources to pull', 'add one: kbisect profile source add NAME URL-or-PATH [--ref REF]');
  const reports: PullReport[] = [];
  for (const config of configs) reports.push(await pullProfileSource(config.name));
  return reports;
}

// Adds a team's repository of profiles under `name` and pulls it; a source that cannot be fetched is not kept.
export async function addProfileSource(name: string, urlOrPath: string, opts: { ref?: string; cwd?: string } = {}): Promise<PullReport> {
  const nameProblem = checkSourceName(name);
  if (nameProblem !== null) throw new UserError(nameProblem, 'name the source as its profiles will be called: NAME/profile');
  const existing = await readSourceConfig(name);
  if (existing !== undefined) {
    throw new UserError(`a profile source named ${JSON.stringify(name)} already exists (${existing.url})`, `pull it (kbisect profile pull ${name}), or remove it first (kbisect profile source remove ${name})`);
  }
  if (opts.ref !== undefined) {
    const refProblem = checkSourceRef(opts.ref);
    if (refProblem !== null) throw new UserError(refProblem, 'give a branch, a tag or a commit id');
  }
  const url = normalizeSourceUrl(urlOrPath, opts.cwd ?? process.cwd());
  await writeSourceConfig({ name, url, ref: opts.ref ?? null, addedAt: new Date().toISOString() });
  try {
    return await pullProfileSource(name);
  } catch (error) {
    await removeSourceDir(name);
    throw error;
  }
}

// Forgets a source and its profiles (sessions keep the resolved profiles they recorded).
export async function removeProfileSource(name: string): Promise<SourceConfig> {
  const config = await readSourceConfig(name);
  if (config === undefined) throw new UserError(`no profile source named ${JSON.stringify(name)}`, 'kbisect profile source list shows them');
  await removeSourceDir(name);
  return config;
}

export interface SourceListing {
  config: SourceConfig;
  commit: string | null;
  pulledAt: string | null;
  profiles: string[];
}

// Every source with its last pull.
export async function listProfileSources(): Promise<SourceListing[]> {
  const out: SourceListing[] = [];
  for (const config of await listSourceConfigs()) {
    const snapshot = await readSourceSnapshot(config.name).catch(() => undefined);
    out.push({ config, commit: snapshot?.state.commit ?? null, pulledAt: snapshot?.state.pulledAt ?? null, profiles: [...(snapshot?.texts.keys() ?? [])].sort() });
  }
  return out;
}
