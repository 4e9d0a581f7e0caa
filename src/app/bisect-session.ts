// The files of one bisection, kept per repository under its git dir (like
// git's BISECT_* files): session.json (what is being bisected, written
// atomically), events.jsonl (every verdict-relevant event, fsync'd as it
// arrives: the engine's state is a replay of it), and a run lock.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../core/errors.ts';
import type { BisectConfig } from '../core/bisect/config.ts';
import type { BisectEvent } from '../core/bisect/types.ts';
import type { CommitInfo } from '../core/report/types.ts';
import type { KernelConfigSpec } from '../core/kernel-config.ts';
import type { AccelChoice } from '../core/measure/types.ts';
import { findGitCommonDir } from '../adapters/git.ts';
import { appendJsonl, readJsonl, writeFileAtomic } from '../adapters/store.ts';
import { readFile } from 'node:fs/promises';

export interface BisectSession {
  kind: 'session';
  version: 1;
  repo: string;
  createdAt: string;
  goodRev: string;
  badRev: string;
  // oldest → newest: [0] is GOOD, the last is BAD
  commits: CommitInfo[];
  firstParent: boolean;
  paths: string[];
  terms: { old: string; new: string };
  // bisecting a speedup: the "new" state is faster
  improvement: boolean;
  mode: 'kernel' | 'command';
  command: string | null;
  profile: { source: string; name: string; hash: string; yaml: string } | null;
  test: { name: string; metric: string; unit: string; higherIsBetter: boolean };
  runsPerBoot: number;
  accel: AccelChoice;
  toolchain: string | null;
  kernelConfig: KernelConfigSpec | null;
  config: BisectConfig;
}

export interface LoggedEvent {
  kind: 'event';
  at: string;
  event: BisectEvent;
  // the evidence behind the event: image hash, boot index, every test's runs, console tail...
  detail?: Record<string, unknown>;
}

export interface SessionPaths {
  dir: string;
  session: string;
  events: string;
  lock: string;
  report: string;
}

// Where the bisection files of `repo` live.
export async function sessionPaths(repo: string): Promise<SessionPaths> {
  const dir = join(await findGitCommonDir(repo), 'kbisect');
  return {
    dir,
    session: join(dir, 'session.json'),
    events: join(dir, 'events.jsonl'),
    lock: join(dir, 'run.lock'),
    report: join(dir, 'report.json'),
  };
}

export async function readSession(paths: SessionPaths): Promise<BisectSession | null> {
  let text: string;
  try {
    text = await readFile(paths.session, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return JSON.parse(text) as BisectSession;
}

// The session, or a UserError saying how to start one.
export async function requireSession(paths: SessionPaths): Promise<BisectSession> {
  const session = await readSession(paths);
  if (!session) {
    throw new UserError('no bisection in progress in this repository', 'start one: kbisect start GOOD BAD --profile tcp-rr');
  }
  return session;
}

export async function writeSession(paths: SessionPaths, session: BisectSession): Promise<void> {
  await writeFileAtomic(paths.session, `${JSON.stringify(session, null, 2)}\n`);
}

export async function appendEvent(paths: SessionPaths, logged: LoggedEvent): Promise<void> {
  await appendJsonl(paths.events, logged);
}

// Every logged event; a line torn by a crash mid-append is dropped with a warning.
export async function readEvents(paths: SessionPaths): Promise<{ events: LoggedEvent[]; warning: string | null }> {
  const { records, truncatedTail } = await readJsonl<LoggedEvent>(paths.events);
  return {
    events: records.filter((r) => r.kind === 'event'),
    warning: truncatedTail === null ? null : `${paths.events}: dropped a last line cut short by a crash (${truncatedTail.length} bytes)`,
  };
}

// Removes the session files (not the kernel cache nor the measurements store).
export async function removeSession(paths: SessionPaths): Promise<void> {
  await rm(paths.session, { force: true });
  await rm(paths.events, { force: true });
  await rm(paths.report, { force: true });
}
