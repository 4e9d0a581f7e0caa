// What the run loop asks of a measuring stage (kernels, or a user's command).
import type { BisectEvent } from '../../core/bisect/types.ts';
import type { BuildProgress } from '../../core/kernel-build.ts';
import type { EventDetail } from '../../core/session.ts';

export interface BisectProgress {
  step: number;
  commit: string;
  subject: string;
  phase: string;
  // several measurement hosts: the one this progress is from
  host?: string;
  stage: 'build' | 'boot' | 'sample' | 'command';
  build?: BuildProgress;
  bootIndex?: number;
  bootsWanted?: number;
  sample?: { rep: number; reps: number; value: number | null; unit: string };
  leader: string | null;
  leaderProbability: number | null;
  elapsedMs: number;
}

export type Recorder = (event: BisectEvent, detail?: EventDetail) => Promise<void>;
export type Emit = (p: Omit<BisectProgress, 'step' | 'commit' | 'subject' | 'phase' | 'leader' | 'leaderProbability' | 'elapsedMs'>) => void;

export interface Stage {
  // a hint: this commit will probably be measured soon
  prefetch(sha: string): void;
  // measures `sha` `boots` times, recording each result as it arrives; `host`
  // (several measurement hosts): the one node that must run them, named in each boot event
  measure(sha: string, boots: number, record: Recorder, emit: Emit, host?: string): Promise<void>;
  // the run is over: drop what the stage registered for Ctrl-C
  dispose?(): void;
}

export interface StageOptions {
  jobs?: number;
  // where the session files are (default: the repository's git dir); runBisection's own option, passed through
  sessionDir?: string;
  onNote?: (text: string) => void;
  signal?: AbortSignal;
}
