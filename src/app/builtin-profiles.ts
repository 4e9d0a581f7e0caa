// The profiles shipped in profiles/, bundled into dist and the single
// executable as text (esbuild's ?raw), by name.
import demoGuestTx from '../../profiles/demo-guest-tx.yaml?raw';
import demoGuestTxAdaptive from '../../profiles/demo-guest-tx-adaptive.yaml?raw';
import tcpRr from '../../profiles/tcp-rr.yaml?raw';
import tcpStreamGuestToGuest from '../../profiles/tcp-stream-guest-to-guest.yaml?raw';
import tcpStreamGuestToHost from '../../profiles/tcp-stream-guest-to-host.yaml?raw';
import tcpStreamHostToGuestVhost from '../../profiles/tcp-stream-host-to-guest-vhost.yaml?raw';
import tcpStreamHostToGuest from '../../profiles/tcp-stream-host-to-guest.yaml?raw';
import udpRrSmall from '../../profiles/udp-rr-small.yaml?raw';
import vlanMacs from '../../profiles/vlan-macs.yaml?raw';
import migration from '../../profiles/migration.yaml?raw';
import hotplug from '../../profiles/hotplug.yaml?raw';
import qosQuarterCpu from '../../profiles/qos-quarter-cpu.yaml?raw';
import tcpStreamExternalToGuest from '../../profiles/tcp-stream-external-to-guest.yaml?raw';
import matrix from '../../profiles/matrix.yaml?raw';

export const builtinProfiles: Readonly<Record<string, string>> = {
  'tcp-stream-guest-to-host': tcpStreamGuestToHost,
  'tcp-stream-host-to-guest': tcpStreamHostToGuest,
  'tcp-stream-host-to-guest-vhost': tcpStreamHostToGuestVhost,
  'tcp-rr': tcpRr,
  'tcp-stream-guest-to-guest': tcpStreamGuestToGuest,
  'udp-rr-small': udpRrSmall,
  'demo-guest-tx': demoGuestTx,
  'demo-guest-tx-adaptive': demoGuestTxAdaptive,
  'vlan-macs': vlanMacs,
  migration,
  hotplug,
  'qos-quarter-cpu': qosQuarterCpu,
  'tcp-stream-external-to-guest': tcpStreamExternalToGuest,
  matrix,
};
