// The built artifacts, run as users run them: dist/kbisect.mjs on Node and on
// Deno, and the single executable dist/kbisect with no Node on PATH.
// `npm test` builds them first (npm run build).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const bundle = join(root, 'dist', 'kbisect.mjs');
const exe = join(root, 'dist', 'kbisect');
const deno = join(root, 'node_modules', '.bin', 'deno');
const pkgVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

type Runner = { name: string; run: (args: string[], env?: NodeJS.ProcessEnv) => { status: number | null; stdout: string; stderr: string } };

function spawn(file: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(file, args, { encoding: 'utf8', env, timeout: 120_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const runners: Runner[] = [
  { name: 'node', run: (args, env) => spawn(process.execPath, [bundle, ...args], env) },
  { name: 'deno', run: (args, env) => spawn(deno, ['run', '-A', '--quiet', bundle, ...args], env) },
  { name: 'single executable', run: (args, env) => spawn(exe, args, env) },
];

// The shape of a JSON value: keys and types, not the values that differ between runs.
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v)]));
  }
  return value === null ? 'null' : typeof value;
}

beforeAll(() => {
  for (const f of [bundle, exe, deno]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run npm run build (npm test does) and npm ci`);
  }
});

describe.each(runners)('$name', ({ run }) => {
  it('--version prints the package version', () => {
    const r = run(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkgVersion);
  });

  it('--help teaches the commands and exit codes', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: kbisect <command>/);
    expect(r.stdout).toMatch(/kbisect doctor/);
    expect(r.stdout).toMatch(/Exit codes: 0 ok/);
  });

  it.each([
    [['nosuch'], 'kbisect: Unknown argument: nosuch'],
    [['--bogus'], 'kbisect: Unknown argument: bogus'],
  ])('%j exits 2 with a one-line reason and the usage', (args, firstLine) => {
    const r = run(args);
    expect(r.status).toBe(2);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe(firstLine);
    expect(lines[1]).toBe('');
    expect(r.stderr).toMatch(/Usage: kbisect <command>/);
  });
});

describe('doctor --json', () => {
  it('prints the same JSON shape on Node, Deno and the single executable', () => {
    const shapes = runners.map(({ name, run }) => {
      const r = run(['doctor', '--json']);
      expect(r.status, `${name}: ${r.stderr}`).toBe(0);
      const report = JSON.parse(r.stdout) as { ok: boolean; checks: { id: string }[] };
      expect(report.ok).toBe(true);
      expect(report.checks.map((c) => c.id)).toContain('netperf');
      return shapeOf(report);
    });
    expect(shapes[1]).toEqual(shapes[0]);
    expect(shapes[2]).toEqual(shapes[0]);
  });
});

describe('single executable without Node', () => {
  it.each([
    ['an empty environment', {}],
    ['a PATH with no node on it', { PATH: '/nonexistent' }],
  ])('runs with %s', (_name, env: NodeJS.ProcessEnv) => {
    const r = spawn(exe, ['--version'], env);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkgVersion);
    const help = spawn(exe, ['--help'], env);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/kbisect doctor/);
  });
});
