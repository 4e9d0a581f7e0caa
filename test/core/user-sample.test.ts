import { describe, expect, it } from 'vitest';
import { parseUserSample } from '../../src/core/user-sample.ts';

describe('parseUserSample', () => {
  it.each([
    [0, undefined, '2580.5\n', { kind: 'sample', value: 2580.5 }],
    [0, undefined, 'warming up\nrun 1\n  1.5e3  \n\n', { kind: 'sample', value: 1500 }],
    [0, undefined, 'throughput\n942 Mbit/s\n', { kind: 'sample', value: 942 }],
    [0, undefined, '-3\n', { kind: 'sample', value: -3 }],
  ] as const)('exit %s, %j → sample', (code, signal, out, expected) => {
    expect(parseUserSample(code, signal, out)).toEqual(expected);
  });

  it.each([
    [125, undefined, '', 'skip', /125/],
    [1, undefined, '42\n', 'failed', /exited with code 1/],
    [undefined, 'SIGKILL', '', 'failed', /killed by SIGKILL/],
    [0, undefined, '', 'failed', /printed nothing/],
    [0, undefined, 'done\n', 'failed', /expected a number on the last line.*"done"/],
    [0, undefined, '12 34 56\n', 'failed', /expected a number/],
    [0, undefined, 'NaN\n', 'failed', /expected a number/],
  ] as const)('exit %s %s %j → %s', (code, signal, out, kind, reason) => {
    const r = parseUserSample(code, signal, out);
    expect(r.kind).toBe(kind);
    if (r.kind !== 'sample') expect(r.reason).toMatch(reason);
  });
});
