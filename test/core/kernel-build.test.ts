import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  classifyBuildFailure,
  estimatePercent,
  extractFirstError,
  parseCcacheStatsLog,
  parseKbuildStep,
  relativizeSourcePaths,
  toolchainHint,
} from '../../src/core/kernel-build.ts';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'build-logs', name), 'utf8');

describe('parseKbuildStep', () => {
  it.each([
    ['  CC      init/main.o', { verb: 'CC', target: 'init/main.o', isObject: true }],
    ['  AS      arch/x86/entry/entry_64.o', { verb: 'AS', target: 'arch/x86/entry/entry_64.o', isObject: true }],
    ['  CC      kernel/bounds.s', { verb: 'CC', target: 'kernel/bounds.s', isObject: false }],
    ['  HOSTCC  scripts/basic/fixdep', { verb: 'HOSTCC', target: 'scripts/basic/fixdep', isObject: false }],
    ['  LD [M]  drivers/net/foo.ko', { verb: 'LD', target: 'drivers/net/foo.ko', isObject: false }],
    ['  AR      arch/x86/entry/built-in.a', { verb: 'AR', target: 'arch/x86/entry/built-in.a', isObject: false }],
    ['  SYNC    include/config/auto.conf', { verb: 'SYNC', target: 'include/config/auto.conf', isObject: false }],
  ])('%s', (line, expected) => {
    expect(parseKbuildStep(line)).toEqual(expected);
  });

  it.each([
    "make[1]: Entering directory '/x/out'",
    'Kernel: arch/x86/boot/bzImage is ready  (#1)',
    '/x/drivers/net/virtio_net.c:12:1: error: expected',
    '',
  ])('ignores %j', (line) => {
    expect(parseKbuildStep(line)).toBeNull();
  });
});

describe('estimatePercent', () => {
  it.each([
    [0, 100, 0],
    [50, 200, 25],
    [200, 200, 99],
    [250, 200, 99],
    [5, null, null],
    [5, 0, null],
  ])('%i of %s -> %s', (done, expected, percent) => {
    expect(estimatePercent(done, expected)).toBe(percent);
  });
});

describe('extractFirstError', () => {
  it('finds the compiler error in a real failed build (missing semicolon in virtio_net.c)', () => {
    const log = fixture('virtio-net-syntax-error.log');
    expect(extractFirstError(log)).toMatch(/drivers\/net\/virtio_net\.c:\d+:\d+: error: expected ['‘],['’] or ['‘];['’] before/);
  });

  it.each([
    [
      'a compiler error before make\'s summary',
      "  CC      x.o\nx.c:3:1: error: unknown type name 'foo'\nmake[2]: *** [scripts/Makefile.build:250: x.o] Error 1\nmake: *** [Makefile:2012: .] Error 2",
      "x.c:3:1: error: unknown type name 'foo'",
    ],
    [
      'a fatal error',
      'include/linux/compiler-gcc.h:86:30: fatal error: linux/compiler-gcc12.h: No such file or directory',
      'include/linux/compiler-gcc.h:86:30: fatal error: linux/compiler-gcc12.h: No such file or directory',
    ],
    [
      'a linker error',
      "  LD      vmlinux.o\nld: drivers/net/virtio_net.o: in function `start_xmit':\nvirtio_net.c:(.text+0x1a): undefined reference to `nosuch'\nmake[1]: *** [Makefile:1164: vmlinux] Error 1",
      "virtio_net.c:(.text+0x1a): undefined reference to `nosuch'",
    ],
    ['make\'s own complaint', "make: *** No rule to make target 'bzImage'.  Stop.", "make: *** No rule to make target 'bzImage'.  Stop."],
    ['an assembler error', 'arch/x86/kernel/head_64.S:12: Error: no such instruction: `foo\'', "arch/x86/kernel/head_64.S:12: Error: no such instruction: `foo'"],
    ['colored output', '\x1b[01m\x1b[Kx.c:1:1:\x1b[m\x1b[K \x1b[01;31m\x1b[Kerror: \x1b[m\x1b[Kbad', 'x.c:1:1: error: bad'],
    ['nothing', 'all good\n', null],
  ])('%s', (_what, log, expected) => {
    expect(extractFirstError(log)).toBe(expected);
  });
});

