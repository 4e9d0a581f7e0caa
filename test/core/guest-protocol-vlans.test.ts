import { describe, expect, it } from 'vitest';
import { encodeGuestJob } from '../../src/core/guest-protocol.ts';

describe('encodeGuestJob with VLANs and extra MACs', () => {
  it('adds one word for the VLANs and one for the extra MACs', () => {
    expect(
      encodeGuestJob({
        role: 'server',
        ip: '10.77.0.2',
        netmask: '255.255.255.0',
        vlans: [
          { vid: 10, ip: '10.77.100.2' },
          { vid: 20, ip: '10.77.101.2' },
        ],
        extraMacs: [
          { mac: '52:54:00:78:02:01', ip: '10.77.0.101' },
          { mac: '52:54:00:78:02:02', ip: '10.77.0.102' },
        ],
      }),
    ).toEqual([
      'kbisect.role=server',
      'kbisect.ip=10.77.0.2',
      'kbisect.mask=255.255.255.0',
      'kbisect.vlans=10/10.77.100.2,20/10.77.101.2',
      'kbisect.macs=52:54:00:78:02:01/10.77.0.101,52:54:00:78:02:02/10.77.0.102',
    ]);
  });

  it('adds nothing for none', () => {
    expect(encodeGuestJob({ role: 'server', vlans: [], extraMacs: [] })).toEqual(['kbisect.role=server']);
  });

  it.each([
    [{ vlans: [{ vid: 0, ip: '10.77.100.2' }] }],
    [{ vlans: [{ vid: 10, ip: '10.77.100.2 x' }] }],
    [{ extraMacs: [{ mac: '52:54:00:78:02', ip: '10.77.0.101' }] }],
    [{ extraMacs: [{ mac: '52:54:00:78:02:01', ip: 'a,b' }] }],
  ])('refuses what cannot travel on the command line: %j', (extra) => {
    expect(() => encodeGuestJob({ role: 'server', ...extra })).toThrow(/cannot travel on the kernel command line/);
  });
});
