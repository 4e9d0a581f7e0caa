#!/bin/bash
# demo.sh (npm run demo) - the main job on a fresh machine: set up the host,
# build kbisect, make a Linux 6.1 repo with 16 plausible commits of which one
# adds a 50 us busy delay per packet to virtio-net's transmit path, bisect it
# for real (builds, QEMU boots, netperf), and check that kbisect named it.
#
# Env: KBISECT_DEMO_DIR (default /var/cache/kbisect-fixtures/demo), DEMO_DELAY_US (50: about -40% TCP_STREAM here),
#      DEMO_JOBS (1; 2 builds the next likely commit in the background while one is measured, which
#      shifts TCG throughput on a host like this one: npm run bench:boot -- --beside-only),
#      DEMO_PROFILE (profiles/demo-guest-tx-adaptive.yaml: demo-guest-tx with runs per boot chosen from the boots;
#      profiles/demo-guest-tx.yaml keeps 3 runs a boot), DEMO_REPORT (./kbisect-demo-report.html)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${KBISECT_DEMO_DIR:-/var/cache/kbisect-fixtures/demo}
PROFILE=${DEMO_PROFILE:-profiles/demo-guest-tx-adaptive.yaml}
REPORT=${DEMO_REPORT:-$PWD/kbisect-demo-report.html}
say() { printf '\n== %s\n' "$*" >&2; }

say "host setup (idempotent)"
bash scripts/setup-host.sh
[[ -d node_modules ]] || npm ci --no-audit --no-fund
say "build kbisect"
node build.mjs --no-sea
K="node $PWD/dist/kbisect.mjs"
$K doctor

say "demo kernel repo: 16 commits on Linux 6.1, one injects udelay(${DEMO_DELAY_US:-50}) in start_xmit"
node scripts/make-demo-repo.mjs --out "$DIR" --commits 16 --culprit 11 --delay-us "${DEMO_DELAY_US:-50}" > /tmp/kbisect-demo.json
GOOD=$(node -p "require('/tmp/kbisect-demo.json').good")
BAD=$(node -p "require('/tmp/kbisect-demo.json').bad")
EXPECTED=$(node -p "require('/tmp/kbisect-demo.json').culprit")
git -C "$DIR" log --oneline "$GOOD..$BAD" >&2

say "kbisect start + run (the first kernel build is a clean one, ~3.5 min on 2 cores; later runs reuse it)"
$K -C "$DIR" reset >/dev/null
start=$(date +%s)
$K -C "$DIR" start "$GOOD" "$BAD" --profile "$PWD/$PROFILE"
set +e
$K -C "$DIR" run --jobs "${DEMO_JOBS:-1}" --html "$REPORT"
rc=$?
set -e
$K -C "$DIR" report --json > /tmp/kbisect-demo-result.json || true
FOUND=$(node -p "(require('/tmp/kbisect-demo-result.json').culprit || {}).sha || 'none'")
say "demo finished in $(( $(date +%s) - start )) s; HTML report: $REPORT"
if [[ $rc -eq 0 && "$FOUND" == "$EXPECTED" ]]; then
  echo "DEMO OK: kbisect named the injected culprit $EXPECTED"
else
  echo "DEMO FAILED: expected culprit $EXPECTED, kbisect said $FOUND (exit $rc)" >&2
  exit 1
fi
