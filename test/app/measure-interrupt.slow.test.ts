// The real CLI, interrupted: Ctrl-C during a boot removes namespace, taps and
// QEMU and exits 130; a run killed outright (SIGKILL, no chance to clean up)
// leaves a namespace with QEMU inside, which `doctor --cleanup` removes.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { ensureGuestKernel } from '../fixtures/guest-kernel.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupLeftovers } from '../../src/app/doctor.ts';
import { listKbisectNetns, netnsPids } from '../../src/adapters/net.ts';
import { isAlive } from '../../src/adapters/process.ts';

const KERNEL = await ensureGuestKernel();
const haveKernel = existsSync(KERNEL);
if (!haveKernel) throw new Error(`no guest kernel at ${KERNEL}`);

const root = join(import.meta.dirname, '../..');
let dir: string;
let bundle: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kbisect-interrupt-test-'));
  bundle = join(dir, 'kbisect.mjs');
  // the same bundle build.mjs makes, written where no other run reads it
  await esbuild.build({
    entryPoints: [join(root, 'src/bin.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: bundle,
    logLevel: 'warning',
    banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
    plugins: [
      {
        name: 'raw',
        setup(b) {
          b.onResolve({ filter: /\?raw$/ }, (a) => ({ path: join(a.resolveDir, a.path.replace(/\?raw$/, '')), namespace: 'raw' }));
          b.onLoad({ filter: /.*/, namespace: 'raw' }, (a) => ({ contents: readFileSync(a.path, 'utf8'), loader: 'text' }));
        },
      },
    ],
  });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// Starts `kbisect measure` (TCP_RR, 5 s runs: the boot lasts ~35 s) and resolves once the guest is ready.
async function startMeasureUntilReady(): Promise<{ child: ChildProcess; ns: string; pids: number[]; exit: Promise<number | null> }> {
  const child = spawn(process.execPath, [bundle, 'measure', '--kernel', KERNEL, '--profile', 'tcp-rr', '--boots', '1', '--accel', 'tcg', '--no-store'], {
    env: { ...process.env, KBISECT_CACHE_DIR: join(dir, 'cache'), KBISECT_DATA_DIR: join(dir, 'data') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/ready in/.test(stderr)) resolve();
    });
    void exit.then((code) => reject(new Error(`kbisect exited (${code}) before the guest was ready:\n${stderr}`)));
  });
  const ns = (await listKbisectNetns()).find((n) => n.startsWith(`kbisect-${child.pid}-`));
  if (!ns) throw new Error('no namespace of the child found');
  return { child, ns, pids: await netnsPids(ns), exit };
}

describe.runIf(haveKernel)('interrupted measurements', () => {
  it('Ctrl-C kills QEMU and netserver, removes the namespace and exits 130', async () => {
    const { child, ns, pids, exit } = await startMeasureUntilReady();
    expect(pids.length).toBeGreaterThanOrEqual(2); // QEMU and netserver live in the namespace
    child.kill('SIGINT');
    expect(await exit).toBe(130);
    expect(await listKbisectNetns()).not.toContain(ns);
    for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
  });

  it('doctor --cleanup removes what a killed run left behind, by pid', async () => {
    const { child, ns, pids, exit } = await startMeasureUntilReady();
    child.kill('SIGKILL');
    await exit;
    // no cleanup could run: the namespace is still there
    expect(await listKbisectNetns()).toContain(ns);
    const report = await cleanupLeftovers();
    expect(report.errors).toEqual([]);
    expect(report.removedNamespaces.map((n) => n.name)).toContain(ns);
    expect(await listKbisectNetns()).not.toContain(ns);
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
  });
});
