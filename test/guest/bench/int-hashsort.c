/* Integer benchmark workload (bench/workloads.ts "int"): per round, fill an array with xorshift64
   pseudo-random numbers, sort one copy with quicksort and another with a bottom-up merge sort, check both
   are sorted and equal, hash the result with FNV-1a 64 over its bytes and fold the hash into a checksum.
   Prints "checksum 0x<16 hex>"; the bench compares it with its own TypeScript computation of the same
   numbers (bench/reference.ts), so a miscomputing hart fails instead of looking fast. */
#include "htif.h"

#define N 4096
#define ROUNDS 24
#define SEED 0x2545f4914f6cdd1dull

static uint64_t quick[N], merged[N], scratch[N];

static uint64_t xorshift64(uint64_t *state) {
  uint64_t x = *state;
  x ^= x << 13; x ^= x >> 7; x ^= x << 17;
  return *state = x;
}

static void quicksort(uint64_t *a, long lo, long hi) {
  while (lo < hi) {
    uint64_t pivot = a[lo + (hi - lo) / 2];
    long i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) { uint64_t t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    /* recurse into the smaller side so the stack stays O(log n) */
    if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; } else { quicksort(a, i, hi); hi = j; }
  }
}

static void mergesort(uint64_t *a, uint64_t *tmp, long n) {
  uint64_t *src = a, *dst = tmp;
  for (long width = 1; width < n; width *= 2) {
    for (long lo = 0; lo < n; lo += 2 * width) {
      long mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
      long i = lo, j = mid, k = lo;
      while (i < mid && j < hi) dst[k++] = src[i] <= src[j] ? src[i++] : src[j++];
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    uint64_t *t = src; src = dst; dst = t;
  }
  if (src != a) for (long k = 0; k < n; k++) a[k] = src[k];
}

static uint64_t fnv1a64(const uint64_t *a, long n) {
  uint64_t h = 0xcbf29ce484222325ull;
  const unsigned char *p = (const unsigned char *)a;
  for (long k = 0; k < n * 8; k++) { h ^= p[k]; h *= 0x100000001b3ull; }
  return h;
}

int main(void) {
  uint64_t checksum = 0;
  for (long round = 0; round < ROUNDS; round++) {
    uint64_t state = SEED + (uint64_t)round * 0x9e3779b97f4a7c15ull;
    for (long k = 0; k < N; k++) quick[k] = merged[k] = xorshift64(&state);
    quicksort(quick, 0, N - 1);
    mergesort(merged, scratch, N);
    for (long k = 0; k < N; k++) {
      CHECK(2, quick[k] == merged[k]);
      CHECK(3, k == 0 || quick[k - 1] <= quick[k]);
    }
    checksum = ((checksum << 5) | (checksum >> 59)) ^ fnv1a64(quick, N);
  }
  puts_htif("checksum ");
  put_hex(checksum);
  return 0;
}
