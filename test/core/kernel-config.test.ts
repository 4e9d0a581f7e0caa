import { describe, expect, it } from 'vitest';
import {
  applyConfigOptions,
  canonicalConfigRequest,
  collectFragments,
  describeDroppedOptions,
  findDroppedOptions,
  configMemoText,
  GUEST_CONFIG_FRAGMENT,
  isKconfigInput,
  mergeConfigFragments,
  parseConfigFragment,
  parseDotConfig,
  REPRODUCIBLE_CONFIG_FRAGMENT,
  SAFE_STRING_CHARS_TEXT,
  checkConfigStringValue,
  type ConfigOption,
} from '../../src/core/kernel-config.ts';

const opt = (name: string, value: string, source = 'f'): ConfigOption => ({ name, value, source, line: 1 });

describe('parseConfigFragment', () => {
  it.each([
    ['CONFIG_A=y', { name: 'CONFIG_A', value: 'y' }],
    ['CONFIG_A=n', { name: 'CONFIG_A', value: 'n' }],
    ['CONFIG_A=m', { name: 'CONFIG_A', value: 'm' }],
    ['# CONFIG_A is not set', { name: 'CONFIG_A', value: 'n' }],
    ['CONFIG_NR_CPUS=4', { name: 'CONFIG_NR_CPUS', value: '4' }],
    ['CONFIG_X=0x1F', { name: 'CONFIG_X', value: '0x1F' }],
    ['CONFIG_X=-1', { name: 'CONFIG_X', value: '-1' }],
    ['CONFIG_CMDLINE="console=ttyS0 quiet"', { name: 'CONFIG_CMDLINE', value: '"console=ttyS0 quiet"' }],
    ['CONFIG_CMDLINE="console=ttyS0,115200n8 ip=10.0.2.15::10.0.2.2:255.255.255.0"', { name: 'CONFIG_CMDLINE', value: '"console=ttyS0,115200n8 ip=10.0.2.15::10.0.2.2:255.255.255.0"' }],
    ['CONFIG_LSM="landlock,lockdown,yama"', { name: 'CONFIG_LSM', value: '"landlock,lockdown,yama"' }],
    ['CONFIG_INITRAMFS_SOURCE="usr/initramfs.list /srv/root-fs"', { name: 'CONFIG_INITRAMFS_SOURCE', value: '"usr/initramfs.list /srv/root-fs"' }],
    ['CONFIG_X="a-b c+d e@f g_h"', { name: 'CONFIG_X', value: '"a-b c+d e@f g_h"' }],
    ['CONFIG_LOCALVERSION=""', { name: 'CONFIG_LOCALVERSION', value: '""' }],
    ['  CONFIG_A=y  ', { name: 'CONFIG_A', value: 'y' }],
  ])('%s', (line, expected) => {
    const parsed = parseConfigFragment(line, 'x.cfg');
    expect(parsed.errors).toEqual([]);
    expect(parsed.options).toEqual([{ ...expected, source: 'x.cfg', line: 1 }]);
  });

  it('skips comments and blank lines and counts lines for errors', () => {
    const parsed = parseConfigFragment('# a comment\n\nCONFIG_A=y\nVIRTIO=y\nCONFIG_B=yes\nCONFIG_C=unquoted words\nCONFIG_D\n', 'net.cfg');
    expect(parsed.options.map((o) => [o.name, o.line])).toEqual([['CONFIG_A', 3]]);
    expect(parsed.errors).toHaveLength(4);
    expect(parsed.errors[0]).toMatch(/^net\.cfg:4: expected CONFIG_NAME=y\|n\|m\|"string"\|number .*got "VIRTIO=y"$/);
    expect(parsed.errors[1]).toMatch(/^net\.cfg:5: .*"CONFIG_B=yes"/);
  });

  // Kbuild pastes string options unquoted into shell lines (auto.conf -> usr/Makefile -> gen_initramfs.sh)
  it.each([
    ['`touch /tmp/x`', '"`" (backquote)'],
    ['$(shell touch /tmp/x)', '"$" (dollar sign)'],
    ['a; touch /tmp/x', '";" (semicolon)'],
    ['a | tee /tmp/x', '"|" (pipe)'],
    ['a && b', '"&" (ampersand)'],
    ['a > /tmp/x', '">" (greater-than sign)'],
    ['a < /tmp/x', '"<" (less-than sign)'],
    ['(none)', '"(" (parenthesis)'],
    ["it's", `"'" (single quote)`],
    ['a \\"quoted\\" word', '"\\\\" (backslash)'],
    ['a#b', '"#" (hash (a make comment))'],
    ['/tmp/*', '"*"'],
    ['~/x', '"~"'],
    ['{a,b}', '"{"'],
    ['a\tb', '"\\t" (tab)'],
    ['café', '"é" (U+00E9)'],
  ])('rejects the string value %j naming the character %s', (inner, named) => {
    const parsed = parseConfigFragment(`CONFIG_A=y\nCONFIG_INITRAMFS_SOURCE="${inner}"`, 'profile team.yaml');
    expect(parsed.options.map((o) => o.name)).toEqual(['CONFIG_A']);
    expect(parsed.errors).toHaveLength(1);
    expect(parsed.errors[0]).toContain(`profile team.yaml:2: CONFIG_INITRAMFS_SOURCE: expected a string of ${SAFE_STRING_CHARS_TEXT}`);
    expect(parsed.errors[0]).toContain(`got ${named} in `);
  });

  it('says what is wrong, what is allowed and what to do, in one line', () => {
    expect(parseConfigFragment('CONFIG_INITRAMFS_SOURCE="`touch /tmp/x`"', 'profile team.yaml').errors).toEqual([
      'profile team.yaml:1: CONFIG_INITRAMFS_SOURCE: expected a string of letters, digits, spaces and _ - . , : / = + @ (no word may start with -), ' +
        'because Kbuild pastes string options into shell commands; got "`" (backquote) in "`touch /tmp/x`": remove the line or keep to those characters',
    ]);
  });

  it.each(['-o /home/me/.bashrc', 'usr/list -l /tmp/x', '--'])('rejects %j: a word starting with "-" becomes an option of the script', (inner) => {
    const errors = parseConfigFragment(`CONFIG_INITRAMFS_SOURCE="${inner}"`, 'x.cfg').errors;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^x\.cfg:1: CONFIG_INITRAMFS_SOURCE: expected .*; got the word "-[^"]*" starting with "-" in /);
  });

  it('checks a string value on its own (for the profile validator) and leaves other values alone', () => {
    expect(checkConfigStringValue('CONFIG_X', '"ok value"')).toBeNull();
    expect(checkConfigStringValue('CONFIG_X', 'y')).toBeNull();
    expect(checkConfigStringValue('CONFIG_X', '-1')).toBeNull();
    expect(checkConfigStringValue('CONFIG_X', '"$HOME"')).toMatch(/^CONFIG_X: expected .* got "\$" \(dollar sign\) in "\$HOME"/);
    expect(checkConfigStringValue('CONFIG_X', `"${'a'.repeat(100)};"`)).toContain(`in "${'a'.repeat(57)}..."`);
  });

  it('parses the reproducibility fragment without errors (its empty LOCALVERSION is allowed)', () => {
    const parsed = parseConfigFragment(REPRODUCIBLE_CONFIG_FRAGMENT);
    expect(parsed.errors).toEqual([]);
    expect(parsed.options.map((o) => `${o.name}=${o.value}`)).toEqual(['CONFIG_LOCALVERSION_AUTO=n', 'CONFIG_LOCALVERSION=""']);
  });

  it('parses the built-in guest fragment without errors, with the options the pipeline relies on', () => {
    const parsed = parseConfigFragment(GUEST_CONFIG_FRAGMENT);
    expect(parsed.errors).toEqual([]);
    const byName = new Map(parsed.options.map((o) => [o.name, o.value]));
    for (const name of ['CONFIG_VIRTIO_NET', 'CONFIG_VIRTIO_PCI', 'CONFIG_SERIAL_8250_CONSOLE', 'CONFIG_BLK_DEV_INITRD', 'CONFIG_DEVTMPFS', 'CONFIG_KVM_GUEST', 'CONFIG_INET', 'CONFIG_PVH']) {
      expect(byName.get(name), name).toBe('y');
    }
    // tinyconfig's choices must be turned around explicitly
    expect(byName.get('CONFIG_KERNEL_XZ')).toBe('n');
    expect(byName.get('CONFIG_SLOB')).toBe('n');
  });
});

