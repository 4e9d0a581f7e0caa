// The store's promises, checked on real files: a torn last line is cut off and
// kept before the next append (never glued to it), a damaged middle line is
// an error naming it, and data is fsync'd before it becomes visible (strace).
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendJsonl, cutTornTail, readJsonl } from '../../src/adapters/store.ts';
import { UserError } from '../../src/core/errors.ts';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kbisect-store-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('JSONL log', () => {
  it('cuts a torn last line off before appending, keeping it aside', async () => {
    const file = join(dir, 'torn.jsonl');
    writeFileSync(file, '{"a":1}\n{"b":2}\n');
    appendFileSync(file, '{"c":3, "half');
    expect((await readJsonl(file)).truncatedTail).toBe('{"c":3, "half');
    const { tornTail } = await appendJsonl(file, { d: 4 });
    expect(tornTail?.bytes).toBe(13);
    expect(readFileSync(tornTail?.savedAs ?? '', 'utf8')).toBe('{"c":3, "half');
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n{"b":2}\n{"d":4}\n');
    expect((await readJsonl(file)).records.map((r) => r.value)).toEqual([{ a: 1 }, { b: 2 }, { d: 4 }]);
  });

  it('cuts a file that is one torn line (no newline at all) to empty, and leaves a whole file alone', async () => {
    const file = join(dir, 'all-torn.jsonl');
    writeFileSync(file, 'x'.repeat(200_000));
    expect((await cutTornTail(file))?.bytes).toBe(200_000);
    expect(readFileSync(file, 'utf8')).toBe('');
    writeFileSync(file, '{"a":1}\n');
    expect(await cutTornTail(file)).toBeNull();
    expect(await cutTornTail(join(dir, 'missing.jsonl'))).toBeNull();
  });

  it('a damaged middle line is a UserError naming the file and line', async () => {
    const file = join(dir, 'damaged.jsonl');
    writeFileSync(file, '{"a":1}\n{"b":\n{"c":3}\n');
    const error = await readJsonl(file, 'the way out').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(`${file}:2: expected a JSON record, got "{\\"b\\":"`);
    expect((error as UserError).hint).toBe('the way out');
  });
});

describe('durability (strace)', () => {
  it('fsyncs the new file before renaming it into place, then the directory; fsyncs an append', async () => {
    const writer = join(dir, 'store-writer.mjs');
    await build({ entryPoints: [join(import.meta.dirname, '..', 'fixtures', 'store-writer.ts')], bundle: true, platform: 'node', format: 'esm', outfile: writer, logLevel: 'warning' });
    const out = join(dir, 'out');
    execFileSync('mkdir', ['-p', out]);
    const trace = join(dir, 'trace.txt');
    execFileSync('strace', ['-f', '-qq', '-e', 'trace=openat,fsync,fdatasync,rename,renameat,renameat2,write,pwrite64', '-o', trace, process.execPath, writer, out]);
    const lines = readFileSync(trace, 'utf8').split('\n');
    const find = (re: RegExp, from = 0): number => lines.findIndex((l, i) => i >= from && re.test(l));
    // the temp file's fd, from its openat
    const openTmp = find(new RegExp(`openat\\(.*"${out}/state\\.json\\.tmp-[^"]*".*= (\\d+)$`));
    expect(openTmp).toBeGreaterThanOrEqual(0);
    const tmpFd = /= (\d+)$/.exec(lines[openTmp] ?? '')?.[1];
    const syncTmp = find(new RegExp(`f(data)?sync\\(${tmpFd}\\)`), openTmp);
    const renamed = find(/rename(at2?)?\(.*state\.json\.tmp-.*state\.json"/, openTmp);
    const openDir = find(new RegExp(`openat\\(.*"${out}", O_RDONLY.*= (\\d+)$`), renamed);
    const dirFd = /= (\d+)$/.exec(lines[openDir] ?? '')?.[1];
    const syncDir = find(new RegExp(`f(data)?sync\\(${dirFd}\\)`), openDir);
    expect(syncTmp, 'fsync of the temp file').toBeGreaterThan(openTmp);
    expect(renamed, 'rename after the fsync').toBeGreaterThan(syncTmp);
    expect(syncDir, 'fsync of the directory after the rename').toBeGreaterThan(renamed);
    const openLog = find(new RegExp(`openat\\(.*"${out}/log\\.jsonl", O_WRONLY\\|O_CREAT\\|O_APPEND.*= (\\d+)$`));
    const logFd = /= (\d+)$/.exec(lines[openLog] ?? '')?.[1];
    const writeLog = find(new RegExp(`(p)?write(64)?\\(${logFd}, "\\{\\\\"v\\\\":1\\}\\\\n"`), openLog);
    const syncLog = find(new RegExp(`f(data)?sync\\(${logFd}\\)`), writeLog);
    expect(writeLog, 'the record is written').toBeGreaterThan(openLog);
    expect(syncLog, 'and fsync\'d').toBeGreaterThan(writeLog);
    expect(readdirSync(out).sort()).toEqual(['log.jsonl', 'state.json']);
  }, 30_000);
});
