import { describe, expect, it } from 'vitest';
import { applyConsoleEvent, encodeGuestJob, initialConsoleState, parseConsoleLine } from '../../src/core/guest-protocol.ts';

describe('the hotplug part of the guest protocol', () => {
  it('asks the server guest to watch its NIC', () => {
    expect(encodeGuestJob({ role: 'server', ip: '10.77.0.2', watchNic: true })).toEqual(['kbisect.role=server', 'kbisect.ip=10.77.0.2', 'kbisect.hotplug=1']);
    expect(encodeGuestJob({ role: 'server', ip: '10.77.0.2' })).not.toContain('kbisect.hotplug=1');
  });

  it.each([
    ['KBISECT-LINK-UP uptime=12.34', { kind: 'link-up', uptimeS: 12.34 }],
    ['[   12.345678] KBISECT-LINK-UP uptime=5.00\r', { kind: 'link-up', uptimeS: 5 }],
    ['KBISECT-LINK-UP', { kind: 'link-up', uptimeS: null }],
  ])('reads %j', (line, event) => {
    expect(parseConsoleLine(line)).toEqual(event);
  });

  it('a link-up leaves the console state as it was (the hotplug driver counts them)', () => {
    const state = applyConsoleEvent(initialConsoleState, { kind: 'ready', uptimeS: 1, role: 'server' });
    expect(applyConsoleEvent(state, { kind: 'link-up', uptimeS: 2 })).toBe(state);
  });
});
