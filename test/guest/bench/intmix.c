/* Integer benchmark workload for bench/hart-mips.ts: FNV-1a and xorshift hashing, an insertion-free
   quicksort and a checksum, repeated ROUNDS times. Returns 0 only if the checksum matches the value the
   same computation gives on the first round (so a miscomputing hart fails instead of looking fast). */
#include "htif.h"

#define N 4096
#ifndef ROUNDS
#define ROUNDS 60
#endif

static uint64_t data[N];

static uint64_t xorshift(uint64_t *s) {
  uint64_t x = *s;
  x ^= x << 13; x ^= x >> 7; x ^= x << 17;
  return *s = x;
}

static void quicksort(uint64_t *a, long lo, long hi) {
  while (lo < hi) {
    uint64_t p = a[(lo + hi) / 2];
    long i = lo, j = hi;
    while (i <= j) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i <= j) { uint64_t t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; } else { quicksort(a, i, hi); hi = j; }
  }
}

static uint64_t fnv(const uint64_t *a, long n) {
  uint64_t h = 0xcbf29ce484222325ull;
  const unsigned char *p = (const unsigned char *)a;
  for (long k = 0; k < n * 8; k++) { h ^= p[k]; h *= 0x100000001b3ull; }
  return h;
}

static uint64_t round_once(uint64_t seed) {
  uint64_t s = seed;
  for (long k = 0; k < N; k++) data[k] = xorshift(&s) % 1000003;
  quicksort(data, 0, N - 1);
  for (long k = 1; k < N; k++) if (data[k - 1] > data[k]) return 0;
  return fnv(data, N);
}

int main(void) {
  uint64_t first = round_once(88172645463325252ull);
  for (int r = 1; r < ROUNDS; r++) {
    if (round_once(88172645463325252ull) != first) return 2;
  }
  return first == 0 ? 1 : 0;
}
