// `kbisect matrix` usage: which kernel(s) from REV / --kernel / --compare,
// refusals of bad input (what was expected, what was got, what to do) before
// anything is built or booted, the progress lines, and --help.
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.ts';
import { createContext } from '../../src/cli/context.ts';
import { chooseSubjects, formatMatrixProgress } from '../../src/cli/commands/matrix.ts';
import { UserError } from '../../src/core/errors.ts';
import { enumerateCells } from '../../src/core/matrix/axes.ts';

const ctx = () => createContext((raw) => raw ?? '/');

describe('chooseSubjects', () => {
  it.each([
    [['v6.1', [], undefined], [{ kind: 'rev', rev: 'v6.1' }]],
    [[undefined, ['bzImage'], undefined], [{ kind: 'image', path: 'bzImage' }]],
    [[undefined, ['a/bzImage', 'b/bzImage'], undefined], [{ kind: 'image', path: 'a/bzImage' }, { kind: 'image', path: 'b/bzImage' }]],
    [[undefined, [], ['v6.1', 'v6.2']], [{ kind: 'rev', rev: 'v6.1' }, { kind: 'rev', rev: 'v6.2' }]],
  ] as const)('%j', (args, subjects) => {
    expect(chooseSubjects(args[0], args[1], args[2])).toEqual(subjects);
  });

  it.each([
    [[undefined, [], undefined], 'expected either a revision to build or --kernel IMAGE, got neither'],
    [['v6.1', ['bzImage'], undefined], 'got both (v6.1 and --kernel bzImage)'],
    [[undefined, [], ['v6.1']], '--compare: expected two revisions A B, got v6.1'],
    [[undefined, [], ['a', 'b', 'c']], '--compare: expected two revisions A B, got a b c'],
    [['v6.0', [], ['v6.1', 'v6.2']], 'expected no REV and no --kernel beside it, got v6.0'],
    [[undefined, ['a', 'b', 'c'], undefined], '--kernel: expected one image (or two, to compare), got 3'],
  ] as const)('%j is refused: %s', (args, message) => {
    expect(() => chooseSubjects(args[0], args[1], args[2] as string[] | undefined)).toThrow(UserError);
    expect(() => chooseSubjects(args[0], args[1], args[2] as string[] | undefined)).toThrow(message);
  });
});

describe('kbisect matrix: bad input is a user error before anything runs', () => {
  it.each([
    [['matrix', '--kernel', '/nonexistent/bzImage', '--axes', 'vhost=maybe', 'speed=fast'], /--axes: vhost: expected one of on, off, got "maybe"\n--axes: expected an axis named vhost, condition, topology, nic, got "speed"/],
    [['matrix', '--kernel', '/nonexistent/bzImage', '--boots', '0'], /--boots: expected an integer ≥ 1, got 0/],
    [['matrix', '--kernel', '/nonexistent/bzImage', '--boots', '1.5'], /--boots: expected an integer ≥ 1, got 1.5/],
    [['matrix'], /expected either a revision to build or --kernel IMAGE, got neither/],
    [['matrix', '--kernel', '/nonexistent/bzImage', '--profile', 'no-such-profile'], /no-such-profile/],
    [['matrix', '--kernel', '/nonexistent/bzImage', '--axes', 'condition=plain', '--boots', '1'], /--kernel: no such file: \/nonexistent\/bzImage/],
  ])('%j', async (args, message) => {
    const error = await runCli(args, ctx()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(message);
  });

  it('--help teaches the axes, their values and defaults, and the exit codes', async () => {
    let help = '';
    const log = console.log;
    console.log = (s: string) => (help += s);
    try {
      await runCli(['matrix', '--help'], ctx());
    } finally {
      console.log = log;
    }
    help = help.replace(/\s+/g, ' ');
    expect(help).toContain('vhost (on|off)');
    expect(help).toContain('condition (plain|migration|hotplug|qos)');
    expect(help).toContain('nic (plain|vlans-macs)');
    expect(help).toContain('default vhost=on,off condition=plain,hotplug,qos,migration topology=host-to-guest,external-to-guest nic=plain');
    expect(help).toContain('exit 0 when every available cell works');
  });
});

describe('formatMatrixProgress', () => {
  const [cell] = enumerateCells({ vhost: ['off'], condition: ['hotplug'], topology: ['host-to-guest'], nic: ['plain'] });
  it('names the cell, the kernel, the boot and the run', () => {
    expect(formatMatrixProgress({ kind: 'measure', index: 2, total: 12, cell: cell!, side: 'b', event: { kind: 'run', bootIndex: 0, test: 'stream', rep: 2, reps: 3, warmup: false, value: 512, unit: '10^6bits/s' } }, 2)).toBe(
      '[3/12] vhost=off hotplug host-to-guest B: boot 1/2: stream run 2/3: 512.0 Mbit/s',
    );
  });
});
