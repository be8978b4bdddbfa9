/* Two vCPUs: hart 0 starts hart 1 with HSM (start address, opaque), hart 1 waits in WFI for an IPI from
   hart 0, takes the software interrupt and stops itself; hart 0 waits for STOPPED and shuts down. */
#include "kvm/sbi.h"
  KVM_START
  li a0, 1
  SBI SBI_EXT_HSM, 2
  RESULT 0, a0
  RESULT 1, a1            /* hart 1 status before: STOPPED (1) */
  li a0, 1
  la a1, secondary
  li a2, 0x5a5a
  SBI SBI_EXT_HSM, 0
  RESULT 2, a0            /* start: SUCCESS */
  li a0, 1
  la a1, secondary
  li a2, 0
  SBI SBI_EXT_HSM, 0
  RESULT 3, a0            /* start again: ALREADY_AVAILABLE (-6) */
  li a0, 7
  la a1, secondary
  SBI SBI_EXT_HSM, 0
  RESULT 4, a0            /* no hart 7: INVALID_PARAM (-3) */
1:
  la t0, ready
  ld t1, 0(t0)
  beqz t1, 1b
  li a0, 2                /* hart mask: hart 1 */
  li a1, 0
  SBI SBI_EXT_IPI, 0
  RESULT 5, a0
  li a0, 4                /* hart 2 does not exist */
  li a1, 0
  SBI SBI_EXT_IPI, 0
  RESULT 6, a0
2:
  li a0, 1
  SBI SBI_EXT_HSM, 2
  li t1, 1
  bne a1, t1, 2b
  RESULT 7, a1            /* hart 1 stopped again */
  SHUTDOWN 0

secondary:                /* a0 = hart id, a1 = opaque */
  la sp, stack2_top
  RESULT 8, a0
  RESULT 9, a1
  csrr t0, satp
  RESULT 10, t0
  la t0, strap
  csrw stvec, t0
  li t0, 2
  csrs sie, t0            /* SSIE */
  csrsi sstatus, 2
  la t0, ready
  li t1, 1
  sd t1, 0(t0)
3:
  la t0, got_ipi
  ld t1, 0(t0)
  bnez t1, 4f
  wfi
  j 3b
4:
  SBI SBI_EXT_HSM, 1      /* stop */
5: j 5b

  .align 2
strap:
  csrr t0, scause
  RESULT 11, t0
  li t0, 2
  csrc sip, t0
  la t0, got_ipi
  li t1, 1
  sd t1, 0(t0)
  sret

  .data
  .align 3
ready: .dword 0
got_ipi: .dword 0
  KVM_GUEST_DATA 16
