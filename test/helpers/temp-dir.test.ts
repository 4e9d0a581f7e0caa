// The shared temp-dir helper keeps its promises: fresh, isolated, cleaned up, restored.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { setEnv, useTempDir } from './temp-dir.ts';

const before = process.env.KBISECT_DATA_DIR;
const seen: string[] = [];

describe('useTempDir per test', () => {
  const tmp = useTempDir('helper', { env: { KBISECT_CACHE_DIR: '.', KBISECT_DATA_DIR: 'data' } });

  it.each([1, 2])('gives test %i a fresh, empty directory, the variables pointing into it', () => {
    expect(readdirSync(tmp.path)).toEqual([]);
    expect(seen).not.toContain(tmp.path);
    seen.push(tmp.path);
    expect(process.env.KBISECT_CACHE_DIR).toBe(tmp.path);
    expect(process.env.KBISECT_DATA_DIR).toBe(join(tmp.path, 'data'));
    writeFileSync(join(tmp.path, 'leftover'), 'x');
  });
});

describe('after those tests', () => {
  it('removed their directories and put the variables back', () => {
    expect(seen).toHaveLength(2);
    for (const dir of seen) expect(existsSync(dir), dir).toBe(false);
    expect(process.env.KBISECT_DATA_DIR).toBe(before);
    expect(process.env.KBISECT_CACHE_DIR).not.toBe(seen[1]);
  });
});

describe('useTempDir per file', () => {
  const tmp = useTempDir('helper-file', { per: 'file' });
  const paths: string[] = [];
  it.each([1, 2])('test %i shares the one directory, and what the others left in it', (i) => {
    paths.push(tmp.path);
    expect(new Set(paths).size).toBe(1);
    expect(readdirSync(tmp.path)).toEqual(i === 1 ? [] : ['from-1']);
    writeFileSync(join(tmp.path, `from-${i}`), 'x');
  });
});

describe('setEnv', () => {
  it('sets, deletes and restores, including variables that were unset', () => {
    const restore = setEnv({ KBISECT_TEST_A: 'a', KBISECT_TEST_B: undefined, PATH: undefined });
    expect(process.env.KBISECT_TEST_A).toBe('a');
    expect(process.env.PATH).toBeUndefined();
    restore();
    expect('KBISECT_TEST_A' in process.env).toBe(false);
    expect(process.env.PATH).toBeTruthy();
  });
});
