// The one path every event takes (a boot, a failure, a user's verdict, a
// replayed record): applied to the engine state first, appended to the log
// only if the engine accepted it, never while the process is being stopped.
import { InterruptedError, UserError } from '../../core/errors.ts';
import { apply, nextActions, replay } from '../../core/bisect/index.ts';
import { engineInput } from '../../core/bisect/report-input.ts';
import type { BisectEvent, BisectState } from '../../core/bisect/types.ts';
import { hostOfBoots, type BisectSession, type EventDetail, type LoggedEvent, type LoggedSampling } from '../../core/session.ts';
import { isShuttingDown } from '../../adapters/cleanup.ts';
import { appendEvent, readEvents, requireSession, type SessionPaths } from '../../adapters/session-store.ts';

export interface EventLog {
  paths: SessionPaths;
  session: BisectSession;
  state: BisectState;
  events: LoggedEvent[];
  // sampling.adaptive: the logged decision(s) on runs per boot (the first one counts)
  sampling: LoggedSampling[];
  warnings: string[];
}

// The session, its events, and the engine state they replay to.
export async function openEventLog(paths: SessionPaths): Promise<EventLog> {
  const session = await requireSession(paths);
  const { events, sampling, warning } = await readEvents(paths, session);
  const state = replayEvents(session, events, paths);
  return { paths, session, state, events, sampling, warnings: warning ? [warning] : [] };
}

// Replays a log; an event the engine refuses names its place in the log.
export function replayEvents(session: BisectSession, events: readonly LoggedEvent[], where: { dir: string } | string): BisectState {
  try {
    return replay(engineInput(session), events.map((e) => e.event));
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    const place = typeof where === 'string' ? where : where.dir;
    throw new UserError(`${place}: the log holds an event the bisection cannot accept: ${error.message}`, 'kbisect reset moves the files aside so that you can start again');
  }
}

function describeEvent(event: BisectEvent, session: BisectSession): string {
  const i = session.commits.findIndex((c) => c.sha === event.commit);
  const who = i === 0 ? `GOOD (${event.commit.slice(0, 12)})` : i === session.commits.length - 1 ? `BAD (${event.commit.slice(0, 12)})` : event.commit.slice(0, 12);
  switch (event.kind) {
    case 'boot':
      return `the sample of ${who}`;
    case 'mark':
      return `marking ${who} ${event.as}`;
    case 'skip':
      return `skipping ${who}`;
    default:
      return `the failure of ${who}`;
  }
}


// Applies `event` to the state and appends it; a refused event leaves the log untouched (UserError).
// A boot measured on another host or accelerator than the log's boots is
// refused: the bisection judges every boot against GOOD's and BAD's, and
// numbers of two machines (or of KVM and TCG) differ by more than any
// regression. A session resumed elsewhere (a shared tree, a replayed log)
// must not mix them silently. With several measurement hosts the same
// holds per host: each host's boots are judged against its own endpoints.
// Not safe to call twice at once (the state of one call would be lost):
// the run loop serializes its calls (serializeRecorder).
export async function recordEvent(log: EventLog, event: BisectEvent, detail?: EventDetail, onNote?: (text: string) => void): Promise<void> {
  if (isShuttingDown()) throw new InterruptedError('interrupted: the measurement in flight was discarded, not logged');
  const engineHost = event.kind === 'boot' ? event.host : undefined;
  if (detail?.source === 'boot' && (log.session.hosts === undefined || engineHost !== undefined)) {
    const where = hostOfBoots(log.events, log.session.hosts === undefined ? undefined : engineHost);
    if (where !== null && (where.host !== detail.host || where.accel !== detail.accel)) {
      const of = engineHost === undefined ? "this bisection's boots" : `the boots of measurement host ${engineHost}`;
      throw new UserError(
        `${describeEvent(event, log.session)} was not recorded: ${of} ran on host ${where.host} (${where.accel}), this one on host ${detail.host} (${detail.accel}); mixing them would judge hosts, not commits`,
        `run it on the host where it began, with --accel ${where.accel}; or kbisect reset and start again here`,
      );
    }
  }
  // a command's samples carry no fingerprint, but a Slurm job names its node: one node per single-host bisection
  const node = detail?.source === 'command' ? detail.job?.node : undefined;
  if (node !== undefined && node !== null && log.session.hosts === undefined) {
    const first = firstJobNode(log.events);
    if (first !== null && first !== node) {
      throw new UserError(
        `${describeEvent(event, log.session)} was not recorded: this bisection's samples ran on node ${first}, this one on node ${node}; mixing them would judge nodes, not commits`,
        `pin it to one node: \`nodes: [${first}]\` in host.yaml's slurm: block (a constraint alone lets Slurm pick any node), then kbisect run again`,
      );
    }
  }
  let next: BisectState;
  try {
    next = apply(log.state, event);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    throw new UserError(`${describeEvent(event, log.session)} was not recorded: ${error.message}`, error.hint ?? 'the log is unchanged');
  }
  const logged: LoggedEvent = { kind: 'event', at: new Date().toISOString(), event, ...(detail ? { detail } : {}) };
  const torn = await appendEvent(log.paths, log.session, logged);
  if (torn) onNote?.(`moved a last line of the log cut short by a crash (${torn.bytes} bytes) aside to ${torn.savedAs}`);
  log.state = next;
  log.events.push(logged);
}

// The node of the first sample that ran as a Slurm job (null: none did).
function firstJobNode(events: readonly LoggedEvent[]): string | null {
  for (const e of events) {
    const d = e.detail;
    if (d !== undefined && (d.source === 'command' || d.source === 'boot') && d.job?.node != null) return d.job.node;
  }
  return null;
}

// A recorder that runs one recordEvent at a time, in call order: several
// measurement hosts report their boots concurrently, and each event must be
// applied to the state the previous one left.
export function serializeRecorder(record: (event: BisectEvent, detail?: EventDetail) => Promise<void>): (event: BisectEvent, detail?: EventDetail) => Promise<void> {
  let tail: Promise<unknown> = Promise.resolve();
  return (event, detail) => {
    const mine = tail.then(() => record(event, detail));
    tail = mine.catch(() => {});
    return mine;
  };
}

// The commit the engine wants measured next, if any.
export function nextMeasured(state: BisectState): string | null {
  const next = nextActions(state).find((a) => a.kind === 'measure');
  return next && next.kind === 'measure' ? next.commit : null;
}
