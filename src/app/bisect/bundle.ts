// Evidence bundles: `kbisect report --bundle FILE.tar.gz` packs a bisection's
// whole evidence (session, event log, profile, host fingerprints, the .config
// and build identity of every kernel measured, the reports) into one
// checksummed archive; `kbisect report FILE.tar.gz` renders its report on any
// machine, with no repository; `kbisect replay --from-bundle FILE.tar.gz`
// re-runs the statistics from its samples, checks they give the verdict it
// records, and restores it into a clone of the tree. A bundle is verified
// whole before any of it is used, and nothing in it runs: a command or a
// compiler it carries needs the same consent as a `kbisect log` file.
import { resolve } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { nextActions, summarize } from '../../core/bisect/index.ts';
import { buildReportInput, toJsonResult } from '../../core/bisect/report-input.ts';
import type { BisectResult, BisectState } from '../../core/bisect/types.ts';
import {
  agreeWithinRounding,
  assembleMembers,
  BUNDLE_LIMITS,
  composeReadme,
  describeVerdict,
  isSameVerdict,
  kernelConfigMember,
  listMeasured,
  MEMBER,
  parseJsonLines,
  parseRecordedVerdict,
  readMembers,
  type BundleLimits,
  type BundleTexts,
  type HostRecord,
  type KernelRecord,
  type Verdict,
} from '../../core/bundle/contents.ts';
import { buildManifest, encodeManifest, MANIFEST_NAME, verifyManifest, type Manifest } from '../../core/bundle/manifest.ts';
import { decodeTar, encodeTar } from '../../core/bundle/tar.ts';
import { renderReportHtml } from '../../core/report/html.ts';
import { formatReportText } from '../../core/report/text.ts';
import type { ReportInput } from '../../core/report/types.ts';
import { orderLogRecords, type BisectSession, type LoggedEvent, type LoggedSampling } from '../../core/session.ts';
import { findHostFacts, findKernelEvidence, gunzipBundle, gzipBundle, readGzipFile, sha256OfBytes, writeBundleFile } from '../../adapters/bundle.ts';
import { sessionPaths } from '../../adapters/session-store.ts';
import { version } from '../../version.ts';
import { defaultResultsPath } from '../measure.ts';
import { openEventLog, replayEvents } from './record.ts';
import { checkConsent, restoreSession, validateLogRecords, type ReplayOptions } from './replay.ts';
import type { StatusReport } from './session-ops.ts';

const BUNDLE_HINT = 'ask for the bundle again (`kbisect report --bundle FILE.tar.gz` writes one); a bundle is checked whole and never partly used';

export interface BundleInfo {
  file: string;
  // sha256 of the manifest's member list: the bundle's identity
  setSha256: string;
  createdAt: string;
  kbisectVersion: string;
  members: number;
  // size of the .tar.gz
  bytes: number;
  hosts: HostRecord[];
  kernels: KernelRecord[];
}

// The reports exactly as `kbisect report` prints them (text, --json) and writes them (--html).
function renderReports(session: BisectSession, result: BisectResult, report: ReportInput): { text: string; json: string; html: string } {
  const text = formatReportText(report);
  return {
    text: text.endsWith('\n') ? text : `${text}\n`,
    json: `${JSON.stringify(toJsonResult(session, result, report), null, 2)}\n`,
    html: renderReportHtml(report),
  };
}

function statusOf(session: BisectSession, state: BisectState, events: readonly LoggedEvent[], sampling: readonly LoggedSampling[], generatedAt: string, warnings: string[]): StatusReport {
  return { session, result: summarize(state), report: buildReportInput(session, state, events, generatedAt, sampling), next: nextActions(state), warnings };
}

export interface PreparedBundle {
  status: StatusReport;
  gz: Uint8Array;
  info: Omit<BundleInfo, 'file'>;
}

