/* Zcmop c.mop.1 and Zimop mop.r.0 from S-mode. Enabled: no effect / rd := 0. Disabled (rvkvm's
   allowDisableAny): illegal-instruction trap with the instruction in stval; the handler skips it. */
#include "kvm/sbi.h"
  KVM_START
  la t0, trap
  csrw stvec, t0
  li ra, 0x1234
  .2byte 0x6081           /* c.mop.1 */
  RESULT 0, ra            /* unchanged either way */
  li t0, 99
  .4byte 0x81c342f3       /* mop.r.0 t0, t1 */
  RESULT 1, t0            /* 0 when Zimop executes it, 99 when it trapped */
  SHUTDOWN 0

  .align 2
trap:
  csrr t3, scause
  csrr t4, stval
  la t5, ntraps
  ld t6, 0(t5)
  addi t6, t6, 1
  sd t6, 0(t5)
  slli t6, t6, 4          /* results[2 + 2k] = scause, results[3 + 2k] = stval */
  la t5, results
  add t5, t5, t6
  sd t3, 0(t5)
  sd t4, 8(t5)
  csrr t3, sepc
  andi t4, t4, 3
  li t5, 3
  addi t3, t3, 2
  bne t4, t5, 1f
  addi t3, t3, 2
1:
  csrw sepc, t3
  sret

  .data
  .align 3
ntraps: .dword 0
  KVM_GUEST_DATA 8
