// The bisection, end to end (one file per concern under app/bisect/):
// start.ts records what to bisect, run.ts drives the pure engine against a
// stage (kernel-stage.ts: builds, boots, netperf; command-stage.ts: a user's
// command), record.ts is the one path every event takes, replay.ts restores
// a log from elsewhere, bundle.ts packs and reads evidence bundles,
// session-ops.ts the small commands.
export { startBisection, type StartOptions } from './bisect/start.ts';
export { runBisection, type RunOptions, type RunOutcome } from './bisect/run.ts';
export { replayLog, type ReplayOptions } from './bisect/replay.ts';
export { prepareEvidenceBundle, replayFromBundle, reportFromBundle, writeEvidenceBundle, type BundleInfo, type BundleReplay, type BundleReport } from './bisect/bundle.ts';
export { exportLog, getPosterior, getStatus, markCommit, resetBisection, type StatusReport } from './bisect/session-ops.ts';
export type { BisectProgress } from './bisect/stage.ts';
export { toJsonResult, buildReportInput } from '../core/bisect/report-input.ts';
export { chooseDirection } from '../core/session-settings.ts';
export type { BisectSession, LoggedEvent } from '../core/session.ts';
export { checkOutputPath, writeOutputFile } from './bisect/report-file.ts';
