// Logs recorded by the engine as it was before issue 14 (the decision rules
// now called rules 1), with their settings stored as sessions stored them:
// without `rules`. They must replay to the same answer, step for step, for
// a session started before an upgrade to read the same afterwards.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replay, summarize, type BisectConfig, type BisectEvent } from '../../../src/core/bisect/index.ts';
import { engineInput } from '../../../src/core/bisect/report-input.ts';
import type { BisectSession } from '../../../src/core/session.ts';

interface RecordedLog {
  readonly name: string;
  readonly commits: string[];
  /** As stored before `rules` existed. */
  readonly config: Omit<BisectConfig, 'rules' | 'firstLookBoots' | 'maxReferenceEvery'>;
  readonly events: BisectEvent[];
  readonly expected: Record<string, unknown>;
}

const logs = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'pre-issue-14-logs.json'), 'utf8')) as RecordedLog[];

// FNV-1a, 32 bits: the fingerprint the fixture keeps of the steps.
function digest(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

// A stored command-mode session around a log's settings.
function sessionOf(log: RecordedLog, config: Record<string, unknown>): BisectSession {
  const commit = (sha: string) => ({ sha, subject: sha, author: 'a', date: '2026-01-01T00:00:00Z' });
  return {
    kind: 'session',
    version: 1,
    mode: 'command',
    command: './measure.sh',
    profile: null,
    repo: '/tmp/repo',
    createdAt: '2026-01-01T00:00:00Z',
    goodRev: 'good',
    badRev: 'bad',
    commits: log.commits.map(commit),
    firstParent: false,
    paths: [],
    terms: { old: 'good', new: 'bad' },
    improvement: false,
    accel: 'auto',
    toolchain: null,
    test: { name: 'command', metric: 'value', unit: 'value', higherIsBetter: true },
    runsPerBoot: 1,
    kernelConfig: null,
    config: config as unknown as BisectConfig,
  };
}

function answerOf(state: ReturnType<typeof replay>) {
  const r = summarize(state);
  return {
    outcome: r.outcome,
    culprit: r.culprit,
    range: r.range ?? null,
    explainsFullChange: r.explainsFullChange,
    boots: r.boots,
    builds: r.builds,
    steps: r.steps.length,
    stepsDigest: digest(JSON.stringify(r.steps)),
    warnings: r.warnings,
  };
}

describe('logs recorded before issue 14 replay to the same answer', () => {
  it.each(logs.map((log) => [log.name, log] as const))('%s', (_name, log) => {
    const input = engineInput(sessionOf(log, { ...log.config }));
    expect(input.config.rules).toBe(1);
    expect(answerOf(replay(input, log.events))).toEqual(log.expected);
  });

  it('a session stored with rules 2 keeps them', () => {
    const log = logs[0] as RecordedLog;
    expect(engineInput(sessionOf(log, { ...log.config, rules: 2 })).config.rules).toBe(2);
  });
});
