import { describe, expect, it } from 'vitest';
import { buildQemuArgs, type QemuGuestOptions } from '../../src/adapters/qemu.ts';
import { buildTcgMigratableMemorySize } from '../../src/core/conditions/migration.ts';

const base: QemuGuestOptions = {
  name: 'kbisect-1-ab-b0-g0',
  accel: 'tcg',
  memoryMiB: 128,
  vcpus: 1,
  kernel: '/k/bzImage',
  initrd: '/c/img.cpio',
  append: 'console=ttyS0 quiet',
  nics: [{ tap: 'kmtap0', mac: '52:54:00:77:00:02', vhost: false, queues: 1, mrgRxbuf: true, offloads: {} }],
  qmpSocket: '/run/x/g0-m1.qmp',
};

function memoryOf(args: string[]): string | undefined {
  return args[args.indexOf('-m') + 1];
}

describe('a live migration destination', () => {
  it('is the same guest on the standby tap, waiting with -incoming on a unix socket', () => {
    const args = buildQemuArgs({ ...base, incoming: 'unix:/run/x/mig1.sock' });
    expect(args.slice(-2)).toEqual(['-incoming', 'unix:/run/x/mig1.sock']);
    expect(args).toContain('tap,id=net0,ifname=kmtap0,script=no,downscript=no,vhost=off');
    expect(args).toContain('virtio-net-pci,netdev=net0,mac=52:54:00:77:00:02,romfile=,mrg_rxbuf=on');
  });

  it('has no -incoming otherwise', () => {
    expect(buildQemuArgs(base)).not.toContain('-incoming');
  });

  it('has the same arguments as its source but for the tap, the QMP socket and -incoming', () => {
    const source = buildQemuArgs({ ...base, migratable: true, nics: [{ ...base.nics[0]!, tap: 'ktap0' }], qmpSocket: '/run/x/g0.qmp' });
    const destination = buildQemuArgs({ ...base, migratable: true, incoming: 'unix:/run/x/mig1.sock' });
    const masked = (a: string[]): string[] => a.map((x) => x.replace(/ifname=\w+/, 'ifname=T').replace(/unix:[^,]*/, 'unix:S')).filter((x, i, all) => x !== '-incoming' && all[i - 1] !== '-incoming');
    expect(masked(destination)).toEqual(masked(source));
  });
});

// QEMU 7.2 loses TCG stores to RAM blocks of a multiple of 256 KiB while migrating (see buildTcgMigratableMemorySize)
describe('guest RAM of a migrated TCG guest', () => {
  it('is 8 KiB more than the profile asks, on the source and every destination', () => {
    expect(memoryOf(buildQemuArgs({ ...base, migratable: true }))).toBe('131080k');
    expect(memoryOf(buildQemuArgs({ ...base, migratable: true, incoming: 'unix:/run/x/mig1.sock' }))).toBe('131080k');
  });

  it('is never a multiple of 256 KiB (QEMU rounds -m up to 8 KiB)', () => {
    for (const mib of [64, 128, 256, 1000, 4096]) {
      const kib = Number(buildTcgMigratableMemorySize(mib).replace(/k$/, ''));
      expect(kib % 8, `${mib} MiB`).toBe(0);
      expect(kib % 256, `${mib} MiB`).not.toBe(0);
      expect(kib - mib * 1024).toBe(8);
    }
  });

  it('is the profile size as given without migration, and under KVM (its dirty log is not affected)', () => {
    expect(memoryOf(buildQemuArgs(base))).toBe('128');
    expect(memoryOf(buildQemuArgs({ ...base, accel: 'kvm', migratable: true }))).toBe('128');
  });

  it('rejects a size that is not a positive whole number of MiB', () => {
    expect(() => buildTcgMigratableMemorySize(0)).toThrow(/positive whole number of MiB, got 0/);
    expect(() => buildTcgMigratableMemorySize(1.5)).toThrow(/got 1.5/);
  });
});