// Packs the repository's bisection and what this host knows about its boots; read back in memory before it is returned.
export async function prepareEvidenceBundle(repo: string, now: Date = new Date()): Promise<PreparedBundle> {
  const log = await openEventLog(await sessionPaths(repo));
  const { eventsFile: _local, ...session } = log.session;
  const createdAt = now.toISOString();
  const status = statusOf(log.session, log.state, log.events, log.sampling, createdAt, log.warnings);
  const measured = listMeasured(log.events);
  const facts = await findHostFacts(defaultResultsPath(), new Set(measured.hosts.map((h) => h.id)));
  const hosts: HostRecord[] = measured.hosts.map((h) => ({ ...h, facts: facts.get(h.id) ?? null }));
  const configs = new Map<string, Uint8Array>();
  const kernels: KernelRecord[] = [];
  for (const k of measured.kernels) {
    const member = kernelConfigMember(k.imageHash);
    const found = member === null ? { build: null, config: null, missing: 'its image id is not a sha256: no cache entry can hold it' } : await findKernelEvidence(k.commit, k.imageHash);
    if (found.config !== null && member !== null && !configs.has(k.imageHash)) configs.set(k.imageHash, found.config);
    kernels.push({ ...k, build: found.build, config: found.config === null ? null : member, missing: found.missing });
  }
  const members = assembleMembers({
    readme: composeReadme({ createdAt, kbisectVersion: version, mode: session.mode, repo: session.repo, range: `${session.goodRev}..${session.badRev}` }),
    sessionText: `${JSON.stringify(session, null, 2)}\n`,
    eventsText: orderLogRecords(log.events, log.sampling).map((e) => `${JSON.stringify(e)}\n`).join(''),
    profileYaml: session.mode === 'kernel' ? session.profile.yaml : null,
    hosts,
    kernels,
    configs,
    reports: renderReports(log.session, status.result, status.report),
  });
  const manifest = buildManifest(members, { createdAt, kbisectVersion: version }, sha256OfBytes);
  const all = [{ name: MANIFEST_NAME, data: encodeManifest(manifest) }, ...members];
  const total = all.reduce((sum, m) => sum + m.data.length, 0);
  if (total > BUNDLE_LIMITS.maxTotalBytes || all.length > BUNDLE_LIMITS.maxMembers) {
    throw new UserError(
      `this bisection's evidence is ${all.length} members, ${total} bytes: more than a bundle may hold (${BUNDLE_LIMITS.maxMembers} members, ${BUNDLE_LIMITS.maxTotalBytes} bytes)`,
      'share the log instead: kbisect log > FILE (kbisect replay FILE reads it)',
    );
  }
  const tar = encodeTar(all, Math.floor(now.getTime() / 1000));
  if (tar.length > BUNDLE_LIMITS.maxUnpackedBytes) {
    throw new UserError(
      `this bisection's evidence is ${tar.length} bytes as an archive: more than the ${BUNDLE_LIMITS.maxUnpackedBytes} a bundle may hold`,
      'share the log instead: kbisect log > FILE (kbisect replay FILE reads it)',
    );
  }
  const gz = gzipBundle(tar);
  // what another machine will do first: a bundle we could not read back is never written
  parseBundle(gunzipBundle(gz, BUNDLE_LIMITS.maxUnpackedBytes), 'the bundle just packed', BUNDLE_LIMITS, gz.length);
  return { status, gz, info: { setSha256: manifest.setSha256, createdAt, kbisectVersion: version, members: all.length, bytes: gz.length, hosts, kernels } };
}

// Writes a prepared bundle (atomically); a failure names the option and the path.
export async function writeEvidenceBundle(path: string, prepared: PreparedBundle): Promise<BundleInfo> {
  try {
    await writeBundleFile(resolve(path), prepared.gz);
  } catch (error) {
    throw new UserError(`--bundle ${path}: could not write the file: ${(error as Error).message}`, 'the report above is complete; choose another path and run `kbisect report --bundle FILE` again');
  }
  return { file: path, ...prepared.info };
}

interface OpenedBundle {
  info: BundleInfo;
  manifest: Manifest;
  texts: BundleTexts;
  session: BisectSession;
  events: LoggedEvent[];
  sampling: LoggedSampling[];
}


function parseBundle(tar: Uint8Array, file: string, limits: BundleLimits, bytes: number): OpenedBundle {
  const members = decodeTar(tar, limits, file, BUNDLE_HINT);
  const { manifest, members: verified } = verifyManifest(members, sha256OfBytes, file, BUNDLE_HINT);
  const texts = readMembers(verified, file, BUNDLE_HINT);
  let sessionValue: unknown;
  try {
    sessionValue = JSON.parse(texts.sessionText);
  } catch {
    throw new UserError(`${file}: ${MEMBER.session}: expected JSON, got text that does not parse`, BUNDLE_HINT);
  }
  const { session, events, sampling } = validateLogRecords(
    { where: `${file}: ${MEMBER.session}`, value: sessionValue },
    parseJsonLines(texts.eventsText, `${file}: ${MEMBER.events}`, BUNDLE_HINT).map(({ line, value }) => ({ where: `${file}: ${MEMBER.events}:${line}`, value })),
    { empty: `${file}: ${MEMBER.session}`, hint: BUNDLE_HINT },
  );
  const embedded = session.mode === 'kernel' ? session.profile.yaml : null;
  if (texts.profileYaml !== embedded) throw new UserError(`${file}: ${MEMBER.profile} is not the profile ${MEMBER.session} embeds`, BUNDLE_HINT);
  // the engine must accept every event before anything is shown
  replayEvents(session, events, `${file}: ${MEMBER.events}`);
  const info: BundleInfo = { file, setSha256: manifest.setSha256, createdAt: manifest.createdAt, kbisectVersion: manifest.kbisectVersion, members: members.length, bytes, hosts: texts.hosts, kernels: texts.kernels };
  return { info, manifest, texts, session, events, sampling };
}

