#!/bin/bash
# demo-sweep.sh (npm run demo:sweep) - a sweep on a fresh machine: set up the
# host, build kbisect, make a Linux 6.1 repo with 24 plausible commits of which
# #14 adds a 50 us busy delay per packet to virtio-net's transmit path, backfill
# it at stride 4 (commits 0, 4, 8, ..., 24: the culprit is not one of them) for
# real (builds, QEMU boots, netperf), and check that the sweep saw the step,
# confirmed it and bisected it to the injected commit.
#
# Env: KBISECT_DEMO_SWEEP_DIR (default /var/cache/kbisect-fixtures/demo-sweep), DEMO_DELAY_US (50: about -40% TCP_STREAM here),
#      DEMO_PROFILE (profiles/demo-guest-tx.yaml), DEMO_SWEEP_REPORT (./kbisect-sweep-report.html)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${KBISECT_DEMO_SWEEP_DIR:-/var/cache/kbisect-fixtures/demo-sweep}
PROFILE=${DEMO_PROFILE:-profiles/demo-guest-tx.yaml}
REPORT=${DEMO_SWEEP_REPORT:-$PWD/kbisect-sweep-report.html}
say() { printf '\n== %s\n' "$*" >&2; }

say "host setup (idempotent)"
bash scripts/setup-host.sh
[[ -d node_modules ]] || npm ci --no-audit --no-fund
say "build kbisect"
node build.mjs --no-sea
K="node $PWD/dist/kbisect.mjs"
$K doctor

say "demo kernel repo: 24 commits on Linux 6.1, #14 injects udelay(${DEMO_DELAY_US:-50}) in start_xmit"
node scripts/make-demo-repo.mjs --out "$DIR" --commits 24 --culprit 14 --delay-us "${DEMO_DELAY_US:-50}" > /tmp/kbisect-demo-sweep.json
GOOD=$(node -p "require('/tmp/kbisect-demo-sweep.json').good")
BAD=$(node -p "require('/tmp/kbisect-demo-sweep.json').bad")
EXPECTED=$(node -p "require('/tmp/kbisect-demo-sweep.json').culprit")
git -C "$DIR" log --oneline "$GOOD..$BAD" >&2

say "kbisect sweep run --range GOOD..BAD --stride 4 (7 kernels x 3 boots, then confirmation and bisection of each step; the first kernel build is a clean one)"
$K -C "$DIR" sweep reset >/dev/null
start=$(date +%s)
set +e
$K -C "$DIR" sweep run --profile "$PWD/$PROFILE" --range "$GOOD..$BAD" --stride 4 --html "$REPORT"
rc=$?
set -e

say "the nightly mail (kbisect sweep report --text)"
$K -C "$DIR" sweep report --text || true
$K -C "$DIR" sweep alerts --json > /tmp/kbisect-demo-sweep-alerts.json || echo '[]' > /tmp/kbisect-demo-sweep-alerts.json
FOUND=$(node -p "require('/tmp/kbisect-demo-sweep-alerts.json').filter((a) => a.state === 'culprit').map((a) => a.bisection.culprit.sha).join(' ') || 'none'")
say "demo finished in $(( $(date +%s) - start )) s; HTML dashboard: $REPORT"
if [[ $rc -eq 0 && "$FOUND" == "$EXPECTED" ]]; then
  echo "DEMO OK: the sweep found the step between commits 12 and 16 and bisected it to the injected culprit $EXPECTED"
else
  echo "DEMO FAILED: expected one culprit $EXPECTED, the sweep's alerts name ${FOUND} (exit $rc)" >&2
  exit 1
fi
