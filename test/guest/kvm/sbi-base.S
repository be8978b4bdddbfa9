/* SBI BASE from a real guest: spec/impl version, probes, vendor ids, unknown EID/FID, legacy V01. */
#include "kvm/sbi.h"
  KVM_START
  SBI SBI_EXT_BASE, 0
  RESULT 0, a0
  RESULT 1, a1            /* spec version */
  SBI SBI_EXT_BASE, 1
  RESULT 2, a0
  RESULT 3, a1            /* implementation id (KVM = 3) */
  SBI SBI_EXT_BASE, 2
  RESULT 4, a1            /* implementation version */
  li a0, SBI_EXT_TIME
  SBI SBI_EXT_BASE, 3
  RESULT 5, a1            /* probe TIME */
  li a0, SBI_EXT_DBCN
  SBI SBI_EXT_BASE, 3
  RESULT 6, a1            /* probe DBCN */
  li a0, 0x12345678
  SBI SBI_EXT_BASE, 3
  RESULT 7, a1            /* probe unknown */
  li a0, SBI_EXT_PMU
  SBI SBI_EXT_BASE, 3
  RESULT 8, a1            /* probe PMU */
  SBI SBI_EXT_BASE, 4
  RESULT 9, a1            /* mvendorid */
  SBI SBI_EXT_BASE, 99
  RESULT 10, a0           /* unknown FID */
  SBI 0x12345678, 0
  RESULT 11, a0           /* unknown EID */
  RESULT 12, a1
  li a0, 'x'
  SBI 1, 0
  RESULT 13, a0           /* legacy console_putchar */
  li a0, 0x08000001
  SBI SBI_EXT_BASE, 3
  RESULT 14, a0           /* probe of an experimental EID: user space answers */
  RESULT 15, a1
  li a0, 1
  SBI SBI_EXT_HSM, 2
  RESULT 16, a0           /* HSM status of a hart that does not exist */
  SHUTDOWN 0x77
  KVM_GUEST_DATA 32
