#!/bin/bash
# make-kernel-base.sh - turn Debian's linux-source-6.1 tarball into a git repo
# with one commit: the base the test fixture and the demo add commits on top of.
#
# Usage: make-kernel-base.sh [DIR]     (default: $KBISECT_FIXTURES/linux-6.1-base,
#                                       KBISECT_FIXTURES default /var/cache/kbisect-fixtures)
# Cached: reruns are free while the tarball's package version is unchanged.
# Prints BASE=<dir> and BASE_SHA=<sha>. The commit is reproducible (fixed
# author, committer and dates), so the same tarball gives the same SHA.
set -euo pipefail
TARBALL=${KBISECT_KERNEL_TARBALL:-$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -1)}
[[ -n "$TARBALL" && -f "$TARBALL" ]] || {
  echo "make-kernel-base: no /usr/src/linux-source-6.1.tar.* - run: sudo bash scripts/setup-host.sh (installs linux-source-6.1)" >&2; exit 2; }
ROOT=${KBISECT_FIXTURES:-/var/cache/kbisect-fixtures}
DIR=${1:-$ROOT/linux-6.1-base}
STAMP="$(basename "$TARBALL") $(stat -c '%s %Y' "$TARBALL")"
if [[ -f "$DIR/.git/kbisect-base-stamp" && "$(cat "$DIR/.git/kbisect-base-stamp")" == "$STAMP" ]]; then
  echo "BASE=$DIR"; echo "BASE_SHA=$(git -C "$DIR" rev-parse HEAD)"; exit 0
fi
rm -rf "$DIR.tmp"; mkdir -p "$DIR.tmp"
echo "make-kernel-base: unpacking $TARBALL (about a minute)" >&2
tar -xf "$TARBALL" -C "$DIR.tmp" --strip-components=1
cd "$DIR.tmp"
# Debian's tarball ships a top-level .gitignore whose '/*' would make 'git add'
# commit nothing: keep only the kernel's own .gitignore rules.
[[ -f .gitignore ]] && sed -i '/^\/\*$/d' .gitignore
export GIT_AUTHOR_NAME=kbisect GIT_AUTHOR_EMAIL=kbisect@localhost GIT_COMMITTER_NAME=kbisect GIT_COMMITTER_EMAIL=kbisect@localhost
export GIT_AUTHOR_DATE='2024-01-01T00:00:00Z' GIT_COMMITTER_DATE='2024-01-01T00:00:00Z'
git init -q -b master .
git config gc.auto 0
git add -A
git commit -q -m "Linux $(basename "$TARBALL" | sed 's/linux-source-//;s/\.tar.*//') (Debian linux-source)"
n=$(git ls-files | wc -l)
[[ $n -gt 50000 ]] || { echo "make-kernel-base: only $n files committed (a .gitignore swallowed the tree?)" >&2; exit 1; }
echo "$STAMP" > .git/kbisect-base-stamp
cd /; rm -rf "$DIR"; mv "$DIR.tmp" "$DIR"
echo "BASE=$DIR"; echo "BASE_SHA=$(git -C "$DIR" rev-parse HEAD)"
