// rvkvm-isa: rv64gc
/* F/D corner cases with known IEEE-754 answers (bit patterns and fflags): rounding, exact FMA, division by
   zero, invalid operations, saturating conversions, fmin/fmax with NaN and signed zero, NaN-boxing, fclass. */
#include "htif.h"

static inline uint64_t d2u(double d) { union { double d; uint64_t u; } v = { .d = d }; return v.u; }
static inline double u2d(uint64_t u) { union { double d; uint64_t u; } v = { .u = u }; return v.d; }
static inline uint32_t f2u(float f) { union { float f; uint32_t u; } v = { .f = f }; return v.u; }
static inline float u2f(uint32_t u) { union { float f; uint32_t u; } v = { .u = u }; return v.f; }

static inline unsigned long flags_clear(void) { unsigned long f; __asm__ volatile("csrrw %0, fflags, zero" : "=r"(f)); return f; }
static inline unsigned long flags(void) { return csr_read(fflags); }

#define NV 16
#define DZ 8
#define OF 4
#define UF 2
#define NX 1

static double fadd_d(double a, double b) { double r; __asm__ volatile("fadd.d %0, %1, %2" : "=f"(r) : "f"(a), "f"(b)); return r; }
static double fsub_d(double a, double b) { double r; __asm__ volatile("fsub.d %0, %1, %2" : "=f"(r) : "f"(a), "f"(b)); return r; }
static double fdiv_d(double a, double b) { double r; __asm__ volatile("fdiv.d %0, %1, %2" : "=f"(r) : "f"(a), "f"(b)); return r; }
static double fsqrt_d(double a) { double r; __asm__ volatile("fsqrt.d %0, %1" : "=f"(r) : "f"(a)); return r; }
static double fmadd_d(double a, double b, double c) { double r; __asm__ volatile("fmadd.d %0, %1, %2, %3" : "=f"(r) : "f"(a), "f"(b), "f"(c)); return r; }
static double fmin_d(double a, double b) { double r; __asm__ volatile("fmin.d %0, %1, %2" : "=f"(r) : "f"(a), "f"(b)); return r; }
static double fmax_d(double a, double b) { double r; __asm__ volatile("fmax.d %0, %1, %2" : "=f"(r) : "f"(a), "f"(b)); return r; }
static float fdiv_s_rne(float a, float b) { float r; __asm__ volatile("fdiv.s %0, %1, %2, rne" : "=f"(r) : "f"(a), "f"(b)); return r; }
static float fdiv_s_rtz(float a, float b) { float r; __asm__ volatile("fdiv.s %0, %1, %2, rtz" : "=f"(r) : "f"(a), "f"(b)); return r; }
static long fcvt_w_d(double a) { long r; __asm__ volatile("fcvt.w.d %0, %1, rtz" : "=r"(r) : "f"(a)); return r; }
static unsigned long fcvt_wu_d(double a) { unsigned long r; __asm__ volatile("fcvt.wu.d %0, %1, rtz" : "=r"(r) : "f"(a)); return r; }
static long fcvt_l_d(double a) { long r; __asm__ volatile("fcvt.l.d %0, %1, rtz" : "=r"(r) : "f"(a)); return r; }
static float fcvt_s_d(double a) { float r; __asm__ volatile("fcvt.s.d %0, %1" : "=f"(r) : "f"(a)); return r; }
static unsigned long fclass_d(double a) { unsigned long r; __asm__ volatile("fclass.d %0, %1" : "=r"(r) : "f"(a)); return r; }
static int feq_d(double a, double b) { int r; __asm__ volatile("feq.d %0, %1, %2" : "=r"(r) : "f"(a), "f"(b)); return r; }
static int flt_d(double a, double b) { int r; __asm__ volatile("flt.d %0, %1, %2" : "=r"(r) : "f"(a), "f"(b)); return r; }

