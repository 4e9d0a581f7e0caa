// `kbisect matrix` for real, through the built CLI (dist/kbisect.mjs, or
// KBISECT_E2E_CLI): vhost on/off × plain/hotplug/qos × host-to-guest /
// external-to-guest on the condition fixtures' kernel (PCIe hotplug, 802.1Q,
// macvlan), one boot per cell under real QEMU and netperf. Every available
// cell must work, vhost cells are unavailable with the reason where
// /dev/vhost-net is unusable, --json has the documented shape, each cell's
// profile file loads back to the hash it was measured with, the HTML is
// written, and nothing is left behind. Then a kernel without hotplug support:
// the hotplug cell fails with "NIC never came back" and the exit code is 1.
// And Ctrl-C during a cell's boot: exit 130, nothing left behind.
// About 2.6 min here (TCG, 2 cores): 156 s measured.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listKbisectCgroups } from '../../src/adapters/conditions/qos.ts';
import { vhostNetUsable } from '../../src/adapters/qemu.ts';
import { NIC_NEVER_CAME_BACK } from '../../src/core/conditions/hotplug.ts';
import type { MatrixReport } from '../../src/core/matrix/result.ts';
import { ensureGuestKernel } from '../fixtures/guest-kernel.ts';
import { ensureHotplugGuestKernel } from '../fixtures/hotplug-kernel.ts';
import { countKbisectLeftovers } from '../helpers/leftovers.ts';

const root = join(import.meta.dirname, '..', '..');
const cli = process.env.KBISECT_E2E_CLI ?? join(root, 'dist', 'kbisect.mjs');
const KERNEL = await ensureHotplugGuestKernel();
const PLAIN_KERNEL = await ensureGuestKernel();
const dir = mkdtempSync(join(tmpdir(), 'kbisect-matrix-test-'));
const env = { ...process.env, KBISECT_DATA_DIR: join(dir, 'data'), KBISECT_CACHE_DIR: join(dir, 'cache'), KBISECT_CONFIG_DIR: join(dir, 'config') };

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kbisect(args: string[]): { status: number | null; stdout: string; stderr: string; pid: number } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env, timeout: 30 * 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, pid: r.pid ?? 0 };
}

