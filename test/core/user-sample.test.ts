import { describe, expect, it } from 'vitest';
import { parseUserSample } from '../../src/core/user-sample.ts';

describe('parseUserSample', () => {
  it.each([
    [0, undefined, '2580.5\n', { kind: 'sample', value: 2580.5 }],
    [0, undefined, 'warming up\nrun 1\n  1.5e3  \n\n', { kind: 'sample', value: 1500 }],
    [0, undefined, 'throughput\n942 Mbit/s\n', { kind: 'sample', value: 942 }],
    [0, undefined, '+0.25\n', { kind: 'sample', value: 0.25 }],
  ] as const)('exit %s, %j → sample', (code, signal, out, expected) => {
    expect(parseUserSample(code, signal, out)).toEqual(expected);
  });

  it.each([
    [125, undefined, '', 'skip', /125/],
    [1, undefined, '42\n', 'failed', /exited with code 1$/],
    [undefined, 'SIGKILL', '', 'failed', /killed by SIGKILL/],
    [0, undefined, '', 'failed', /printed nothing/],
    [0, undefined, 'done\n', 'failed', /expected a positive number on the last line.*"done"/],
    [0, undefined, '12 34 56\n', 'failed', /expected a positive number/],
    [0, undefined, 'NaN\n', 'failed', /expected a positive number.*"NaN"/],
    [0, undefined, 'Infinity\n', 'failed', /expected a positive number.*"Infinity"/],
  ] as const)('exit %s %s %j → %s', (code, signal, out, kind, reason) => {
    const r = parseUserSample(code, signal, out);
    expect(r.kind).toBe(kind);
    if (r.kind !== 'sample') expect(r.reason).toMatch(reason);
  });

  // The statistics work on logs of values: 0, negatives and overflows must not reach the log.
  it.each([['0'], ['-3'], ['-0'], ['0.0 ms'], ['1e999'], ['1e-400']])('rejects the non-positive or non-finite value %j', (value) => {
    const r = parseUserSample(0, undefined, `result\n${value}\n`);
    expect(r).toEqual({ kind: 'failed', reason: expect.stringContaining(`expected a positive number on the last line of the output, got \`${value.split(' ')[0]}\``) });
  });

  it.each([
    [126, 'bash: line 1: ./bench.sh: Permission denied\n', /^the command exited with code 126 \(found but not executable\); stderr: bash: line 1: \.\/bench\.sh: Permission denied$/],
    [127, 'bash: line 1: benchh: command not found\n', /code 127 \(not found\); stderr: .*benchh: command not found/],
    [137, '', /^the command exited with code 137 \(a process in it was killed by SIGKILL\)$/],
    [2, 'one\ntwo\n\nthree\nfour\n', /code 2; stderr: two \| three \| four$/],
  ] as const)('exit %s quotes what it means and the end of stderr', (code, stderr, reason) => {
    const r = parseUserSample(code, undefined, '', { stderr });
    expect(r.kind).toBe('failed');
    if (r.kind === 'failed') {
      expect(r.reason).toMatch(reason);
      expect(r.reason).not.toMatch(/netperf/);
    }
  });

  it('a long stderr line is clipped', () => {
    const r = parseUserSample(1, undefined, '', { stderr: `${'x'.repeat(1000)}\n` });
    expect(r.kind === 'failed' && r.reason.length < 400).toBe(true);
  });

  it('a timeout says so, whatever the signal was', () => {
    const r = parseUserSample(undefined, 'SIGTERM', '', { timedOutAfterMs: 500, stderr: 'still working\n' });
    expect(r).toEqual({ kind: 'failed', reason: 'the command timed out after 0.5 s (the whole process group was killed); stderr: still working' });
  });
});
