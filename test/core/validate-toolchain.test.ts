// The --toolchain value is run (`<toolchain> --version`), handed to make as
// CC=/HOSTCC= and kept in session logs that other machines replay: only a
// compiler name or an absolute path made of safe characters passes.
import { describe, expect, it } from 'vitest';
import { validateToolchain } from '../../src/core/kernel-build.ts';

describe('validateToolchain', () => {
  it.each(['gcc', 'gcc-12', 'cc', 'clang-16', 'x86_64-linux-gnu-gcc-12', 'g++', 'gcc.real', '/usr/bin/gcc', '/opt/gcc-4.9/bin/gcc', '/opt/x86_64_cross/bin/x86_64-linux-gnu-gcc'])(
    'accepts %j',
    (raw) => {
      expect(validateToolchain(raw)).toEqual([]);
    },
  );

  it.each([
    ['', /got an empty string$/],
    ['gcc; touch /tmp/x', /got "gcc; touch \/tmp\/x" with ";", a space \(kbisect adds ccache itself: give only the compiler\)$/],
    ['gcc`id`', /with "`"$/],
    ['$(id)', /with "\$", "\(", "\)"$/],
    ['gcc|sh', /with "\|"$/],
    ['gcc&', /with "&"$/],
    ['gcc>x', /with ">"$/],
    ["gcc'", /with "'"$/],
    ['gcc\nid', /with control character "\\n"$/],
    ['gcc\0', /with control character "\\u0000"$/],
    ['ccache gcc', /with a space \(kbisect adds ccache itself/],
    ['gcc -m32', /with a space/],
    ['--version', /got "--version", which starts with "-" \(an option, not a compiler\)$/],
    ['-fplugin=x', /with "="$/],
    ['./gcc', /a relative path \(make runs in another directory\): give the absolute path$/],
    ['bin/gcc', /a relative path/],
    ['/opt//gcc', /not a file path/],
    ['/opt/gcc/', /not a file path/],
    ['gcc*', /with "\*"$/],
    ['gcc~', /with "~"$/],
    ['gcc\\', /with "\\\\"$/],
    ['gcç', /with "ç"$/],
  ])('refuses %j', (raw, message) => {
    const errors = validateToolchain(raw);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^expected a compiler name \(gcc, gcc-12\) or an absolute path \(\/opt\/gcc-4\.9\/bin\/gcc\) made of letters, digits and _ \. \+ - \/, /);
    expect(errors[0]).toMatch(message);
    expect(errors[0]!.length).toBeLessThan(400);
  });

  it('refuses a path longer than 1024 characters', () => {
    expect(validateToolchain(`/${'a'.repeat(2000)}`)).toEqual([
      'expected a compiler name (gcc, gcc-12) or an absolute path (/opt/gcc-4.9/bin/gcc) made of letters, digits and _ . + - /, at most 1024 characters, got 2001',
    ]);
  });
});
