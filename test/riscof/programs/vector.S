# Arch-test-style program: strip-mined vector loops (an e32 add and an e64 dot product with a reduction, e8
# widening adds) over fixed arrays; the results are independent of VLEN, so any vector unit must give the
# same signature.
#include "model_test.h"
.section .text.init
.globl rvtest_entry_point
rvtest_entry_point:
  RVMODEL_BOOT
  li t0, (1 << 9)                  # mstatus.VS: Initial
  csrs mstatus, t0
  # c[i] = a[i] + b[i], 37 e32 elements
  la a1, arr_a; la a2, arr_b; la a3, sig_add; li a4, 37
1:
  vsetvli t0, a4, e32, m2, ta, ma
  vle32.v v2, (a1); vle32.v v4, (a2)
  vadd.vv v6, v2, v4
  vse32.v v6, (a3)
  slli t1, t0, 2; add a1, a1, t1; add a2, a2, t1; add a3, a3, t1
  sub a4, a4, t0
  bnez a4, 1b
  # dot = sum a64[i] * b64[i], 19 e64 elements
  la a1, arr_a; la a2, arr_b; li a4, 19
  vsetivli x0, 1, e64, m1, ta, ma
  vmv.s.x v8, x0
2:
  vsetvli t0, a4, e64, m1, ta, ma
  vle64.v v2, (a1); vle64.v v3, (a2)
  vmul.vv v4, v2, v3
  vredsum.vs v8, v4, v8
  slli t1, t0, 3; add a1, a1, t1; add a2, a2, t1
  sub a4, a4, t0
  bnez a4, 2b
  vmv.x.s t2, v8
  la a3, sig_dot; sd t2, 0(a3)
  # w[i] = (u16) a8[i] + b8[i], 45 elements
  la a1, arr_a; la a2, arr_b; la a3, sig_wadd; li a4, 45
3:
  vsetvli t0, a4, e8, m1, ta, ma
  vle8.v v2, (a1); vle8.v v3, (a2)
  vwaddu.vv v4, v2, v3
  vsetvli x0, t0, e16, m2, ta, ma
  vse16.v v4, (a3)
  add a1, a1, t0; add a2, a2, t0; slli t1, t0, 1; add a3, a3, t1
  sub a4, a4, t0
  bnez a4, 3b
  # misa.V (bit 21): set on a hart with V
  csrr t0, misa; srli t0, t0, 21; andi t0, t0, 1
  la a3, sig_misa_v; sd t0, 0(a3)
  RVMODEL_HALT

.data
.balign 16
arr_a:
  .set i, 0
  .rept 160
  .word (i * 2654435761 + 12345) & 0xffffffff
  .set i, i + 1
  .endr
arr_b:
  .set i, 0
  .rept 160
  .word (i * 40503 + 0x9abcdef) & 0xffffffff
  .set i, i + 1
  .endr
RVMODEL_DATA_BEGIN
sig_add: .fill 40, 4, 0xdeadbeef
sig_dot: .fill 4, 4, 0xdeadbeef
sig_wadd: .fill 48, 2, 0xbeef
sig_misa_v: .fill 4, 4, 0xdeadbeef
RVMODEL_DATA_END
