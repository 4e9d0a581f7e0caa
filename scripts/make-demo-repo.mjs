#!/usr/bin/env node
// make-demo-repo.mjs - a Linux 6.1 git repo with a series of small, plausible
// commits on top of Debian's linux-source tarball, one of which introduces a
// real virtio-net regression: a busy delay per packet in start_xmit. Used by
// `npm run demo` and by the end-to-end test.
//
// Usage: node scripts/make-demo-repo.mjs --out DIR [--commits 16] [--culprit 11]
//          [--delay-us 20] [--broken K]   (K: commit K breaks the build, K+1 fixes it)
// Prints one JSON object: {repo, good, bad, culprit, broken, commits: [{sha, subject}]}.
// Reproducible: fixed authors and dates, so the same options give the same SHAs;
// an existing DIR made with the same options is reused as it is.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    out: { type: 'string' },
    commits: { type: 'string', default: '16' },
    culprit: { type: 'string', default: '11' },
    'delay-us': { type: 'string', default: '20' },
    broken: { type: 'string' },
  },
});
function fail(msg) {
  process.stderr.write(`make-demo-repo: ${msg}\n`);
  process.exit(2);
}
const positiveInt = (name, raw) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) fail(`--${name}: expected an integer >= 1, got ${JSON.stringify(raw)}`);
  return n;
};
if (!opt.out) fail('--out DIR is required');
const out = resolve(opt.out);
const total = positiveInt('commits', opt.commits);
const culpritAt = opt.culprit === '0' ? 0 : positiveInt('culprit', opt.culprit);
const delayUs = positiveInt('delay-us', opt['delay-us']);
const brokenAt = opt.broken === undefined ? 0 : positiveInt('broken', opt.broken);
if (culpritAt > total) fail(`--culprit ${culpritAt} is past --commits ${total} (0 = no culprit)`);
if (brokenAt && (brokenAt + 1 > total || brokenAt === culpritAt || brokenAt + 1 === culpritAt)) {
  fail(`--broken ${brokenAt}: needs room for the fix at ${brokenAt + 1} and must not be the culprit`);
}

const git = (args, cwd = out, env = {}) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }).trim();

// Edits, each applied to a text that must contain its anchor exactly once.
const VNET = 'drivers/net/virtio_net.c';
function insertAfterLine(anchor, text) {
  return (src, file) => {
    const i = src.indexOf(anchor);
    if (i < 0 || src.indexOf(anchor, i + 1) >= 0) throw new Error(`${file}: anchor ${JSON.stringify(anchor)} is not unique`);
    const eol = src.indexOf('\n', i);
    return `${src.slice(0, eol + 1)}${text}\n${src.slice(eol + 1)}`;
  };
}
function replaceOnce(find, repl) {
  return (src, file) => {
    const i = src.indexOf(find);
    if (i < 0 || src.indexOf(find, i + 1) >= 0) throw new Error(`${file}: ${JSON.stringify(find)} is not unique`);
    return src.slice(0, i) + repl + src.slice(i + find.length);
  };
}
const appendLines = (text) => (src) => `${src.replace(/\n*$/, '\n')}${text}\n`;

