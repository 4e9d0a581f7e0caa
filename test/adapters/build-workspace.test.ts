// Build slots on a real temporary cache dir: paths, locks, state.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  listWorkspaces,
  lockSlot,
  readAllSlotStates,
  readMemoConfig,
  readSlotState,
  repoWorkDir,
  slotPaths,
  workRoot,
  writeMemoConfig,
  writeSlotState,
} from '../../src/adapters/build-workspace.ts';
import { UserError } from '../../src/core/errors.ts';
import { useTempDir } from '../helpers/temp-dir.ts';

// a fresh cache dir for every test, KBISECT_CACHE_DIR pointing at it
useTempDir('ws', { env: { KBISECT_CACHE_DIR: '.' } });

describe('work dirs and slots', () => {
  it('names a repository\'s work dir after it and records which repository it is', async () => {
    const wd = await repoWorkDir('/src/linux', '/src/linux/.git');
    expect(wd).toMatch(new RegExp(`^${await workRoot()}/linux-[0-9a-f]{10}$`));
    expect(await repoWorkDir('/src/linux', '/src/linux/.git')).toBe(wd);
    expect(await repoWorkDir('/other/linux', '/other/linux/.git')).not.toBe(wd);
    expect(JSON.parse(readFileSync(join(wd, 'repo.json'), 'utf8'))).toEqual({ repo: '/src/linux', gitCommonDir: '/src/linux/.git' });
    const bare = await repoWorkDir('/srv/linux.git', '/srv/linux.git');
    expect(bare).toMatch(/\/linux-[0-9a-f]{10}$/);
  });

  it('lays a slot out as src (worktree), out (O= dir), config, state and lock, all below one ccache base dir', async () => {
    const wd = await repoWorkDir('/src/linux', '/src/linux/.git');
    const p = slotPaths(wd, 1);
    expect(p.src).toBe(join(wd, 'slot-1', 'src'));
    expect(p.out).toBe(join(wd, 'slot-1', 'out'));
    // from every slot's O= dir the worktree reads ../src: ccache sees the same relative paths
    expect(join(p.out, '..', 'src')).toBe(p.src);
    expect(p.src.startsWith(await workRoot())).toBe(true);
  });

  it('keeps slot state and lists workspaces with their slots', async () => {
    const wd = await repoWorkDir('/src/linux', '/src/linux/.git');
    const state = { repo: '/src/linux', sha: 'a'.repeat(40), configHash: 'c', toolchainId: 'gcc-12.2.0', fullObjects: 886, builtAt: '2024-01-01T00:00:00Z' };
    expect(await readSlotState(slotPaths(wd, 0))).toBeNull();
    await writeSlotState(slotPaths(wd, 0), state);
    await writeSlotState(slotPaths(wd, 2), { ...state, fullObjects: null });
    expect(await readSlotState(slotPaths(wd, 0))).toEqual(state);
    expect((await readAllSlotStates(wd)).map((s) => s.fullObjects).sort()).toEqual([886, null]);
    const ws = await listWorkspaces();
    expect(ws).toEqual([{ dir: wd, record: { repo: '/src/linux', gitCommonDir: '/src/linux/.git' }, slots: [0, 2] }]);
  });

  it('memoizes generated configs by key', async () => {
    const wd = await repoWorkDir('/src/linux', '/src/linux/.git');
    expect(await readMemoConfig(wd, 'k1')).toBeNull();
    await writeMemoConfig(wd, 'k1', 'CONFIG_A=y\n');
    expect(await readMemoConfig(wd, 'k1')).toBe('CONFIG_A=y\n');
  });
});

describe('lockSlot', () => {
  it('locks a slot once per process and releases it', async () => {
    const p = slotPaths(await repoWorkDir('/src/linux', '/src/linux/.git'), 0);
    const release = await lockSlot(p);
    expect(readFileSync(p.lock, 'utf8').trim()).toBe(String(process.pid));
    await expect(lockSlot(p)).rejects.toThrow(/already building in this process/);
    await release();
    expect(existsSync(p.lock)).toBe(false);
    await (await lockSlot(p))();
  });

  it('refuses a slot held by a live process, naming it', async () => {
    const p = slotPaths(await repoWorkDir('/src/linux', '/src/linux/.git'), 3);
    const child = spawn('sleep', ['30']);
    try {
      mkdirSync(p.root, { recursive: true });
      writeFileSync(p.lock, `${child.pid}\n`);
      const error = await lockSlot(p).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).message).toBe(`build slot 3 (${p.root}) is in use by process ${child.pid}`);
      expect((error as UserError).hint).toMatch(/--slot N/);
    } finally {
      child.kill();
    }
  });

  it('takes over the lock of a dead process', async () => {
    const p = slotPaths(await repoWorkDir('/src/linux', '/src/linux/.git'), 0);
    mkdirSync(p.root, { recursive: true });
    writeFileSync(p.lock, '999999\n');
    const release = await lockSlot(p);
    expect(readFileSync(p.lock, 'utf8').trim()).toBe(String(process.pid));
    await release();
  });
});