// Reads and verifies a bundle file within the caps (tests pass smaller ones).
export async function openBundle(file: string, limits: BundleLimits = BUNDLE_LIMITS): Promise<OpenedBundle> {
  const { data, fileBytes } = await readGzipFile(file, { maxFileBytes: limits.maxFileBytes, maxUnpackedBytes: limits.maxUnpackedBytes }, BUNDLE_HINT);
  return parseBundle(data, file, limits, fileBytes);
}

function verdictOf(result: BisectResult): Verdict {
  return { outcome: result.outcome, culprit: result.culprit?.commit ?? null, range: result.range ? [...result.range.commits] : null };
}

export interface BundleReport extends StatusReport {
  bundle: BundleInfo;
  // what `kbisect report` prints and writes for the bundle: text, --json, --html
  rendered: { text: string; json: string; html: string };
}

// The report of a bundle: its statistics re-run from the samples; when they
// give its verdict, the report it carries (byte for byte what `kbisect report`
// printed where it was written), else the one recomputed here, with a warning.
// The recomputed report's fields that the carried one has: a field this kbisect
// adds (`sampling`) is not a figure that differs in a bundle written before it.
function keepFieldsOf(again: unknown, carried: unknown): unknown {
  if (again === null || carried === null || typeof again !== 'object' || typeof carried !== 'object' || Array.isArray(again) || Array.isArray(carried)) return again;
  return Object.fromEntries(Object.entries(again).filter(([k]) => Object.hasOwn(carried, k)));
}

export async function reportFromBundle(file: string): Promise<BundleReport> {
  const b = await openBundle(file);
  const state = replayEvents(b.session, b.events, file);
  const status = statusOf(b.session, state, b.events, b.sampling, b.manifest.createdAt, []);
  const carried = b.texts.reports;
  const again = renderReports(b.session, status.result, status.report);
  const replayed = verdictOf(status.result);
  const recorded = parseRecordedVerdict(carried.json);
  if (recorded === null || !isSameVerdict(recorded, replayed)) {
    status.warnings.push(
      `the bundle's samples give ${describeVerdict(replayed)} here, but the report it carries (kbisect ${b.manifest.kbisectVersion}) says ${recorded === null ? 'nothing this kbisect can read' : describeVerdict(recorded)}: shown is the report recomputed here`,
    );
    return { ...status, bundle: b.info, rendered: again };
  }
  if (again.json !== carried.json && !agreeWithinRounding(keepFieldsOf(JSON.parse(again.json), JSON.parse(carried.json)), JSON.parse(carried.json))) {
    status.warnings.push(`the bundle's samples give the same verdict here, but some figures differ from the report it carries (written by kbisect ${b.manifest.kbisectVersion}, read by ${version}): shown is the carried report`);
  }
  return { ...status, bundle: b.info, rendered: carried };
}

export interface BundleReplay extends StatusReport {
  archived: string | null;
  bundle: BundleInfo;
  // the verdict the bundle records and the one its samples give here
  verdict: { recorded: Verdict | null; replayed: Verdict; same: boolean; text: string };
}

// Re-runs the statistics of a bundle, compares the verdict, and restores it into `repo` (consent as for a log file).
export async function replayFromBundle(repo: string, file: string, opts: ReplayOptions = {}): Promise<BundleReplay> {
  const b = await openBundle(file);
  checkConsent(file, b.session, opts);
  const replayed = verdictOf(summarize(replayEvents(b.session, b.events, file)));
  const recorded = parseRecordedVerdict(b.texts.reports.json);
  const same = recorded !== null && isSameVerdict(recorded, replayed);
  const text =
    recorded === null
      ? `the bundle's ${MEMBER.reportJson} records no verdict; its samples give: ${describeVerdict(replayed)}`
      : same
        ? `same verdict as the bundle records: ${describeVerdict(replayed)}`
        : `the samples give ${describeVerdict(replayed)}, but the bundle (kbisect ${b.manifest.kbisectVersion}) records ${describeVerdict(recorded)}`;
  const restored = await restoreSession(repo, b.session, b.events, file, b.sampling);
  return { ...restored, bundle: b.info, verdict: { recorded, replayed, same, text } };
}