// Nothing of the run is left: no namespace, QEMU or cgroup named after the run's process
// (kbisect-<pid>-...); other runs on the machine (other tests, other users) are theirs.
async function expectNothingLeft(pid: number): Promise<void> {
  const mine = (name: string): boolean => name.replace(/^.*\//, '').includes(`kbisect-${pid}-`);
  expect(countKbisectLeftovers().netns.filter(mine)).toEqual([]);
  expect(spawnSync('pgrep', ['-af', `qemu-system-x86_64.*kbisect-${pid}-`], { encoding: 'utf8' }).stdout).toBe('');
  expect((await listKbisectCgroups()).filter(mine)).toEqual([]);
}

describe('kbisect matrix', () => {
  it('vhost × plain/hotplug/qos/migration × host-/external-to-guest: every available cell works, vhost and migration to an external peer are unavailable with the reason', async () => {
    const html = join(dir, 'matrix.html');
    const out = join(dir, 'run');
    const axes = ['vhost=on,off', 'condition=plain,hotplug,qos,migration', 'topology=host-to-guest,external-to-guest'];
    const r = kbisect(['matrix', '--kernel', KERNEL, '--boots', '1', '--accel', 'tcg', '--axes', ...axes, '--json', '--html', html, '--out', out, '--no-store']);
    expect(r.stderr).not.toMatch(/internal error/);
    const report = JSON.parse(r.stdout) as MatrixReport;
    expect(r.status, r.stderr).toBe(0);

    expect(report).toMatchObject({ schema: 1, mode: 'single', bootsPerCell: 1, seed: null, dir: out, base: { name: 'matrix' }, host: { accel: 'tcg' } });
    expect(report.cells).toHaveLength(16);
    const vhost = await vhostNetUsable();
    for (const c of report.cells) {
      if (c.cell.condition === 'migration' && c.cell.topology === 'external-to-guest') {
        expect(c.status, c.cell.id).toBe('unavailable');
        expect(c.reason).toMatch(/conditions\.migration: expected topology host-to-guest/);
        continue;
      }
      if (c.cell.vhost === 'on' && !vhost) {
        expect(c.status, c.cell.id).toBe('unavailable');
        expect(c.reason).toMatch(/\/dev\/vhost-net is missing or cannot be opened/);
        expect(c.a).toBeNull();
        expect(c.bisect).toBeNull();
        continue;
      }
      expect(c.status, `${c.cell.id}: ${c.reason ?? ''}`).toBe('works');
      expect(c.a?.median).toBeGreaterThan(0);
      expect(c.a?.cv).toBeGreaterThanOrEqual(0);
      expect(c.a?.boots).toEqual({ ok: 1, failed: 0 });
      if (c.cell.condition === 'migration') expect(c.a?.migration?.completed).toBeGreaterThanOrEqual(1);
      if (c.cell.condition === 'hotplug') expect(c.a?.hotplug?.linkUpMedianMs).toBeGreaterThan(0);
      else expect(c.a?.hotplug).toBeNull();
      // the cell's profile file loads back to the hash the cell was measured with
      expect(c.bisect).toBe(`kbisect start GOOD BAD --profile ${c.profile?.file ?? ''}`);
      const shown = kbisect(['profile', 'show', c.profile?.file ?? '']);
      expect(shown.status, shown.stderr).toBe(0);
      expect(shown.stdout).toContain(`sha256 ${c.profile?.hash ?? '?'}`);
    }
    expect(report.counts).toEqual({ works: vhost ? 14 : 7, fails: 0, unavailable: vhost ? 2 : 9 });
    // the run's own copy, and progress on stderr (with --json: none)
    expect(JSON.parse(readFileSync(join(out, 'matrix.json'), 'utf8'))).toEqual(report);
    expect(readFileSync(html, 'utf8')).toMatch(/<table class="heat">[\s\S]*external-to-guest<br>vhost off/);
    await expectNothingLeft(r.pid);
  });

  it('hotplug with VLANs and extra MACs: after the NIC comes back the guest sets up its VLANs and MACs again and netperf runs over VLAN 10; an external peer cannot reach a VLAN', async () => {
    const r = kbisect(['matrix', '--kernel', KERNEL, '--boots', '1', '--accel', 'tcg', '--axes', 'vhost=off', 'condition=hotplug', 'topology=host-to-guest,external-to-guest', 'nic=vlans-macs', '--json', '--no-store']);
    const report = JSON.parse(r.stdout) as MatrixReport;
    const [internal, external] = report.cells;
    expect(internal?.status, internal?.reason ?? '').toBe('works');
    expect(internal?.a?.hotplug?.cycles).toBeGreaterThanOrEqual(1);
    expect(external?.status).toBe('unavailable');
    expect(external?.reason).toMatch(/nic\.vlans: expected a topology with the host side as peer/);
    expect(r.status, r.stderr).toBe(0);
    await expectNothingLeft(r.pid);
  });

  it('a kernel without PCIe hotplug: the hotplug cell fails with "NIC never came back", exit 1, and the table says why', async () => {
    const r = kbisect(['matrix', '--kernel', PLAIN_KERNEL, '--boots', '1', '--accel', 'tcg', '--axes', 'vhost=off', 'condition=plain,hotplug', 'topology=host-to-guest', '--no-store']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/kbisect matrix: 1 work, 1 fail, 0 unavailable/);
    const row = (cell: string): string => r.stdout.split('\n').find((l) => l.startsWith(`  ${cell} `)) ?? r.stdout;
    expect(row('vhost=off plain host-to-guest')).toMatch(/ works +\d/);
    expect(row('vhost=off hotplug host-to-guest')).toMatch(new RegExp(` FAILS +- +- +boot 1: ${NIC_NEVER_CAME_BACK}`));
    // progress went to stderr, one line per finished cell
    expect(r.stderr).toMatch(/\[2\/2\] vhost=off hotplug host-to-guest: fails/);
    expect(existsSync(PLAIN_KERNEL)).toBe(true);
    await expectNothingLeft(r.pid);
  });

  it("Ctrl-C while a cell's guest runs: exit 130, no namespace, QEMU or cgroup left", async () => {
    const child = spawn(process.execPath, [cli, 'matrix', '--kernel', KERNEL, '--boots', '1', '--accel', 'tcg', '--axes', 'vhost=off', 'condition=qos', 'topology=host-to-guest', '--no-store'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sent = false;
    const code = await new Promise<number | null>((done) => {
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString();
        // the guest is up and netperf runs: QEMU is in its cgroup. Once only: a second Ctrl-C means "exit now, skip the cleanup"
        if (!sent && / run 1\/3/.test(stderr)) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      // a run that never reaches netperf is stopped all the same (and the expectations below fail)
      const late = setTimeout(() => {
        sent = true;
        child.kill('SIGINT');
      }, 180_000);
      child.on('exit', (c) => {
        clearTimeout(late);
        done(c);
      });
    });
    expect(stderr).toMatch(/Ctrl-C: stopping children and cleaning up/);
    expect(code, stderr).toBe(130);
    await expectNothingLeft(child.pid ?? 0);
  });
});