int main(void) {
  const double inf = u2d(0x7ff0000000000000ull), qnan = u2d(0x7ff8000000000000ull), snan = u2d(0x7ff0000000000001ull);

  flags_clear();
  CHECK(1, d2u(fadd_d(0.1, 0.2)) == 0x3fd3333333333334ull);
  CHECK(2, flags() == NX);
  CHECK(3, d2u(fsqrt_d(2.0)) == 0x3ff6a09e667f3bcdull);
  flags_clear();
  CHECK(4, d2u(fdiv_d(1.0, 0.0)) == 0x7ff0000000000000ull && flags() == DZ);
  flags_clear();
  CHECK(5, d2u(fsub_d(inf, inf)) == 0x7ff8000000000000ull && flags() == NV);
  flags_clear();
  CHECK(6, d2u(fmadd_d(0.1, 10.0, -1.0)) == 0x3c90000000000000ull); /* exact: one rounding only */
  CHECK(7, f2u(fdiv_s_rne(1.0f, 3.0f)) == 0x3eaaaaabu);
  CHECK(8, f2u(fdiv_s_rtz(1.0f, 3.0f)) == 0x3eaaaaaau);
  flags_clear();
  CHECK(9, fcvt_w_d(3e10) == 0x7fffffff && flags() == NV);
  flags_clear();
  CHECK(10, fcvt_w_d(qnan) == 0x7fffffff && flags() == NV);
  flags_clear();
  CHECK(11, fcvt_wu_d(-1.0) == 0 && flags() == NV);
  CHECK(12, fcvt_w_d(-2.5) == -2 && fcvt_l_d(-1e18) == -1000000000000000000l);
  flags_clear();
  CHECK(13, fcvt_wu_d(3e9) == 0xffffffffb2d05e00ull); /* 32-bit result, sign-extended */
  CHECK(14, d2u(fmin_d(qnan, 1.0)) == d2u(1.0) && d2u(fmax_d(1.0, qnan)) == d2u(1.0));
  CHECK(15, d2u(fmin_d(-0.0, 0.0)) == 0x8000000000000000ull && d2u(fmax_d(-0.0, 0.0)) == 0);
  flags_clear();
  CHECK(16, d2u(fmin_d(snan, 1.0)) == d2u(1.0) && flags() == NV);
  flags_clear();
  CHECK(17, f2u(fcvt_s_d(1e40)) == 0x7f800000u && flags() == (OF | NX));
  CHECK(18, fclass_d(-inf) == 1 && fclass_d(0.0) == 16 && fclass_d(qnan) == 512 && fclass_d(snan) == 256);
  flags_clear();
  CHECK(19, feq_d(qnan, qnan) == 0 && flags() == 0);
  CHECK(20, flt_d(qnan, 1.0) == 0 && flags() == NV);

  /* NaN-boxing: a single-precision operand whose upper 32 bits are not all ones reads as the canonical NaN */
  {
    unsigned long bits = 0x000000003f800000ull, out;
    __asm__ volatile("fmv.d.x ft0, %1\n fadd.s ft1, ft0, ft0\n fmv.x.w %0, ft1" : "=r"(out) : "r"(bits) : "ft0", "ft1");
    CHECK(21, out == 0x7fc00000ull); /* fmv.x.w sign-extends bit 31 (0 here) */
    __asm__ volatile("flw ft0, 0(%1)\n fmv.x.d %0, ft0" : "=r"(out) : "r"(&bits) : "ft0", "memory");
    CHECK(22, out == 0xffffffff3f800000ull); /* flw NaN-boxes */
  }
  /* frm: dynamic rounding mode follows fcsr.frm */
  {
    csr_write(frm, 1); /* RTZ */
    float r;
    float a = 1.0f, b = 3.0f;
    __asm__ volatile("fdiv.s %0, %1, %2, dyn" : "=f"(r) : "f"(a), "f"(b));
    CHECK(23, f2u(r) == 0x3eaaaaaau);
    csr_write(frm, 0);
  }
  /* FS: writing an FP register marks mstatus.FS dirty and sets SD */
  CHECK(24, ((csr_read(mstatus) >> 13) & 3) == 3 && (csr_read(mstatus) >> 63) == 1);
  (void)u2f;
  return 0;
}
