#!/bin/sh
# The userland bench's workloads, run by /bin/sh (dash) in a chroot of the Debian root file system
# (bench/userland.ts): one `UL <name> <t0> <t1> <digest>` line each, t0/t1 the guest's /proc/uptime around the
# command, digest the first 16 hex digits of the sha256 of its output, which must be the same on every VM.
set -u
export LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp
cd /tmp
up() { read u rest < /proc/uptime; echo "$u"; }
timed() {
  name=$1; shift
  t0=$(up)
  "$@" > /tmp/out.$name 2>&1 || echo "exit $?" >> /tmp/out.$name
  t1=$(up)
  echo "UL $name $t0 $t1 $(sha256sum < /tmp/out.$name | cut -c1-16)"
}

# inputs (not timed): a C program, 4 MiB of the file system's own binaries
cat > /tmp/w.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static unsigned long long x = 88172645463325252ULL;
static unsigned long long next(void) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x; }
static int cmp(const void *a, const void *b) { unsigned long long p = *(const unsigned long long *)a, q = *(const unsigned long long *)b; return p < q ? -1 : p > q; }
int main(void) {
  enum { N = 200000 };
  unsigned long long *v = malloc(N * sizeof *v), h = 1469598103934665603ULL;
  for (int i = 0; i < N; i++) v[i] = next();
  qsort(v, N, sizeof *v, cmp);
  for (int i = 0; i < N; i++) h = (h ^ v[i]) * 1099511628211ULL;
  char *sieve = calloc(2000000, 1); int primes = 0;
  for (int i = 2; i < 2000000; i++) if (!sieve[i]) { primes++; for (int j = 2 * i; j < 2000000; j += i) sieve[j] = 1; }
  printf("%016llx %d\n", h, primes);
  return 0;
}
C
cat /usr/bin/perl /usr/lib/riscv64-linux-gnu/libc.so.6 /usr/bin/* 2>/dev/null | head -c 4194304 > /tmp/data

timed gcc sh -c 'gcc -O2 -o /tmp/w /tmp/w.c && /tmp/w'
timed python3 python3 -c '
import json, re, hashlib
s = 0
for i in range(400000): s += i * i % 7
d = [{"k": i, "v": str(i * 3)} for i in range(30000)]
t = json.dumps(d)
print(s, len(t), len(re.findall(r"\d+", t)), hashlib.sha256(t.encode()).hexdigest()[:16], sorted(str(i) for i in range(50000))[-1])'
timed perl perl -e 'my %h; for my $i (1..300000) { $h{$i % 1000} .= chr(65 + $i % 26) } my $n = 0; for (values %h) { $n += () = /AB/g } my @s = sort { $a <=> $b } map { ($_ * 7919) % 100003 } 1..100000; print scalar(keys %h), " $n $s[500]\n"'
timed xz sh -c 'xz -6 -c /tmp/data | wc -c'
timed sha256sum sha256sum /tmp/data
timed openssl-sha256 openssl dgst -sha256 /tmp/data
timed openssl-aes sh -c 'openssl enc -aes-128-cbc -K 000102030405060708090a0b0c0d0e0f -iv 0f0e0d0c0b0a09080706050403020100 -in /tmp/data | sha256sum'
