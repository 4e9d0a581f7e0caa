// The build app layer without building: config resolution and the slot queue
// (the queue's builds are replaced, the only mock, at the app boundary).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readKernelConfigSpec, resolveKernelConfig } from '../../src/app/build-config.ts';
import { createBuildPool } from '../../src/app/build-pool.ts';
import type { BuildOptions, BuildResult } from '../../src/app/build-revision.ts';
import { UserError } from '../../src/core/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'kbisect-build-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveKernelConfig', () => {
  it('hashes the merged request: the same options give the same hash, whatever their source', async () => {
    const plain = await resolveKernelConfig({ base: 'tinyconfig', fragments: [] });
    const again = await resolveKernelConfig({ base: 'tinyconfig', fragments: ['CONFIG_VIRTIO_NET=y'] });
    expect(again.configHash).toBe(plain.configHash);
    expect(plain.configHash).toMatch(/^[0-9a-f]{16}$/);
    const other = await resolveKernelConfig({ base: 'tinyconfig', fragments: ['CONFIG_NR_CPUS=8'] });
    expect(other.configHash).not.toBe(plain.configHash);
    expect(other.overrides.map((o) => `${o.name}: ${o.from.value} -> ${o.to.value}`)).toEqual(['CONFIG_NR_CPUS: 4 -> 8']);
    expect((await resolveKernelConfig({ base: 'defconfig', fragments: [] })).configHash).not.toBe(plain.configHash);
  });

  it('hashes a base .config by its content', async () => {
    const file = join(dir, 'base.config');
    writeFileSync(file, 'CONFIG_64BIT=y\n');
    const a = await resolveKernelConfig({ base: { file }, fragments: [] });
    expect(a.baseId).toMatch(/^file:[0-9a-f]{64}$/);
    writeFileSync(file, 'CONFIG_64BIT=y\nCONFIG_SMP=y\n');
    expect((await resolveKernelConfig({ base: { file }, fragments: [] })).configHash).not.toBe(a.configHash);
  });

  it('refuses bad fragment lines, naming each one', async () => {
    const error = await resolveKernelConfig({ base: 'tinyconfig', fragments: ['CONFIG_A=y\nVIRTIO=y', { source: 'net.cfg', text: 'CONFIG_B=yes' }] }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/fragment 1:2: .*"VIRTIO=y"[\s\S]*net\.cfg:1: .*"CONFIG_B=yes"/);
  });

  it('says which --config file cannot be read', async () => {
    await expect(resolveKernelConfig({ base: { file: join(dir, 'nosuch.config') }, fragments: [] })).rejects.toThrow(
      /--config: cannot read ".*nosuch\.config" \(ENOENT\)/,
    );
  });
});

describe('readKernelConfigSpec', () => {
  it('puts the profile fragment first, then fragment files in order', async () => {
    const frag = join(dir, 'extra.cfg');
    writeFileSync(frag, 'CONFIG_NR_CPUS=2\n');
    const spec = await readKernelConfigSpec({ profile: 'tcp-rr', fragmentFiles: [frag] });
    expect(spec.base).toBe('tinyconfig');
    const sources = spec.fragments.map((f) => (typeof f === 'string' ? f : f.source));
    expect(sources).toEqual(['profile builtin:tcp-rr', frag]);
    // the built-in profiles ask for the guest fragment's options: same config hash as no profile
    const withProfile = await resolveKernelConfig({ ...spec, fragments: spec.fragments.slice(0, 1) });
    expect(withProfile.configHash).toBe((await resolveKernelConfig({ base: 'tinyconfig', fragments: [] })).configHash);
  });

  it('takes --config as the base', async () => {
    expect((await readKernelConfigSpec({ configFile: '/x/.config' })).base).toEqual({ file: '/x/.config' });
  });
});

describe('createBuildPool', () => {
  it('runs at most `slots` builds at once, each on its own slot, and hands slots back', async () => {
    const running = new Set<number>();
    const seen: { rev: string; slot: number; jobs: number | undefined }[] = [];
    let maxRunning = 0;
    const fakeBuild = async (o: BuildOptions): Promise<BuildResult> => {
      const slot = o.slot ?? -1;
      expect(running.has(slot)).toBe(false);
      running.add(slot);
      maxRunning = Math.max(maxRunning, running.size);
      seen.push({ rev: o.rev, slot, jobs: o.jobs });
      await new Promise((r) => setTimeout(r, 20));
      running.delete(slot);
      return { kind: 'build-failed', sha: o.rev, firstError: 'x', logTail: '', cached: false, configHash: 'c', toolchainId: 't', logPath: '', durationMs: 1, elapsedMs: 1, cacheKey: 'k', slot };
    };
    const pool = createBuildPool({ repo: '/r', config: { base: 'tinyconfig', fragments: [] }, slots: 2, firstSlot: 3, jobs: 1 }, fakeBuild);
    const results = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((rev) => pool.build(rev)));
    expect(results.map((r) => r.sha)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(maxRunning).toBe(2);
    expect(new Set(seen.map((s) => s.slot))).toEqual(new Set([3, 4]));
    expect(seen.every((s) => s.jobs === 1)).toBe(true);
    expect(pool.activeCount + pool.pendingCount).toBe(0);
  });

  it.each([0, -1, 1.5])('refuses %s slots', (slots) => {
    expect(() => createBuildPool({ repo: '/r', config: { base: 'tinyconfig', fragments: [] }, slots })).toThrow(/--jobs: expected a positive integer/);
  });
});