describe('mergeConfigFragments / collectFragments', () => {
  it('lets a later fragment win and reports the override', () => {
    const merged = mergeConfigFragments([
      { source: 'a', text: 'CONFIG_A=y\nCONFIG_B=y\n' },
      { source: 'b', text: '# CONFIG_A is not set\nCONFIG_C=y\nCONFIG_B=y\n' },
    ]);
    expect(merged.options.map((o) => `${o.name}=${o.value}@${o.source}`)).toEqual(['CONFIG_A=n@b', 'CONFIG_B=y@b', 'CONFIG_C=y@b']);
    expect(merged.overrides.map((o) => `${o.name}: ${o.from.value}->${o.to.value}`)).toEqual(['CONFIG_A: y->n']);
  });

  it('puts the guest fragment first, user fragments next, the reproducibility fragment last', () => {
    const sources = collectFragments({ base: 'tinyconfig', fragments: ['CONFIG_A=y', { source: 'net.cfg', text: 'CONFIG_B=y' }] }).map((f) => f.source);
    expect(sources).toEqual(['kbisect guest fragment', 'fragment 1', 'net.cfg', 'kbisect reproducibility fragment']);
    const without = collectFragments({ base: 'tinyconfig', fragments: [], guestFragment: false }).map((f) => f.source);
    expect(without).toEqual(['kbisect reproducibility fragment']);
    const merged = mergeConfigFragments(collectFragments({ base: 'tinyconfig', fragments: ['CONFIG_PVH=n'] }));
    expect(merged.options.find((o) => o.name === 'CONFIG_PVH')?.value).toBe('n');
    expect(merged.options.find((o) => o.name === 'CONFIG_LOCALVERSION_AUTO')?.value).toBe('n');
  });
});

