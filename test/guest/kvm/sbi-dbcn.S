/* DBCN write_byte (forwarded to user space only when enabled), then an MMIO store and load. */
#include "kvm/sbi.h"
  KVM_START
  li a0, SBI_EXT_DBCN
  SBI SBI_EXT_BASE, 3
  RESULT 0, a1            /* probe DBCN */
  li a0, 'K'
  SBI SBI_EXT_DBCN, 2
  RESULT 1, a0
  RESULT 2, a1
  li t0, 0x10000000
  li t1, 0x1122334455667788
  sd t1, 8(t0)
  lw t2, 16(t0)
  RESULT 3, t2
  SHUTDOWN 0
  KVM_GUEST_DATA 8
