#!/bin/sh
# First stage of the userland bench's Debian riscv64 root file system: `debootstrap --foreign` of Debian 13
# (trixie, minbase plus the workloads' packages) into build/userland/rootfs, then an ext4 image of it
# (build/userland/stage1.img, made by mke2fs -d, so no loop device or mount is needed). The second stage
# (debootstrap --second-stage, which runs the packages' maintainer scripts) has to run on a riscv64 machine:
# bench/userland.ts boots the image in a guest for it once and keeps the result as build/userland/rootfs.img.
# Needs root (debootstrap creates device nodes and owns files as root), debootstrap and e2fsprogs.
# Prints the image's path on the last line; idempotent (a finished stage1.img is reused; delete build/userland
# to start over).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/build/userland"
FS="$OUT/rootfs"
IMG="$OUT/stage1.img"
SUITE=${SUITE:-trixie}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
PACKAGES=gcc,libc6-dev,python3,perl,xz-utils,openssl,coreutils
fail() { echo "make-rootfs: $*" >&2; exit 1; }

if [ -f "$OUT/stage1.done" ] && [ -f "$IMG" ]; then echo "$IMG"; exit 0; fi
[ "$(id -u)" = 0 ] || fail "needs root (debootstrap)"
command -v debootstrap >/dev/null 2>&1 || fail "debootstrap is not installed (apt-get install debootstrap)"
command -v mke2fs >/dev/null 2>&1 || fail "mke2fs is not installed (e2fsprogs)"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$KEYRING" ] || fail "no $KEYRING (debian-archive-keyring)"

rm -rf "$FS" "$IMG" "$OUT/stage1.done"; mkdir -p "$OUT"
debootstrap --foreign --arch=riscv64 --variant=minbase --include="$PACKAGES" --keyring="$KEYRING" \
  "$SUITE" "$FS" "$MIRROR" > "$OUT/debootstrap.log" 2>&1 || fail "debootstrap --foreign failed (see $OUT/debootstrap.log: $(tail -1 "$OUT/debootstrap.log"))"
# the guest's second stage finds its name servers and mounts nothing else; the workloads' scratch space is /tmp
printf 'nameserver 10.0.2.3\n' > "$FS/etc/resolv.conf"
# 3 GiB, sparse: the second stage and the workloads' files fit with room to spare
mke2fs -q -t ext4 -L rvkvm-userland -d "$FS" "$IMG" 3G || fail "mke2fs -d failed"
touch "$OUT/stage1.done"
echo "$IMG"