const DOT_CONFIG = `#
# Automatically generated file; DO NOT EDIT.
# Linux/x86 6.1.192 Kernel Configuration
#
CONFIG_CC_VERSION_TEXT="gcc (Debian 12.2.0-14+deb12u1) 12.2.0"
CONFIG_64BIT=y
# CONFIG_KERNEL_XZ is not set
CONFIG_KERNEL_GZIP=y
CONFIG_NR_CPUS=4
CONFIG_VIRTIO_NET=y
# CONFIG_IPV6 is not set
CONFIG_LOCALVERSION=""
`;

describe('parseDotConfig / applyConfigOptions', () => {
  it('reads values and "is not set" as n', () => {
    const values = parseDotConfig(DOT_CONFIG);
    expect(values.get('CONFIG_64BIT')).toBe('y');
    expect(values.get('CONFIG_KERNEL_XZ')).toBe('n');
    expect(values.get('CONFIG_CC_VERSION_TEXT')).toBe('"gcc (Debian 12.2.0-14+deb12u1) 12.2.0"');
    expect(values.has('CONFIG_PVH')).toBe(false);
  });

  it('replaces a symbol\'s old line and appends the new one, like scripts/config', () => {
    const out = applyConfigOptions(DOT_CONFIG, [opt('CONFIG_KERNEL_XZ', 'y'), opt('CONFIG_VIRTIO_NET', 'n'), opt('CONFIG_PVH', 'y'), opt('CONFIG_NR_CPUS', '8')]);
    const lines = out.split('\n');
    expect(lines.filter((l) => l.includes('CONFIG_KERNEL_XZ'))).toEqual(['CONFIG_KERNEL_XZ=y']);
    expect(lines.filter((l) => l.includes('CONFIG_VIRTIO_NET'))).toEqual(['# CONFIG_VIRTIO_NET is not set']);
    expect(lines.filter((l) => l.includes('CONFIG_NR_CPUS'))).toEqual(['CONFIG_NR_CPUS=8']);
    expect(out.endsWith('CONFIG_PVH=y\nCONFIG_NR_CPUS=8\n')).toBe(true);
    expect(lines).toContain('CONFIG_64BIT=y');
    expect(parseDotConfig(out).get('CONFIG_PVH')).toBe('y');
  });
});

