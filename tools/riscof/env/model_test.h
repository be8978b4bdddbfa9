/* rvkvm's model header for the RISC-V architectural tests (riscv-arch-test, run by RISCOF).
 * The test framework's arch_test.h calls these RVMODEL_* hooks; here they describe `rvkvm exec`'s bare-metal
 * machine: one M-mode hart, RAM at 0x80000000 (env/link.ld), a SiFive-style CLINT at 0x2000000, and HTIF:
 * the program stops by writing 1 to the 8-byte `tohost` (rvkvm exec polls it), after which
 * `rvkvm exec --signature FILE` writes begin_signature..end_signature as Spike's +signature does.
 * There is no console device, so the IO hooks print nothing. */
#ifndef RVKVM_MODEL_TEST_H
#define RVKVM_MODEL_TEST_H

#define RVKVM_CLINT_BASE     0x2000000
#define RVKVM_CLINT_MSIP     (RVKVM_CLINT_BASE + 0x0)
#define RVKVM_CLINT_MTIMECMP (RVKVM_CLINT_BASE + 0x4000)

/* tohost/fromhost are 8-byte objects in their own section (QEMU's -M spike needs them 8 bytes wide too) */
#define RVMODEL_DATA_SECTION                                   \
  .pushsection .tohost, "aw", @progbits;                       \
  .balign 8; .global tohost; tohost: .dword 0;                 \
  .balign 8; .global fromhost; fromhost: .dword 0;             \
  .popsection;

#define RVMODEL_BOOT

/* pass: tohost = 1; the loop only runs until rvkvm's next poll of tohost */
#define RVMODEL_HALT                                           \
  fence;                                                       \
  li t0, 1;                                                    \
  la t1, tohost;                                               \
  sd t0, 0(t1);                                                \
1: j 1b;

/* the signature starts and ends on 16-byte boundaries, so every granularity (4, 8, 16) covers it in whole lines */
#define RVMODEL_DATA_BEGIN                                     \
  RVMODEL_DATA_SECTION                                         \
  .balign 16; .global begin_signature; begin_signature:

#define RVMODEL_DATA_END                                       \
  .balign 16; .global end_signature; end_signature:

#define RVMODEL_IO_INIT
#define RVMODEL_IO_WRITE_STR(_R, _STR)
#define RVMODEL_IO_CHECK()
#define RVMODEL_IO_ASSERT_GPR_EQ(_S, _R, _I)
#define RVMODEL_IO_ASSERT_SFPR_EQ(_F, _R, _I)
#define RVMODEL_IO_ASSERT_DFPR_EQ(_D, _R, _I)

/* machine software interrupt: the CLINT's msip word of hart 0 */
#define RVMODEL_SET_MSW_INT                                    \
  li t1, 1;                                                    \
  li t2, RVKVM_CLINT_MSIP;                                     \
  sw t1, 0(t2);

#define RVMODEL_CLEAR_MSW_INT                                  \
  li t2, RVKVM_CLINT_MSIP;                                     \
  sw x0, 0(t2);

/* machine timer: mtimecmp = all ones never fires */
#define RVMODEL_CLEAR_MTIMER_INT                               \
  li t1, -1;                                                   \
  li t2, RVKVM_CLINT_MTIMECMP;                                 \
  sd t1, 0(t2);

/* no external interrupt controller under rvkvm exec: nothing can be pending */
#define RVMODEL_CLEAR_MEXT_INT

/* supervisor software and timer interrupts are mip bits M-mode may write */
#define RVMODEL_SET_SSW_INT    csrsi mip, 2;
#define RVMODEL_CLEAR_SSW_INT  csrci mip, 2;
#define RVMODEL_CLEAR_STIMER_INT                               \
  li t1, 32;                                                   \
  csrc mip, t1;
#define RVMODEL_CLEAR_SEXT_INT

/* the Zicbo* block size rvkvm reports (zicbom/zicboz_block_size) */
#define RVMODEL_CBZ_BLOCKSIZE 64
#define RVMODEL_CMO_BLOCKSIZE 64

#endif
