// `--executor local|slurm` as a user types it on run, sweep run, compare and
// matrix: one help text, one refusal when host.yaml has no slurm: block (exit
// 2 before anything is recorded), sweep run's need of a pinned node, matrix's
// input checked here before its one job goes to the cluster.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError, runCli } from '../../src/cli/index.ts';
import { createContext } from '../../src/cli/context.ts';
import { EXECUTOR_HELP, formatExecutorSummary } from '../../src/cli/executor.ts';
import { UserError } from '../../src/core/errors.ts';
import { makeBenchRepo, type BenchRepo } from '../helpers/bench-repo.ts';
import { setEnv } from '../helpers/temp-dir.ts';

let r: BenchRepo;
let restore: () => void;
const configDir = (): string => join(r.dir, 'config');
const hostYaml = (text: string): void => writeFileSync(join(configDir(), 'host.yaml'), text);

beforeAll(() => {
  r = makeBenchRepo({ prefix: 'kbisect-executor-opt-' });
  mkdirSync(configDir());
  restore = setEnv({ KBISECT_CACHE_DIR: join(r.dir, 'cache'), KBISECT_DATA_DIR: join(r.dir, 'data'), KBISECT_CONFIG_DIR: configDir() });
});

afterAll(() => {
  restore();
  r.remove();
});

const cli = (...args: string[]): Promise<string> => runCli(['-C', r.repo, ...args], createContext((raw) => raw ?? r.repo));
const refusal = async (args: string[]): Promise<UserError> => {
  const error = await cli(...args).catch((e: unknown) => e);
  expect(error, String(error)).toBeInstanceOf(UserError);
  return error as UserError;
};
const good = (): string => r.shas[0] as string;
const bad = (): string => r.shas[r.shas.length - 1] as string;
const kbisectDir = (): string => join(r.repo, '.git', 'kbisect');

// Every command that measures, with the least input that gets it to choose an executor.
const commands = (): [string, string[]][] => [
  ['run', ['run']],
  ['sweep run', ['sweep', 'run', '--cmd', 'bash bench.sh', '--range', `${good()}..${bad()}`]],
  ['compare', ['compare', good(), bad(), '--cmd', 'bash bench.sh']],
  ['matrix', ['matrix', '--kernel', '/nonexistent/bzImage']],
];

describe('--executor on every command that measures', () => {
  it('the same help text on run, sweep run, compare and matrix', async () => {
    const flat = (s: string): string => s.replace(/\s+/g, ' ');
    for (const [, args] of commands()) {
      let help = '';
      const log = console.log;
      console.log = (s: string) => (help += s);
      try {
        await cli(...args.slice(0, args[0] === 'sweep' ? 2 : 1), '--help');
      } finally {
        console.log = log;
      }
      expect(flat(help), args.join(' ')).toContain(flat(EXECUTOR_HELP));
      expect(help).toMatch(/--executor\s+.*\[choices: "local", "slurm"\]/s);
    }
  });

  it('a value other than local or slurm is a usage error naming both', async () => {
    for (const [name, args] of commands()) {
      const error = await cli(...args, '--executor', 'ssh').catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(/executor.*Given: "ssh", Choices: "local", "slurm"/s);
    }
  });

  it('--executor slurm without a slurm: block in host.yaml: one refusal, the same on every command, before anything is recorded', async () => {
    hostYaml('accel: auto\n');
    expect(await cli('start', good(), bad(), '--cmd', 'bash bench.sh')).toBe('ok');
    for (const [name, args] of commands()) {
      const error = await refusal([...args, '--executor', 'slurm']);
      expect(error.message, name).toBe('--executor slurm needs the cluster settings: a `slurm:` block in host.yaml (at least sharedDir)');
      expect(error.hint, name).toMatch(/slurm: \{sharedDir: .*host\.yaml; kbisect doctor --executor slurm checks it/);
    }
    // nothing measured, no sweep, no comparison
    expect(existsSync(join(kbisectDir(), 'events.jsonl'))).toBe(false);
    expect(existsSync(join(kbisectDir(), 'compare'))).toBe(false);
    expect(existsSync(join(r.dir, 'data', 'sweeps'))).toBe(false);
    expect(await cli('reset')).toBe('ok');
  });

  it("host.yaml's executor is the default; --executor local overrides it", async () => {
    hostYaml('executor: slurm\nslurm:\n  sharedDir: /nonexistent/shared\n');
    // a pinned node is what a sweep needs: the refusal shows host.yaml's slurm was chosen
    const sweep = await refusal(['sweep', 'run', '--cmd', 'bash bench.sh', '--range', `${good()}..${bad()}`]);
    expect(sweep.message).toMatch(/sweep run --executor slurm: expected `nodes` in host\.yaml's slurm: block \(the measurement node\), got none/);
    expect(sweep.hint).toMatch(/nodes: \[perf01\]/);
    expect(existsSync(join(r.dir, 'data', 'sweeps'))).toBe(false);
    // local: measured here, as without host.yaml
    const local = await cli('sweep', 'run', '--cmd', 'bash bench.sh', '--range', `${good()}..${r.shas[2]}`, '--boots', '1', '--no-confirm', '--executor', 'local', '--json');
    expect(local).toBe('ok');
    expect(readdirSync(join(r.dir, 'data', 'sweeps'))).toHaveLength(1);
  });

  it('matrix takes Slurm (the whole matrix as one job on the measurement node): it first checks its input here', async () => {
    hostYaml('slurm:\n  sharedDir: /nonexistent/shared\n  perfPartition: perf\n  nodes: [perf01]\n');
    // the image is looked at before anything goes to the cluster
    await expect(cli('matrix', '--kernel', '/nonexistent/bzImage', '--executor', 'slurm')).rejects.toThrow(/--kernel: no such file/);
    await expect(cli('matrix', '--kernel', '/nonexistent/bzImage', '--executor', 'local')).rejects.toThrow(/--kernel: no such file/);
  });
});

describe('formatExecutorSummary', () => {
  it('one line: jobs, re-attached, results, builds when any, infra apart, the log(s)', () => {
    const counts = { submitted: 12, reattached: 2, samples: 9, builds: 0, infra: 1, cancelled: 3, open: 0 };
    expect(formatExecutorSummary({ kind: 'slurm', jobsLog: '/s/slurm-jobs.jsonl', ...counts })).toBe(
      'kbisect: Slurm: 12 job(s) submitted, 2 re-attached after a crash, 9 result(s) recorded, 1 infra error(s) (retried, not evidence), 3 cancelled; log /s/slurm-jobs.jsonl',
    );
    expect(formatExecutorSummary({ kind: 'slurm', jobsLog: '/s/a.jsonl', jobsLogs: ['/s/a.jsonl', '/s/b/a.jsonl'], ...counts, builds: 2 })).toMatch(/9 result\(s\) recorded, 2 kernel build\(s\), .*; logs \/s\/a\.jsonl, \/s\/b\/a\.jsonl$/);
  });
});
