import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  applyConsoleEvent,
  baseKernelArgs,
  buildKernelCmdline,
  describeGuestStop,
  encodeGuestJob,
  initialConsoleState,
  isFatalQemuMessage,
  parseConsoleLine,
  type ConsoleState,
} from '../../src/core/guest-protocol.ts';

function fold(text: string): ConsoleState {
  return text.split('\n').reduce((s, line) => applyConsoleEvent(s, parseConsoleLine(line)), initialConsoleState);
}

const fixtures = join(import.meta.dirname, '../fixtures');

describe('encodeGuestJob', () => {
  it('puts the job on the kernel command line, one word per run', () => {
    expect(
      encodeGuestJob({
        role: 'client',
        ip: '10.77.0.2',
        netmask: '255.255.255.0',
        serverIp: '10.77.0.1',
        runs: [{ test: 'rr', reps: 6, netperfArgs: ['-H', '10.77.0.1', '-t', 'TCP_RR', '--', '-r', '1,1'] }],
      }),
    ).toEqual([
      'kbisect.role=client',
      'kbisect.ip=10.77.0.2',
      'kbisect.mask=255.255.255.0',
      'kbisect.server=10.77.0.1',
      'kbisect.run1=rr:6:-H:10.77.0.1:-t:TCP_RR:--:-r:1,1',
    ]);
  });

  it('refuses words that would be split on the way', () => {
    expect(() => encodeGuestJob({ role: 'client', runs: [{ test: 'rr', reps: 1, netperfArgs: ['a b'] }] })).toThrow(/cannot travel/);
    expect(() => encodeGuestJob({ role: 'client', runs: [{ test: 'rr', reps: 1, netperfArgs: ['a:b'] }] })).toThrow(/cannot travel/);
  });

  it('assembles base words, profile words and the job, and checks the size limit', () => {
    expect(buildKernelCmdline(['console=ttyS0'], { role: 'probe' }, ' mitigations=off ')).toBe('console=ttyS0 mitigations=off kbisect.role=probe');
    expect(() => buildKernelCmdline(['x'.repeat(2100)], { role: 'probe' }, '')).toThrow(/2047/);
  });

  it('adds the TCG boot shortcut only under TCG', () => {
    expect(baseKernelArgs('tcg')).toContain('nolapic_timer');
    expect(baseKernelArgs('kvm')).not.toContain('nolapic_timer');
    expect(baseKernelArgs('kvm')).toContain('panic=-1');
  });
});

describe('console protocol', () => {
  it('folds a recorded client console into ready, runs and done', () => {
    const s = fold(readFileSync(join(fixtures, 'guest-console-client.txt'), 'utf8'));
    expect(s.ready).toEqual({ uptimeS: 0.74 });
    expect(s.done).toBe(true);
    expect(s.failure).toBeNull();
    expect(s.runs.map((r) => [r.test, r.rep, r.exitCode])).toEqual([
      ['rr', 1, 0],
      ['rr', 2, 0],
      ['rr', 3, 0],
    ]);
    expect(s.runs[0]?.output).toBe('4229.53,Trans/s,233.70,181,970,4229.532,1.00,0,1');
  });

  it('detects a recorded kernel panic', () => {
    const s = fold(readFileSync(join(fixtures, 'guest-console-panic.txt'), 'utf8'));
    expect(s.ready).toBeNull();
    expect(s.failure).toEqual({ kind: 'panic', text: 'Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100' });
  });

  it('detects an oops, also behind a printk timestamp and a carriage return', () => {
    expect(parseConsoleLine('[    1.234567] BUG: kernel NULL pointer dereference, address: 0000000000000008\r')).toEqual({
      kind: 'oops',
      line: '[    1.234567] BUG: kernel NULL pointer dereference, address: 0000000000000008',
    });
    expect(parseConsoleLine('general protection fault, probably for non-canonical address').kind).toBe('oops');
    expect(parseConsoleLine('a BUG: in prose is not an oops').kind).toBe('text');
  });

  it("reports the guest's own error marker, but a panic after it wins", () => {
    let s = applyConsoleEvent(initialConsoleState, parseConsoleLine('KBISECT-ERROR network setup failed (kbisect.ip=)'));
    expect(s.failure).toEqual({ kind: 'guest-error', text: 'network setup failed (kbisect.ip=)' });
    s = applyConsoleEvent(s, parseConsoleLine('Kernel panic - not syncing: Attempted to kill init!'));
    expect(s.failure?.kind).toBe('panic');
  });

  it('keeps stray kernel lines inside a run (the netperf parser skips them)', () => {
    const s = fold('KBISECT-RUN-BEGIN test=s rep=1\nrandom: crng init done\n1.0,x,0,0,0,0,1,0,0\nKBISECT-RUN-END test=s rep=1 rc=0');
    expect(s.runs[0]?.output).toBe('random: crng init done\n1.0,x,0,0,0,0,1,0,0');
  });

  it('reads the uptime of the ready marker, null when garbled', () => {
    expect(parseConsoleLine('KBISECT-READY uptime=0.93 role=server')).toEqual({ kind: 'ready', uptimeS: 0.93, role: 'server' });
    expect(parseConsoleLine('KBISECT-READY role=probe')).toEqual({ kind: 'ready', uptimeS: null, role: 'probe' });
  });
});

describe('QEMU messages and failure descriptions', () => {
  it('knows the messages of a KVM that cannot run the guest', () => {
    expect(isFatalQemuMessage('KVM internal error. Suberror: 1')).toBe(true);
    expect(isFatalQemuMessage('emulation failure')).toBe(true);
    expect(isFatalQemuMessage('qemu-system-x86_64: terminating on signal 15 from pid 1')).toBe(false);
  });

  it('says why a guest stopped in one sentence', () => {
    expect(describeGuestStop({ kind: 'failure', failure: { kind: 'panic', text: 'Kernel panic - not syncing: VFS' } })).toBe('kernel panic: Kernel panic - not syncing: VFS');
    expect(describeGuestStop({ kind: 'timeout', waitedMs: 5000, waitingFor: 'ready marker' })).toBe('no ready marker within 5.0 s (hung?)');
    expect(describeGuestStop({ kind: 'exited', exitCode: 1, signal: undefined, qemuStderr: 'qemu-system-x86_64: could not open ktap0\n' })).toBe(
      'QEMU exited with code 1: qemu-system-x86_64: could not open ktap0',
    );
    expect(describeGuestStop({ kind: 'qemu-fatal', message: 'KVM internal error. Suberror: 1' })).toBe('QEMU: KVM internal error. Suberror: 1');
  });
});