// Behaviour-neutral commits: comments, messages, documentation.
const neutral = [
  ['Documentation: networking: mention virtio-net in the driver overview', 'Documentation/networking/driver.rst', appendLines('\nVirtio-net guests follow the same transmit rules: stop the queue before the ring fills.')],
  ['virtio_net: explain why orphaned skbs are not waited for', VNET, insertAfterLine("/* Don't wait up for transmitted skbs to be freed. */", '\t/* Orphaned skbs are freed from the tx completion path. */')],
  ['tcp: name the RFC in the tcp_output.c header', 'net/ipv4/tcp_output.c', insertAfterLine(' *		Implementation of the Transmission Control Protocol(TCP).', ' *		(RFC 9293 and its updates.)')],
  ['Documentation: networking: fix a dangling sentence in checksum-offloads', 'Documentation/networking/checksum-offloads.rst', appendLines('\nSee also netdev-features.rst for how these flags are negotiated.')],
  ['net: skbuff: fix a plural in a comment', 'net/core/skbuff.c', replaceOnce('and slicing it into 1K sized fragment.', 'and slicing it into 1K sized fragments.')],
  ['virtio_net: lower-case the unexpected TXQ failure message', VNET, replaceOnce('"Unexpected TXQ (%d) queue failure: %d\\n"', '"unexpected TXQ (%d) queue failure: %d\\n"')],
  ['Documentation: networking: bridge: note the forward delay default', 'Documentation/networking/bridge.rst', appendLines('\nA bridge without STP forwards as soon as a port is up when forward_delay is 0.')],
  ['tcp: note the RFC in the tcp.c header', 'net/ipv4/tcp.c', insertAfterLine(' *		Implementation of the Transmission Control Protocol(TCP).', ' *		(See also RFC 9293.)')],
  ['net: dev: add a line to the file header', 'net/core/dev.c', insertAfterLine(' *      NET3    Protocol independent device support routines.', ' *              (Core of the network device layer.)')],
  ['Documentation: networking: failover: wording', 'Documentation/networking/failover.rst', appendLines('\nThe standby device is usually a virtio-net device.')],
  ['Documentation: networking: filter: add a cross reference', 'Documentation/networking/filter.rst', appendLines('\nSee also af_xdp.rst.')],
  ['Documentation: networking: ipvlan: wording', 'Documentation/networking/ipvlan.rst', appendLines('\nIPvlan slaves share the master\'s MAC address.')],
  ['Documentation: networking: index: keep the list sorted', 'Documentation/networking/index.rst', appendLines('\n.. (entries are kept in alphabetical order)')],
  ['Documentation: networking: dctcp: add a reference', 'Documentation/networking/dctcp.rst', appendLines('\nSee also RFC 8257.')],
  ['Documentation: networking: gtp: wording', 'Documentation/networking/gtp.rst', appendLines('\nGTP-U runs over UDP port 2152.')],
  ['Documentation: networking: can: wording', 'Documentation/networking/can.rst', appendLines('\nSee also can_ucan_protocol.rst.')],
  ['Documentation: networking: bonding: wording', 'Documentation/networking/bonding.rst', appendLines('\nSee also failover.rst for the virtio-net standby feature.')],
  ['Documentation: networking: eql: wording', 'Documentation/networking/eql.rst', appendLines('\nEQL is of historical interest only.')],
  // append-only from here on, so that a long series (e.g. the sweep's 24 commits) never repeats an edit
  ['Documentation: networking: multiqueue: wording', 'Documentation/networking/multiqueue.rst', appendLines('\nVirtio-net exposes one queue pair per vCPU when mq is negotiated.')],
  ['Documentation: networking: net_dim: add a cross reference', 'Documentation/networking/net_dim.rst', appendLines('\nSee also ethtool-netlink.rst for the coalescing settings.')],
  ['Documentation: networking: netconsole: wording', 'Documentation/networking/netconsole.rst', appendLines('\nNetconsole works over virtio-net like over any other NIC.')],
  ['Documentation: networking: netdev-features: wording', 'Documentation/networking/netdev-features.rst', appendLines('\nSee also checksum-offloads.rst.')],
  ['Documentation: networking: scaling: wording', 'Documentation/networking/scaling.rst', appendLines('\nRPS is of little use on a single-queue virtio-net device with one vCPU.')],
  ['Documentation: networking: segmentation-offloads: wording', 'Documentation/networking/segmentation-offloads.rst', appendLines('\nVirtio-net negotiates TSO through its feature bits.')],
  ['Documentation: networking: msg_zerocopy: wording', 'Documentation/networking/msg_zerocopy.rst', appendLines('\nZerocopy completions arrive on the socket error queue.')],
  ['Documentation: networking: tcp-thin: add a reference', 'Documentation/networking/tcp-thin.rst', appendLines('\nSee also RFC 6675.')],
];
const culpritEdit = [
  `virtio_net: pace transmit to give the host time to drain the ring`,
  VNET,
  (src, file) =>
    insertAfterLine('#include <linux/kernel.h>', '#include <linux/delay.h>')(
      insertAfterLine('\tskb_tx_timestamp(skb);', `\n\t/* Let the host drain the ring before the next packet. */\n\tudelay(${delayUs});`)(src, file),
      file,
    ),
];
const brokenEdit = ['virtio_net: simplify the kick decision in start_xmit', VNET, replaceOnce('bool kick = !netdev_xmit_more();', 'bool kick = !netdev_xmit_more()')];
const fixEdit = ['virtio_net: fix build after simplifying the kick decision', VNET, replaceOnce('bool kick = !netdev_xmit_more()\n', 'bool kick = !netdev_xmit_more();\n')];

const stamp = JSON.stringify({ v: 1, total, culpritAt, delayUs, brokenAt });
const stampFile = join(out, '.git', 'kbisect-demo-stamp');
if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
  process.stdout.write(`${readFileSync(join(out, '.git', 'kbisect-demo.json'), 'utf8')}\n`);
  process.exit(0);
}

const baseLines = execFileSync('bash', [join(here, 'make-kernel-base.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const base = /^BASE=(.*)$/m.exec(baseLines)?.[1];
if (!base) fail(`make-kernel-base.sh said: ${baseLines}`);
rmSync(out, { recursive: true, force: true });
process.stderr.write(`make-demo-repo: cloning ${base} into ${out}\n`);
execFileSync('git', ['clone', '-q', '--shared', base, out], { stdio: 'inherit' });
git(['config', 'gc.auto', '0']);

const series = [];
let n = 0;
for (let i = 1; i <= total; i++) {
  if (i === culpritAt) series.push(culpritEdit);
  else if (brokenAt && i === brokenAt) series.push(brokenEdit);
  else if (brokenAt && i === brokenAt + 1) series.push(fixEdit);
  else series.push(neutral[n++ % neutral.length]);
}
const commits = [];
const good = git(['rev-parse', 'HEAD']);
series.forEach(([subject, file, edit], k) => {
  const path = join(out, file);
  writeFileSync(path, edit(readFileSync(path, 'utf8'), file));
  git(['add', file]);
  const date = new Date(Date.UTC(2024, 0, 2, k)).toISOString();
  const author = k % 3 === 0 ? ['Ada Netdev', 'ada@example.org'] : k % 3 === 1 ? ['Bo Virtio', 'bo@example.org'] : ['Cy Tcp', 'cy@example.org'];
  git(['commit', '-q', '-m', subject], out, {
    GIT_AUTHOR_NAME: author[0], GIT_AUTHOR_EMAIL: author[1], GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_NAME: author[0], GIT_COMMITTER_EMAIL: author[1], GIT_COMMITTER_DATE: date,
  });
  commits.push({ sha: git(['rev-parse', 'HEAD']), subject });
});
const result = {
  repo: out,
  good,
  bad: commits[commits.length - 1].sha,
  culprit: culpritAt ? commits[culpritAt - 1].sha : null,
  broken: brokenAt ? commits[brokenAt - 1].sha : null,
  delayUs,
  commits,
};
writeFileSync(join(out, '.git', 'kbisect-demo.json'), JSON.stringify(result, null, 2));
writeFileSync(stampFile, stamp);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
