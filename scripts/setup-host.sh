#!/bin/bash
# setup-host.sh - install everything kbisect's pipeline needs on a Debian 12
# (bookworm) host. Idempotent; run as root. Prints what it did.
#
#   qemu-system-x86       guests (KVM where it works, TCG otherwise)
#   busybox-static        the guest initramfs userland
#   netperf               guest/host benchmark (Debian *non-free* component)
#   kernel build tools    make gcc flex bison bc libelf-dev libssl-dev ccache cpio
#   git iproute2          the kernel tree; namespaces, bridges, taps
#   linux-source-6.1      kernel sources for the tests and the demo (/usr/src)
#   slurm-wlm munge       the Slurm executor (run --executor slurm); scripts/slurm-local.sh
#   redis-server redis-tools  starts a one-machine cluster and a redis for ccache's remote storage
set -euo pipefail

say() { echo "setup-host: $*"; }
if [[ $(id -u) -ne 0 ]]; then
  echo "setup-host: must run as root (apt-get, /etc/apt/sources.list.d). Try: sudo bash $0" >&2
  exit 2
fi
if [[ ! -r /etc/os-release ]] || ! grep -q '^VERSION_CODENAME=bookworm' /etc/os-release; then
  say "warning: written for Debian 12 (bookworm); continuing anyway"
fi

export DEBIAN_FRONTEND=noninteractive
PKGS=(qemu-system-x86 busybox-static strace make gcc flex bison bc libelf-dev libssl-dev
      ccache cpio git iproute2 kmod procps linux-source-6.1 xz-utils netperf
      slurm-wlm munge redis-server redis-tools)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  say "all packages already installed: ${PKGS[*]}"
else
  say "missing: ${missing[*]}"
  apt-get update -qq
  # netperf is in Debian's non-free component: add a sources entry only when
  # the configured sources cannot provide it.
  if [[ " ${missing[*]} " == *" netperf "* ]] && ! apt-cache policy netperf 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    list=/etc/apt/sources.list.d/kbisect-non-free.sources
    uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    uri=${uri:-http://deb.debian.org/debian}
    say "adding $list (Components: non-free, bookworm) for netperf"
    cat > "$list" <<SRC
Types: deb
URIs: $uri
Suites: bookworm
Components: non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    apt-get update -qq
  fi
  say "apt-get install ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# /dev/net/tun and (optionally) vhost-net; modprobe may be unavailable in containers.
[[ -c /dev/net/tun ]] || { modprobe tun 2>/dev/null || true; }
[[ -c /dev/vhost-net ]] || { modprobe vhost_net 2>/dev/null || say "note: /dev/vhost-net absent (profiles with vhost: true will refuse to run)"; }

for t in qemu-system-x86_64 netperf netserver busybox ccache make gcc flex bison bc git ip \
         sbatch slurmctld slurmd munged mungekey redis-server redis-cli; do
  command -v "$t" >/dev/null || { echo "setup-host: $t still missing after install" >&2; exit 1; }
done
say "done: $(qemu-system-x86_64 --version | head -1); netperf $(netperf -V 2>&1 | grep -o '[0-9][0-9.]*' | head -1); $(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -1)"
