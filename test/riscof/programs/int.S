# Arch-test-style program (RVMODEL_* hooks of tools/riscof/env/model_test.h): RV64IM and Zba/Zbb results on
# fixed operands, each stored into the signature; a loop of 300 rounds folds a running checksum, so
# --jit-hot translates this code and the translated results land in the signature too.
#include "model_test.h"
.section .text.init
.globl rvtest_entry_point
rvtest_entry_point:
  RVMODEL_BOOT
  la a0, signature
  li s1, 0x0123456789abcdef
  li s2, -0x7edcba9876543211
  add t0, s1, s2;    sd t0, 0(a0)
  sub t0, s1, s2;    sd t0, 8(a0)
  mul t0, s1, s2;    sd t0, 16(a0)
  mulh t0, s1, s2;   sd t0, 24(a0)
  mulhu t0, s1, s2;  sd t0, 32(a0)
  div t0, s2, s1;    sd t0, 40(a0)
  remu t0, s2, s1;   sd t0, 48(a0)
  sraw t0, s2, s1;   sw t0, 56(a0)
  srliw t0, s2, 7;   sw t0, 60(a0)
  sh1add t0, s1, s2; sd t0, 64(a0)
  rori t0, s1, 13;   sd t0, 72(a0)
  clz t0, s1;        sw t0, 80(a0)
  cpop t0, s2;       sw t0, 84(a0)
  # 300 rounds of an xorshift-multiply checksum
  li t1, 300
  li t2, 0x9e3779b97f4a7c15
  mv t3, s1
1:
  slli t4, t3, 13
  xor t3, t3, t4
  srli t4, t3, 7
  xor t3, t3, t4
  mul t3, t3, t2
  addi t1, t1, -1
  bnez t1, 1b
  sd t3, 88(a0)
  RVMODEL_HALT

.data
RVMODEL_DATA_BEGIN
signature:
  .fill 24, 4, 0xdeadbeef
RVMODEL_DATA_END
