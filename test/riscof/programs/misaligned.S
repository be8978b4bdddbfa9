# Arch-test-style program: misaligned loads, stores, FP loads/stores, an AMO, an LR and vector unit-stride
# accesses. A trap handler records each access's mcause and mtval (as an offset from the data block) in the
# access's signature slot and skips it, so the signature says per access whether it trapped and where; the
# data block is copied into the signature at the end (which stores happened). With rvkvm exec --misaligned
# trap every access traps (cause 4 or 6, mtval = its address); emulated, only the AMO and the LR do.
#include "model_test.h"
.option norvc
.section .text.init
.globl rvtest_entry_point
rvtest_entry_point:
  RVMODEL_BOOT
  la t0, handler
  csrw mtvec, t0
  li t0, (1 << 13) | (1 << 9)      # mstatus.FS and VS: Initial
  csrs mstatus, t0
  la s3, signature                 # the current access's slot: value, mcause, mtval - data
  la s4, data
  li s5, 0x5a5a5a5a5a5a5a5a        # what a load that trapped leaves in its destination

#define SLOT addi s3, s3, 24
#define LOAD(insn, off) mv t0, s5; insn t0, off(s4); sd t0, 0(s3); SLOT
#define STORE(insn, off) li t0, 0x1122334455667788; insn t0, off(s4); SLOT
  LOAD(lh, 1)
  LOAD(lhu, 3)
  LOAD(lw, 2)
  LOAD(lwu, 5)
  LOAD(ld, 4)
  LOAD(ld, 9)
  STORE(sh, 65)
  STORE(sw, 70)
  STORE(sd, 75)
  # FP: flw/fld into f1 (its bits saved through fmv.x.d), fsw/fsd from it
  fmv.d.x f1, s5; flw f1, 6(s4); fmv.x.d t0, f1; sd t0, 0(s3); SLOT
  fmv.d.x f1, s5; fld f1, 12(s4); fmv.x.d t0, f1; sd t0, 0(s3); SLOT
  fsw f1, 86(s4); SLOT
  fsd f1, 91(s4); SLOT
  # A: never done misaligned (store/AMO and load address-misaligned on any hart without Zam)
  addi t6, s4, 102; li t1, 1; mv t0, s5; amoadd.w t0, t1, (t6); sd t0, 0(s3); SLOT
  addi t6, s4, 20; mv t0, s5; lr.d t0, (t6); sd t0, 0(s3); SLOT
  # V: 4 x e32 from data+2, stored at data+110
  vsetivli x0, 4, e32, m1, ta, ma
  vmv.v.i v1, 0
  addi t6, s4, 2; vle32.v v1, (t6); vmv.x.s t0, v1; sd t0, 0(s3); SLOT
  addi t6, s4, 110; vse32.v v1, (t6); SLOT
  # the data block as it ends up
  li t1, 16
1:
  ld t0, 0(s4); sd t0, 0(s3); addi s3, s3, 8; addi s4, s4, 8
  addi t1, t1, -1
  bnez t1, 1b
  RVMODEL_HALT

.balign 4
handler:
  csrr t5, mcause;  sd t5, 8(s3)
  csrr t5, mtval;   la t4, data; sub t5, t5, t4; sd t5, 16(s3)
  csrr t5, mepc;    addi t5, t5, 4; csrw mepc, t5
  mret

.data
.balign 16
data:
  .set i, 0
  .rept 128
  .byte (i * 37 + 11) & 0xff
  .set i, i + 1
  .endr
RVMODEL_DATA_BEGIN
signature:
  .fill 18 * 6 + 32, 4, 0
RVMODEL_DATA_END
