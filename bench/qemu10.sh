#!/bin/sh
# Fetches QEMU 10 (Debian bookworm-backports, package qemu-system-riscv) for the bench WITHOUT installing it:
# installing would replace the machine's qemu-system-misc 7.2, the other reference. The .debs are downloaded
# with apt-get download and unpacked with dpkg -x into build/qemu-10/root; shared libraries the host lacks
# are fetched the same way (from backports, else the release) into the same tree and found through
# LD_LIBRARY_PATH by the wrapper build/qemu-10/qemu-system-riscv64.
# Prints the wrapper's path on the last line of stdout; exit 1 with a one-line reason on stderr otherwise.
# Idempotent: a working cached tree is reused (delete build/qemu-10 to refetch).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/build/qemu-10"
TREE="$OUT/root"
WRAP="$OUT/qemu-system-riscv64"
SUITE=bookworm-backports
fail() { echo "qemu10: $*" >&2; exit 1; }

libpath() { echo "$TREE/usr/lib/x86_64-linux-gnu:$TREE/lib/x86_64-linux-gnu:$TREE/usr/lib/x86_64-linux-gnu/pulseaudio"; }
missing_libs() { LD_LIBRARY_PATH=$(libpath) ldd "$TREE/usr/bin/qemu-system-riscv64" 2>/dev/null | awk '/not found/ { print $1 }'; }

if [ -x "$WRAP" ] && "$WRAP" --version >/dev/null 2>&1; then echo "$WRAP"; exit 0; fi
command -v apt-get >/dev/null 2>&1 || fail "no apt-get: not a Debian host"
command -v dpkg >/dev/null 2>&1 || fail "no dpkg"

# the backports source, next to the machine's own Debian source (same mirror and keyring)
if ! grep -rqs "$SUITE" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  [ "$(id -u)" = 0 ] || fail "needs root once to add the $SUITE apt source"
  mirror=$(awk '/^URIs:/ && /debian\/?$/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
  printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" "$SUITE" > /etc/apt/sources.list.d/bookworm-backports.sources
  apt-get update -o Dir::Etc::sourcelist=/etc/apt/sources.list.d/bookworm-backports.sources \
    -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0 >/dev/null || fail "apt-get update for $SUITE failed"
fi
apt-cache show -t "$SUITE" qemu-system-riscv >/dev/null 2>&1 || fail "qemu-system-riscv is not in $SUITE's package lists"

rm -rf "$OUT"; mkdir -p "$OUT/debs" "$TREE"
cd "$OUT/debs"
# the binary, its OpenSBI firmware (-bios default) and QEMU's own data (keymaps, option ROMs it may open)
for p in qemu-system-riscv opensbi qemu-system-data; do
  apt-get download -t "$SUITE" "$p" >/dev/null 2>&1 || apt-get download "$p" >/dev/null 2>&1 || fail "apt-get download $p failed"
done
for d in *.deb; do dpkg -x "$d" "$TREE"; done
[ -x "$TREE/usr/bin/qemu-system-riscv64" ] || fail "qemu-system-riscv has no usr/bin/qemu-system-riscv64"

# shared libraries the host does not have: find the package that ships each and unpack it too (a few rounds,
# since a fetched library can need another)
for round in 1 2 3 4; do
  libs=$(missing_libs)
  [ -n "$libs" ] || break
  for lib in $libs; do
    pkg=$(apt-cache search --names-only "^$(echo "$lib" | sed 's/\.so\..*//; s/\.so$//; s/_/-/g' | tr 'A-Z' 'a-z')[0-9.-]*\$" 2>/dev/null | awk '{ print $1; exit }')
    [ -n "$pkg" ] || fail "shared library $lib is missing and no Debian package for it was found"
    apt-get download -t "$SUITE" "$pkg" >/dev/null 2>&1 || apt-get download "$pkg" >/dev/null 2>&1 || fail "apt-get download $pkg (for $lib) failed"
  done
  for d in *.deb; do dpkg -x "$d" "$TREE"; done
done
libs=$(missing_libs)
[ -z "$libs" ] || fail "shared libraries still missing: $(echo $libs)"

# -L: QEMU looks for its firmware (opensbi-riscv64-generic-fw_dynamic.bin) where the package would install it;
# it also probes the host 7.2's UI/audio modules in its built-in module dir and prints that they do not fit:
# harmless (the bench uses neither), QEMU_MODULE_DIR does not stop it
cat > "$WRAP" <<EOF
#!/bin/sh
LD_LIBRARY_PATH=$(libpath) exec "$TREE/usr/bin/qemu-system-riscv64" -L "$TREE/usr/share/qemu" "\$@"
EOF
chmod +x "$WRAP"
"$WRAP" --version >/dev/null 2>&1 || fail "the unpacked qemu-system-riscv64 does not run: $("$WRAP" --version 2>&1 | head -1)"
echo "$WRAP"
