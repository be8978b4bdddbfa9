// rvkvm-isa: rv64gcv
/* Vector code as compiled programs write it (inline asm, GCC 12 has no RVV intrinsics): strip-mined loops
   whose vl shrinks on the last pass, a widening dot product with a reduction, a segment load of interleaved
   RGB bytes, a fused multiply-add on doubles, and a fault-only-first strlen that stops at the end of RAM.
   Every result is checked against plain scalar C. */
#include "htif.h"

#define V ".option push\n.option arch, +v\n"
#define E "\n.option pop"
#define N 1003
#define RAM_END 0x88000000ul /* rvkvm exec: 128 MiB of RAM at 0x80000000 */

static int a[N], b[N], c[N];
static short x[N], y[N];
static unsigned char rgb[3 * N];
static double p[N], q[N], r[N];

static void vadd(int *dst, const int *s1, const int *s2, long n) {
  while (n > 0) {
    long vl;
    __asm__ volatile(V "vsetvli %0, %1, e32, m2, ta, ma\n vle32.v v2, (%2)\n vle32.v v4, (%3)\n vadd.vv v2, v2, v4\n vse32.v v2, (%4)" E
                     : "=&r"(vl) : "r"(n), "r"(s1), "r"(s2), "r"(dst) : "memory");
    n -= vl; s1 += vl; s2 += vl; dst += vl;
  }
}

/* sum of x[i] * y[i] (16-bit) in 32-bit lanes: vwmul, then vredsum into v8[0] */
static long dot(const short *s1, const short *s2, long n) {
  long vl;
  __asm__ volatile(V "vsetvli t0, zero, e32, m1, ta, ma\n vmv.v.i v8, 0" E ::: "t0");
  while (n > 0) {
    __asm__ volatile(V "vsetvli %0, %1, e16, mf2, ta, ma\n vle16.v v1, (%2)\n vle16.v v2, (%3)\n vwmul.vv v4, v1, v2\n"
                     " vsetvli zero, %0, e32, m1, tu, ma\n vredsum.vs v8, v4, v8" E
                     : "=&r"(vl) : "r"(n), "r"(s1), "r"(s2) : "memory");
    n -= vl; s1 += vl; s2 += vl;
  }
  int s;
  __asm__ volatile(V "vsetvli t0, zero, e32, m1, ta, ma\n vmv.x.s %0, v8" E : "=r"(s) :: "t0");
  return s;
}

/* per-channel sums of interleaved RGB bytes: vlseg3e8, then widening unsigned sums (16-bit lanes, 32-bit total) */
static void rgbsum(const unsigned char *src, long n, unsigned long out[3]) {
  out[0] = out[1] = out[2] = 0;
  while (n > 0) {
    long vl;
    unsigned long s0, s1, s2;
    __asm__ volatile(V "vsetvli %0, %4, e8, m1, ta, ma\n vlseg3e8.v v10, (%5)\n"
                     " vsetvli t0, zero, e16, m1, ta, ma\n vmv.v.i v20, 0\n vsetvli zero, %0, e8, m1, ta, ma\n"
                     " vwredsumu.vs v21, v10, v20\n vwredsumu.vs v22, v11, v20\n vwredsumu.vs v23, v12, v20\n"
                     " vsetvli t0, zero, e16, m1, ta, ma\n vmv.x.s %1, v21\n vmv.x.s %2, v22\n vmv.x.s %3, v23" E
                     : "=&r"(vl), "=r"(s0), "=r"(s1), "=r"(s2) : "r"(n), "r"(src) : "t0", "memory");
    out[0] += s0 & 0xffff; out[1] += s1 & 0xffff; out[2] += s2 & 0xffff;
    n -= vl; src += 3 * vl;
  }
}

/* r = p * q + r on doubles: vfmacc (fused, so bit-exact with the scalar fma) */
static void fmacc(double *dst, const double *s1, const double *s2, long n) {
  while (n > 0) {
    long vl;
    __asm__ volatile(V "vsetvli %0, %1, e64, m4, ta, ma\n vle64.v v4, (%2)\n vle64.v v8, (%3)\n vle64.v v12, (%4)\n"
                     " vfmacc.vv v12, v4, v8\n vse64.v v12, (%4)" E
                     : "=&r"(vl) : "r"(n), "r"(s1), "r"(s2), "r"(dst) : "memory");
    n -= vl; s1 += vl; s2 += vl; dst += vl;
  }
}

/* strlen with vle8ff: each load may stop early (vl shrinks) at the end of memory instead of trapping */
static long vstrlen(const char *s) {
  const char *p0 = s;
  for (;;) {
    long vl, idx;
    __asm__ volatile(V "vsetvli t0, zero, e8, m8, ta, ma\n vle8ff.v v16, (%2)\n csrr %0, vl\n vmseq.vi v0, v16, 0\n vfirst.m %1, v0" E
                     : "=&r"(vl), "=r"(idx) : "r"(s) : "t0", "memory");
    if (idx >= 0) return s + idx - p0;
    s += vl;
  }
}

int main(void) {
  __asm__ volatile("csrs mstatus, %0" :: "r"(1ul << 9)); /* VS = Initial */
  unsigned seed = 12345;
  for (int i = 0; i < N; i++) {
    seed = seed * 1103515245u + 12345u;
    a[i] = (int)seed; b[i] = (int)(seed >> 7) - 1000; x[i] = (short)(seed >> 3); y[i] = (short)(seed >> 17);
    rgb[3 * i] = seed >> 24; rgb[3 * i + 1] = seed >> 16; rgb[3 * i + 2] = seed >> 8;
    p[i] = (double)(int)seed / 7.0; q[i] = 1.0 / (double)(i + 3); r[i] = (double)i * 0.1;
  }
  vadd(c, a, b, N);
  for (int i = 0; i < N; i++) CHECK(1, c[i] == (int)((unsigned)a[i] + (unsigned)b[i]));
  int want = 0;
  for (int i = 0; i < N; i++) want += x[i] * y[i];
  CHECK(2, dot(x, y, N) == want);
  unsigned long sums[3], ws[3] = {0, 0, 0};
  rgbsum(rgb, N, sums);
  for (int i = 0; i < N; i++) { ws[0] += rgb[3 * i]; ws[1] += rgb[3 * i + 1]; ws[2] += rgb[3 * i + 2]; }
  CHECK(3, sums[0] == ws[0] && sums[1] == ws[1] && sums[2] == ws[2]);
  double wr[N];
  for (int i = 0; i < N; i++) wr[i] = __builtin_fma(p[i], q[i], r[i]);
  fmacc(r, p, q, N);
  for (int i = 0; i < N; i++) CHECK(4, r[i] == wr[i]);
  static const char msg[] = "vector strlen across several strips of sixty-four or more bytes, well past one";
  CHECK(5, vstrlen(msg) == sizeof msg - 1);
  /* a string whose terminator is the last byte of RAM: the last vle8ff stops at the end instead of faulting */
  char *tail = (char *)(RAM_END - 200);
  for (int i = 0; i < 199; i++) tail[i] = 'x';
  tail[199] = 0;
  CHECK(6, vstrlen(tail) == 199);
  return 0;
}
