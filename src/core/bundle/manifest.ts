// The manifest of an evidence bundle: the sha256 and size of every other
// member, and the sha256 of that whole list (the bundle's identity, the
// number to quote). A bundle is used whole or not at all: a member missing,
// added, resized or changed, or a list that does not hash to its stated sum,
// refuses the bundle. These sums detect truncation, corruption and careless
// edits; they are not signatures (whoever edits a member can rewrite the
// manifest too), which is why nothing in a bundle is ever run without consent.
// Pure: the sha256 function is passed in.
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { checkSchema, formatProblem } from '../schema.ts';
import type { TarMember } from './tar.ts';

export const MANIFEST_NAME = 'manifest.json';
export const BUNDLE_FORMAT = 'kbisect-evidence-bundle';
export const BUNDLE_VERSION = 1;

export type Sha256 = (data: Uint8Array) => string;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 (64 lowercase hex digits)');
const entrySchema = z.object({ name: z.string().min(1).max(256), bytes: z.number().int().nonnegative(), sha256: hex64 }).strict();
export const manifestSchema = z
  .object({
    format: z.literal(BUNDLE_FORMAT),
    version: z.literal(BUNDLE_VERSION),
    // when the bundle was written (ISO 8601); its reports are stamped with it
    createdAt: z.iso.datetime(),
    kbisectVersion: z.string().min(1).max(64),
    // sha256 of the canonical listing of `members` (see listingOf)
    setSha256: hex64,
    members: z.array(entrySchema),
  })
  .strict();
export type ManifestEntry = z.infer<typeof entrySchema>;
export type Manifest = z.infer<typeof manifestSchema>;

const encoder = new TextEncoder();

// The canonical listing the set hash covers: one `sha256  bytes  name` line per member, by name (like sha256sum).
export function listingOf(entries: readonly ManifestEntry[]): string {
  return [...entries]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((e) => `${e.sha256}  ${e.bytes}  ${e.name}\n`)
    .join('');
}

// The manifest of `members` (the manifest itself is not among them).
export function buildManifest(members: readonly TarMember[], meta: { createdAt: string; kbisectVersion: string }, sha256: Sha256): Manifest {
  const entries = members.map((m) => ({ name: m.name, bytes: m.data.length, sha256: sha256(m.data) }));
  return { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, createdAt: meta.createdAt, kbisectVersion: meta.kbisectVersion, setSha256: sha256(encoder.encode(listingOf(entries))), members: entries };
}

// The manifest as the bundle stores it (pretty JSON, newline-terminated).
export function encodeManifest(manifest: Manifest): Uint8Array {
  return encoder.encode(`${JSON.stringify(manifest, null, 2)}\n`);
}

export interface VerifiedMembers {
  manifest: Manifest;
  // every member but the manifest, by name, each matching its sum
  members: ReadonlyMap<string, Uint8Array>;
}

// Checks every member against the manifest and the manifest against its set hash; the first mismatch is a UserError.
export function verifyManifest(members: readonly TarMember[], sha256: Sha256, where: string, hint?: string): VerifiedMembers {
  const refuse = (message: string): UserError => new UserError(`${where}: ${message}`, hint);
  const byName = new Map(members.map((m) => [m.name, m.data]));
  const raw = byName.get(MANIFEST_NAME);
  if (raw === undefined) throw refuse(`expected a ${MANIFEST_NAME} member, got none: not a kbisect evidence bundle`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    throw refuse(`${MANIFEST_NAME}: expected JSON, got ${raw.length} bytes that do not parse`);
  }
  const version = (value as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > BUNDLE_VERSION) {
    throw new UserError(`${where}: written in bundle format version ${version}; this kbisect reads version ${BUNDLE_VERSION}`, 'read it with a newer kbisect');
  }
  const checked = checkSchema(manifestSchema, value);
  if (!checked.ok) throw refuse(`${MANIFEST_NAME}: ${checked.problems.slice(0, 3).map((p) => formatProblem('', p)).join('; ')}`);
  const manifest = checked.value;
  const setSum = sha256(encoder.encode(listingOf(manifest.members)));
  if (setSum !== manifest.setSha256) throw refuse(`${MANIFEST_NAME}: its member list hashes to ${setSum}, not to the ${manifest.setSha256} it states: the manifest was altered`);
  const listed = new Set<string>();
  for (const entry of manifest.members) {
    if (entry.name === MANIFEST_NAME || listed.has(entry.name)) throw refuse(`${MANIFEST_NAME}: lists ${entry.name} twice`);
    listed.add(entry.name);
    const data = byName.get(entry.name);
    if (data === undefined) throw refuse(`member ${entry.name} is listed in the manifest but missing: the bundle is incomplete`);
    if (data.length !== entry.bytes) throw refuse(`member ${entry.name} is ${data.length} bytes, the manifest says ${entry.bytes}: it was altered or cut short`);
    const sum = sha256(data);
    if (sum !== entry.sha256) throw refuse(`member ${entry.name} does not match its checksum (sha256 ${sum}, the manifest says ${entry.sha256}): it was altered`);
  }
  for (const name of byName.keys()) {
    if (name !== MANIFEST_NAME && !listed.has(name)) throw refuse(`member ${name} is not in the manifest: something was added to the bundle`);
  }
  byName.delete(MANIFEST_NAME);
  return { manifest, members: byName };
}