describe('classifyBuildFailure', () => {
  const base = { exitCode: 2, signal: undefined, toolchainId: 'gcc-12.2.0' };

  it('calls a compile error the commit\'s fault (a skip)', () => {
    const r = classifyBuildFailure({ ...base, log: fixture('virtio-net-syntax-error.log') });
    expect(r.kind).toBe('build-failed');
    if (r.kind === 'build-failed') expect(r.hint).toBeUndefined();
  });

  it.each([
    ['disk full', 'x.c:1:1: fatal error: error writing to /tmp/ccX.s: No space left on device', /disk is full/],
    ['OOM', 'gcc: fatal error: Killed signal terminated program cc1\ncompilation terminated.', /out of memory/],
    ['missing flex', '/bin/sh: 1: flex: not found\nmake[2]: *** [scripts/Makefile.host:9: scripts/kconfig/lexer.lex.c] Error 127', /build tool is missing: flex/],
    ['missing compiler', 'make[1]: gcc-8: No such file or directory\nmake[1]: *** [Makefile:1: x] Error 127', /build tool is missing: gcc-8/],
    ['missing openssl headers', 'scripts/sign-file.c:25:10: fatal error: openssl/opensslv.h: No such file or directory', /host development header.*openssl/],
    ['read-only fs', "x.o: Read-only file system", /refused a file operation/],
    ['a background build without taskset', "nice: 'taskset': No such file or directory", /background build could not start: nice/],
    ['a background build on a CPU it may not use', "taskset: failed to set pid 4242's affinity: Invalid argument", /background build could not start: taskset/],
  ])('calls %s a host problem', (_what, log, reason) => {
    const r = classifyBuildFailure({ ...base, log });
    expect(r.kind).toBe('infrastructure');
    if (r.kind === 'infrastructure') expect(r.reason).toMatch(reason);
  });

  it('calls a killed make a host problem', () => {
    const r = classifyBuildFailure({ ...base, exitCode: undefined, signal: 'SIGKILL', log: '  CC x.o\n' });
    expect(r).toMatchObject({ kind: 'infrastructure', reason: 'make was killed by SIGKILL' });
  });

  it('suggests an older toolchain for a typical old-kernel failure', () => {
    const r = classifyBuildFailure({
      ...base,
      log: 'include/linux/compiler-gcc.h:86:30: fatal error: linux/compiler-gcc12.h: No such file or directory\ncompilation terminated.',
    });
    expect(r.kind).toBe('build-failed');
    if (r.kind === 'build-failed') {
      expect(r.firstError).toMatch(/compiler-gcc12\.h/);
      expect(r.hint).toMatch(/gcc-12\.2\.0.*--toolchain gcc-4\.9/);
    }
  });
});

describe('toolchainHint', () => {
  it.each([
    ["scripts/dtc/dtc-parser.tab.o:(.bss+0x10): multiple definition of `yylloc'", true],
    ['arch/x86/kernel/x.c:1:0: error: code model kernel does not support PIC mode', true],
    ["gcc: error: unrecognized command-line option '-mno-foo'", true],
    ['x.c:1:1: error: array subscript 5 is above array bounds [-Werror=array-bounds]', true],
    ["x.c:3:1: error: unknown type name 'foo'", false],
  ])('%s -> %s', (log, hinted) => {
    expect(toolchainHint(log, 'gcc-12.2.0') !== undefined).toBe(hinted);
  });
});

describe('parseCcacheStatsLog', () => {
  it('counts hits, misses and uncacheable calls of sources, not of compiler probes', () => {
    const log = [
      '# ../src/a.c',
      'cache_miss',
      'direct_cache_miss',
      'local_storage_miss',
      'local_storage_read_miss',
      'local_storage_write',
      'preprocessed_cache_miss',
      '# ../src/b.c',
      'direct_cache_hit',
      'local_storage_hit',
      'local_storage_read_hit',
      '# ../src/c.c',
      'direct_cache_miss',
      'preprocessed_cache_hit',
      '# ../src/d.S',
      'called_for_preprocessing',
      '# /dev/null',
      'direct_cache_hit',
      '# ',
      'no_input_file',
      '',
    ].join('\n');
    expect(parseCcacheStatsLog(log)).toEqual({ hits: 2, misses: 1, uncacheable: 1, hitRate: 2 / 3 });
    expect(parseCcacheStatsLog('')).toEqual({ hits: 0, misses: 0, uncacheable: 0, hitRate: null });
  });
});

describe('relativizeSourcePaths', () => {
  it('turns O= dir and worktree paths into kernel-tree paths', () => {
    const log = [
      "../src/drivers/net/virtio_net.c:1902:9: error: expected ',' or ';' before 'bool'",
      '/cache/work/linux-1/slot-0/src/include/linux/x.h:3:1: note: in expansion',
      "make[4]: *** [/cache/work/linux-1/slot-0/src/scripts/Makefile.build:250: drivers/net/virtio_net.o] Error 1",
      'keep ../srcfoo and x../src/y',
    ].join('\n');
    expect(relativizeSourcePaths(log, ['/cache/work/linux-1/slot-0/src/', '../src/'])).toBe(
      [
        "drivers/net/virtio_net.c:1902:9: error: expected ',' or ';' before 'bool'",
        'include/linux/x.h:3:1: note: in expansion',
        'make[4]: *** [scripts/Makefile.build:250: drivers/net/virtio_net.o] Error 1',
        'keep ../srcfoo and x../src/y',
      ].join('\n'),
    );
  });
});
