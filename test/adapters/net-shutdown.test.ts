// Ctrl-C while a namespace is being made must not leave it behind (a CI run
// of e2e/bisect.slow found kbisect-<pid>-* left after exit 130). A fake `ip`
// on PATH stands in for iproute2: `netns add` makes a marker and then hangs,
// as a real one killed between creating /run/netns/NAME and returning would.
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { beginShutdown, endShutdownForTest, registerUndo, runCleanups } from '../../src/adapters/cleanup.ts';
import { killAllChildren, runCommand } from '../../src/adapters/exec.ts';
import { createNetwork } from '../../src/adapters/net.ts';
import { InterruptedError } from '../../src/core/errors.ts';

let dir = '';
let marks = '';
const savedPath = process.env.PATH;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kbisect-fake-ip-'));
  marks = join(dir, 'netns');
  writeFileSync(
    join(dir, 'ip'),
    [
      '#!/bin/sh',
      `marks='${marks}'`,
      'mkdir -p "$marks"',
      'if [ "$1" = netns ] && [ "$2" = add ]; then touch "$marks/$3"; exec sleep 30; fi',
      'if [ "$1" = netns ] && [ "$2" = delete ]; then rm -f "$marks/$3"; exit 0; fi',
      'cat >/dev/null; exit 0',
      '',
    ].join('\n'),
  );
  chmodSync(join(dir, 'ip'), 0o755);
  process.env.PATH = `${dir}:${savedPath ?? ''}`;
});

afterEach(() => {
  endShutdownForTest();
});

afterAll(() => {
  process.env.PATH = savedPath;
  rmSync(dir, { recursive: true, force: true });
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!cond()) throw new Error('timed out waiting');
}

describe('a network namespace and Ctrl-C', () => {
  it('is removed when Ctrl-C kills `ip netns add` after it made the namespace', async () => {
    const made = createNetwork(1, false);
    const outcome = made.then(
      () => 'created',
      (e: unknown) => e,
    );
    await until(() => existsSync(marks) && readdirSync(marks).length === 1);
    // what src/main.ts does on SIGINT
    beginShutdown();
    await killAllChildren(200);
    await runCleanups();
    expect(await outcome).not.toBe('created');
    expect(readdirSync(marks)).toEqual([]);
  });

  it('is not made at all once Ctrl-C has begun; other commands are refused too, undo steps are not', async () => {
    beginShutdown();
    await expect(createNetwork(1, false)).rejects.toBeInstanceOf(InterruptedError);
    await expect(runCommand({ file: 'true', args: [] })).rejects.toBeInstanceOf(InterruptedError);
    expect((await runCommand({ file: 'true', args: [] }, { whileStopping: true })).exitCode).toBe(0);
    expect(existsSync(marks) ? readdirSync(marks) : []).toEqual([]);
  });

  it('runCleanups also runs the steps registered while it runs', async () => {
    const ran: string[] = [];
    registerUndo('first', async () => {
      ran.push('first');
      registerUndo('late', async () => {
        ran.push('late');
      });
    });
    await runCleanups();
    expect(ran).toEqual(['first', 'late']);
  });
});
