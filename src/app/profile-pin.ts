// Pinned profiles: `--profile team/tcp-rr@568adfd9` measures only content
// whose hash starts with the pin. When the content moved on, the run is
// refused with both hashes, the source commits and what changed; to show
// that, the pinned content is looked up among the profiles this machine has
// seen (profile-history) and then in the source's git history.
import { findSeenProfiles, listSourceHistory, readSourceSnapshot, readUpstreamProfiles } from '../adapters/profile-source.ts';
import { UserError } from '../core/errors.ts';
import { diffProfiles, formatProfileDiff } from '../core/profile/index.ts';
import { diskCatalog, overlayCatalog, parseProfileText, resolveProfileDoc, sourceDoc, type LoadedProfile, type SourceFile } from './profiles.ts';

// How far back a source's history is searched for a pinned hash.
const MAX_HISTORY_COMMITS = 200;

// The content a pin named, among the resolved profiles recorded on this machine.
async function findInHistoryStore(pin: string): Promise<LoadedProfile[]> {
  const found: LoadedProfile[] = [];
  for (const seen of await findSeenProfiles(pin)) {
    try {
      const loaded = parseProfileText(seen.yaml, `profile history: ${seen.name} sha256 ${seen.hash.slice(0, 12)}`, 'file');
      // a history file is kept only if it still hashes to its name
      if (loaded.hash !== seen.hash) continue;
      found.push({ ...loaded, ...(seen.sourceUrl === undefined ? {} : { sourceUrl: seen.sourceUrl }), ...(seen.sourceCommit === undefined ? {} : { sourceCommit: seen.sourceCommit }) });
    } catch {
      // an unreadable history entry is no evidence
    }
  }
  return found;
}

// The content a pin named, in the git history of the profile's source: each
// commit's files resolved as a pull would have resolved them.
async function findInSourceHistory(current: LoadedProfile, pin: string): Promise<LoadedProfile | undefined> {
  const [source, name] = current.profile.name.split('/');
  if (current.origin !== 'source' || source === undefined || name === undefined) return undefined;
  const snapshot = await readSourceSnapshot(source);
  if (snapshot === undefined) return undefined;
  for (const commit of await listSourceHistory(source, snapshot.state.commit, MAX_HISTORY_COMMITS)) {
    try {
      const upstream = await readUpstreamProfiles(source, commit);
      const files = new Map<string, SourceFile>(upstream.files.map((f) => [f.name, { text: f.text, path: f.path, commit, url: snapshot.state.url }]));
      const file = files.get(name);
      if (file === undefined) continue;
      const loaded = await resolveProfileDoc(sourceDoc(source, name, file), overlayCatalog(diskCatalog(), source, files));
      if (loaded.hash.startsWith(pin)) return loaded;
    } catch {
      // a commit whose profile did not resolve never had the pinned hash
    }
  }
  return undefined;
}

// What `NAME@PIN` pinned: one resolved profile, or undefined when this machine never saw it.
async function lookUpPinned(current: LoadedProfile, arg: string, pin: string): Promise<LoadedProfile | undefined> {
  const stored = await findInHistoryStore(pin);
  const hashes = [...new Set(stored.map((p) => p.hash))];
  if (hashes.length > 1) {
    throw new UserError(`${arg}: the pin @${pin} matches ${hashes.length} profiles (${hashes.map((h) => h.slice(0, 16)).join(', ')})`, 'give more digits of the hash');
  }
  // the source's history knows the commit; the store may not
  const fromSource = await findInSourceHistory(current, pin).catch(() => undefined);
  return fromSource ?? stored[0];
}

// `NAME@PIN` for `profile diff` and `profile show`: the content the pin names, wherever it is found.
export async function findPinnedProfile(current: LoadedProfile, arg: string, pin: string): Promise<LoadedProfile> {
  const pinned = await lookUpPinned(current, arg, pin);
  if (pinned !== undefined) return pinned;
  throw new UserError(
    `${arg}: no profile with a hash starting ${pin} is known here (${current.profile.name} is now sha256 ${current.hash})`,
    'a pinned hash is found among the profiles pulled or imported on this machine and in the history of its source',
  );
}

// Why a pinned run is refused: both hashes, the source commits, and what changed.
export async function refusePinnedProfile(current: LoadedProfile, arg: string, pin: string): Promise<UserError> {
  const pinned = await lookUpPinned(current, arg, pin).catch(() => undefined);
  const where = (p: LoadedProfile): string => (p.sourceUrl === undefined ? '' : ` (${p.sourceUrl}, commit ${p.sourceCommit ?? 'unknown'})`);
  const lines = [
    `${arg}: refusing to measure: ${current.profile.name} no longer has the pinned content`,
    `  pinned: sha256 ${pinned?.hash ?? `${pin}...`}${pinned === undefined ? ' (its content is not known on this machine)' : where(pinned)}`,
    `  now:    sha256 ${current.hash}${where(current)}`,
  ];
  if (pinned !== undefined) {
    const diff = diffProfiles(pinned.profile, current.profile);
    lines.push(`  profile diff (pinned → now):`, ...formatProfileDiff(diff).map((l) => `  ${l}`));
  }
  return new UserError(
    lines.join('\n'),
    `to measure the new content, pin it: ${current.profile.name}@${current.hash.slice(0, 8)} (its results are filed under the new hash); to keep the old one, ask the source's owners or add the source again with --ref at the commit that had it`,
  );
}