describe('findDroppedOptions', () => {
  const actual = parseDotConfig(DOT_CONFIG);
  it.each([
    [opt('CONFIG_64BIT', 'y'), null],
    [opt('CONFIG_KERNEL_XZ', 'n'), null],
    [opt('CONFIG_SLOB', 'n'), null], // absent counts as off
    [opt('CONFIG_NR_CPUS', '0x4'), null], // same number
    [opt('CONFIG_VIRTIO_NET', 'm'), null], // m becomes y without module support
    [opt('CONFIG_LOCALVERSION', '""'), null],
    [opt('CONFIG_PVH', 'y'), { actual: null }],
    [opt('CONFIG_IPV6', 'y'), { actual: 'n' }],
    [opt('CONFIG_KERNEL_GZIP', 'n'), { actual: 'y' }],
    [opt('CONFIG_NR_CPUS', '8'), { actual: '4' }],
  ])('%j', (requested, expected) => {
    const dropped = findDroppedOptions([requested], actual);
    if (expected === null) expect(dropped).toEqual([]);
    else expect(dropped).toEqual([{ name: requested.name, requested: requested.value, actual: expected.actual, source: 'f' }]);
  });

  it('describes each dropped option with its source and what the .config says', () => {
    const text = describeDroppedOptions(findDroppedOptions([opt('CONFIG_PVH', 'y', 'net.cfg'), opt('CONFIG_IPV6', 'y', 'net.cfg')], actual));
    expect(text).toBe(
      '  CONFIG_PVH=y (from net.cfg): absent from the .config (unknown to this kernel, or its dependencies are off)\n' +
        '  CONFIG_IPV6=y (from net.cfg): is not set (a dependency is off, or a choice picked another option)',
    );
  });
});

describe('canonicalConfigRequest', () => {
  it('does not depend on the order of options, but on values and base', () => {
    const a = canonicalConfigRequest('tinyconfig', [opt('CONFIG_B', 'y'), opt('CONFIG_A', 'n')]);
    const b = canonicalConfigRequest('tinyconfig', [opt('CONFIG_A', 'n', 'other'), opt('CONFIG_B', 'y')]);
    expect(a).toBe(b);
    expect(canonicalConfigRequest('defconfig', [opt('CONFIG_B', 'y'), opt('CONFIG_A', 'n')])).not.toBe(a);
    expect(canonicalConfigRequest('tinyconfig', [opt('CONFIG_B', 'y'), opt('CONFIG_A', 'y')])).not.toBe(a);
  });
});

describe('isKconfigInput / configMemoText', () => {
  it.each([
    ['Kconfig', true],
    ['drivers/net/Kconfig', true],
    ['arch/x86/Kconfig.debug', true],
    ['Makefile', true],
    ['scripts/kconfig/conf.c', true],
    ['kernel/configs/tiny.config', true],
    ['arch/x86/configs/tiny.config', true],
    ['arch/x86/configs/x86_64_defconfig', true],
    ['scripts/cc-version.sh', true],
    ['drivers/net/virtio_net.c', false],
    ['drivers/net/Makefile', false],
    ['Documentation/networking/driver.rst', false],
    ['scripts/dtc/dtc.c', false],
  ])('%s -> %s', (path, input) => {
    expect(isKconfigInput(path)).toBe(input);
  });

  it('changes with a Kconfig input, the request or the toolchain, not with a driver source', () => {
    const tree = [
      { path: 'drivers/net/Kconfig', object: 'k1' },
      { path: 'drivers/net/virtio_net.c', object: 'v1' },
    ];
    const base = { configHash: 'c', toolchain: ['gcc 12'], tree };
    const text = configMemoText(base);
    expect(configMemoText({ ...base, tree: [tree[0]!, { path: 'drivers/net/virtio_net.c', object: 'v2' }] })).toBe(text);
    expect(configMemoText({ ...base, tree: [{ path: 'drivers/net/Kconfig', object: 'k2' }, tree[1]!] })).not.toBe(text);
    expect(configMemoText({ ...base, configHash: 'd' })).not.toBe(text);
    expect(configMemoText({ ...base, toolchain: ['gcc 8'] })).not.toBe(text);
    expect(configMemoText({ ...base, tree: [...tree].reverse() })).toBe(text);
  });
});
