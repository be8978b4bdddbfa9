#!/bin/sh
# Stage 1 of the userland bench's root file system: a Debian 13 (trixie) riscv64 tree from Debian's archive,
# `debootstrap --foreign` (packages fetched and unpacked, none configured), made into an ext4 image with
# `mkfs.ext4 -d`. Stage 2 (`debootstrap --second-stage`, which configures the packages and needs riscv64 code
# to run) is run once inside a guest by bench/userland.ts, which then keeps the image as build/userland/rootfs.img.
#   sh bench/userland-rootfs.sh [OUT.img]      (default build/userland/stage1.img)
# Needs root (debootstrap makes device nodes and owns files as root) and the network to Debian's archive. The
# .debs are kept in build/userland/cache, so a second run downloads nothing. debootstrap itself is Debian's
# package, unpacked into build/userland/debootstrap when the host has none (nothing is installed).
# Prints the image's path on the last line of stdout; exit 1 with a one-line reason on stderr otherwise.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK="$ROOT/build/userland"
OUT=${1:-"$WORK/stage1.img"}
SUITE=trixie
MIRROR=${RVKVM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# what the workloads run (bench/userland.ts USER_WORKLOADS); libpython3.13-testsuite holds CPython's own tests
PACKAGES=gcc,libc6-dev,python3,libpython3.13-testsuite,perl,xz-utils,openssl
SIZE=3G
fail() { echo "userland-rootfs: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (debootstrap creates device nodes and root-owned files)"
command -v mkfs.ext4 >/dev/null 2>&1 || fail "no mkfs.ext4 (Debian package e2fsprogs)"
mkdir -p "$WORK/cache"

if command -v debootstrap >/dev/null 2>&1; then
  DEBOOTSTRAP=debootstrap
else
  DB="$WORK/debootstrap"
  if [ ! -x "$DB/usr/sbin/debootstrap" ]; then
    rm -rf "$DB"; mkdir -p "$DB"
    (cd "$WORK" && rm -f debootstrap_*.deb && apt-get download debootstrap >/dev/null 2>&1) || fail "apt-get download debootstrap failed"
    dpkg -x "$WORK"/debootstrap_*.deb "$DB" || fail "dpkg -x of debootstrap failed"
  fi
  export DEBOOTSTRAP_DIR="$DB/usr/share/debootstrap"
  DEBOOTSTRAP="$DB/usr/sbin/debootstrap"
fi

KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$KEYRING" ] || fail "no $KEYRING (Debian package debian-archive-keyring): the archive's signatures cannot be checked"

TREE="$WORK/stage1"
rm -rf "$TREE"
echo "userland-rootfs: debootstrap --foreign $SUITE riscv64 ($PACKAGES) into $TREE" >&2
"$DEBOOTSTRAP" --foreign --arch=riscv64 --variant=minbase --keyring="$KEYRING" --include="$PACKAGES" \
  --cache-dir="$WORK/cache" "$SUITE" "$TREE" "$MIRROR" >"$WORK/stage1.log" 2>&1 \
  || fail "debootstrap failed; see $WORK/stage1.log: $(tail -n 1 "$WORK/stage1.log")"
[ -x "$TREE/debootstrap/debootstrap" ] || fail "debootstrap left no $TREE/debootstrap/debootstrap"

rm -f "$OUT.tmp"
mkfs.ext4 -q -F -L rvkvm-userland -d "$TREE" "$OUT.tmp" "$SIZE" || fail "mkfs.ext4 -d $TREE failed"
mv "$OUT.tmp" "$OUT"
rm -rf "$TREE"
echo "$OUT"
