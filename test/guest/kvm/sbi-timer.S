/* SBI TIME set_timer 1 ms ahead, wait in WFI, take the S-mode timer interrupt, shut down. */
#include "kvm/sbi.h"
  KVM_START
  la t0, trap
  csrw stvec, t0
  li t0, (1 << 5)
  csrs sie, t0            /* STIE */
  rdtime t1
  RESULT 0, t1
  li t2, 200000           /* 20 ms at 10 MHz */
  add a0, t1, t2
  RESULT 1, a0
  SBI SBI_EXT_TIME, 0
  RESULT 2, a0
  csrsi sstatus, 2        /* SIE */
wait:
  la t0, fired
  ld t1, 0(t0)
  bnez t1, done
  wfi
  j wait
done:
  SHUTDOWN 0x55

  .align 2
trap:
  csrr t0, scause
  RESULT 3, t0
  rdtime t0
  RESULT 4, t0
  li a0, -1               /* next timer: never (also clears the pending STIP) */
  SBI SBI_EXT_TIME, 0
  csrr t0, sip
  RESULT 5, t0
  la t0, fired
  li t1, 1
  sd t1, 0(t0)
  sret

  .data
  .align 3
fired: .dword 0
  KVM_GUEST_DATA 16
