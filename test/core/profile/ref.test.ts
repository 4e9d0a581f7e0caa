// Profile references: what a command-line argument and an `extends:` value
// may name, and that no name can leave its directory.
import { describe, expect, it } from 'vitest';
import { parseExtendsRef, parseProfileArg, type ProfileRef } from '../../../src/core/profile/index.ts';

describe('parseProfileArg', () => {
  const ok: [string, ProfileRef][] = [
    ['tcp-rr', { kind: 'name', name: 'tcp-rr' }],
    ['tcp-rr@568adfd9', { kind: 'name', name: 'tcp-rr', pin: '568adfd9' }],
    ['perf/tcp-rr', { kind: 'source', source: 'perf', name: 'tcp-rr' }],
    ['perf/tcp-rr@568adfd95311b5c2', { kind: 'source', source: 'perf', name: 'tcp-rr', pin: '568adfd95311b5c2' }],
    ['./x.yaml', { kind: 'path', path: './x.yaml' }],
    ['x.yaml', { kind: 'path', path: 'x.yaml' }],
    ['/etc/passwd', { kind: 'path', path: '/etc/passwd' }],
    ['../up/x.yaml@0123abcd', { kind: 'path', path: '../up/x.yaml', pin: '0123abcd' }],
    ['a/b/c', { kind: 'path', path: 'a/b/c' }],
    ['~/p.yaml', { kind: 'path', path: '~/p.yaml' }],
  ];
  it.each(ok)('reads %j', (raw, ref) => {
    expect(parseProfileArg(raw)).toEqual({ ok: true, ref });
  });

  const refused: [string, RegExp][] = [
    ['tcp-rr\0', /NUL byte/],
    ['tcp-rr@568adfd', /8 to 64 lowercase hex digits/],
    ['tcp-rr@', /8 to 64 lowercase hex digits/],
    ['tcp-rr@568ADFD9', /lowercase hex/],
    ['Tcp Rr', /expected a profile name: .* or a path to a YAML file, got "Tcp Rr"/],
    ['', /expected a profile name/],
    ['x'.repeat(5000), /5000 characters/],
  ];
  it.each(refused)('refuses %j', (raw, message) => {
    const r = parseProfileArg(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});

describe('parseExtendsRef', () => {
  it.each([
    ['tcp-rr', { kind: 'name', name: 'tcp-rr' }],
    ['perf/tcp-rr@568adfd9', { kind: 'source', source: 'perf', name: 'tcp-rr', pin: '568adfd9' }],
    ['./rr-64', { kind: 'sibling', name: 'rr-64' }],
  ] as const)('reads %j', (raw, ref) => {
    expect(parseExtendsRef(raw)).toEqual({ ok: true, ref });
  });

  // a shared file names profiles, never files: nothing here reaches outside a profile directory
  it.each(['../tcp-rr', '/etc/passwd', './../x', './a/b', 'a/b/c', '.hidden', 'x.yaml/..', 'a\0b', '$(id)', 'tcp rr', '', 'x'.repeat(300)])(
    'refuses %j',
    (raw) => {
      const r = parseExtendsRef(raw);
      expect(r.ok).toBe(false);
    },
  );

  it('refuses what is not a string, saying what it got', () => {
    expect(parseExtendsRef(['tcp-rr'])).toEqual({ ok: false, message: expect.stringContaining('got ["tcp-rr"]') as unknown });
    expect(parseExtendsRef(null)).toMatchObject({ ok: false });
  });
});
