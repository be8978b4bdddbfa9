/* RFENCE, FWFT, STA and SUSP from a guest; then the guest waits for an external interrupt the VMM raises
   with KVM_INTERRUPT (vcpu.interrupt), and shuts down from the handler. */
#include "kvm/sbi.h"
#define SBI_EXT_FWFT 0x46574654
#define SBI_EXT_SUSP 0x53555350
  KVM_START
  li a0, 1
  li a1, 0
  SBI SBI_EXT_RFENCE, 0
  RESULT 0, a0            /* remote fence.i */
  li a0, 1
  li a1, 0
  li a2, 0
  li a3, -1
  SBI SBI_EXT_RFENCE, 1
  RESULT 1, a0            /* remote sfence.vma */
  li a0, 1
  li a1, 0
  SBI SBI_EXT_RFENCE, 3
  RESULT 2, a0            /* hfence.gvma.vmid: NOT_SUPPORTED */
  li a0, 4
  SBI SBI_EXT_FWFT, 1
  RESULT 3, a0            /* get PTE_AD_HW_UPDATING */
  RESULT 4, a1
  li a0, 4
  li a1, 0
  li a2, 1
  SBI SBI_EXT_FWFT, 0
  RESULT 5, a0            /* set it to 0 and lock */
  li a0, 4
  li a1, 1
  li a2, 0
  SBI SBI_EXT_FWFT, 0
  RESULT 6, a0            /* locked: DENIED_LOCKED */
  li a0, 3
  SBI SBI_EXT_FWFT, 1
  RESULT 7, a0            /* DOUBLE_TRAP: not offered */
  li a0, 0x100
  SBI SBI_EXT_FWFT, 1
  RESULT 8, a0            /* reserved feature id */
  la a0, sta_area
  li a1, 0
  li a2, 1
  SBI SBI_EXT_STA, 0
  RESULT 9, a0            /* flags != 0: INVALID_PARAM */
  la a0, sta_area
  addi a0, a0, 8
  li a1, 0
  li a2, 0
  SBI SBI_EXT_STA, 0
  RESULT 10, a0           /* misaligned: INVALID_PARAM */
  la a0, sta_area
  li a1, 1
  li a2, 0
  SBI SBI_EXT_STA, 0
  RESULT 11, a0           /* hi != 0: INVALID_ADDRESS */
  li a0, 0x40000000
  li a1, 0
  li a2, 0
  SBI SBI_EXT_STA, 0
  RESULT 12, a0           /* not RAM: INVALID_ADDRESS */
  la a0, sta_area
  li a1, 0
  li a2, 0
  SBI SBI_EXT_STA, 0
  RESULT 13, a0           /* SUCCESS */
  li a0, SBI_EXT_SUSP
  SBI SBI_EXT_BASE, 3
  RESULT 14, a1           /* SUSP: disabled by default */
  li a0, 0x80000000
  SBI SBI_EXT_HSM, 3
  RESULT 16, a0           /* HSM suspend, default non-retentive: NOT_SUPPORTED */
  li a0, 5
  SBI SBI_EXT_HSM, 3
  RESULT 17, a0           /* HSM suspend, reserved type: INVALID_PARAM */
  li a0, 0
  SBI SBI_EXT_HSM, 3
  RESULT 18, a0           /* HSM suspend, default retentive: a WFI, returns SUCCESS when woken */
  /* wait for the external interrupt */
  la t0, trap
  csrw stvec, t0
  li t0, (1 << 9)
  csrs sie, t0            /* SEIE */
  csrsi sstatus, 2
1:
  wfi
  j 1b

  .align 2
trap:
  csrr t0, scause
  RESULT 15, t0
  SHUTDOWN 0x99

  .data
  .align 6
sta_area: .space 64
  KVM_GUEST_DATA 24
