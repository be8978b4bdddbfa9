/* SBI PMU from a real guest: the counters it offers, configure a counter for instructions retired that does
   not count U-mode, start it, run a known number of instructions, read it with rdhpmcounter (csrr), stop it. */
#include "kvm/sbi.h"
  KVM_START
  li a0, SBI_EXT_PMU
  SBI SBI_EXT_BASE, 3
  RESULT 0, a1            /* probe PMU */
  SBI SBI_EXT_PMU, 0
  RESULT 1, a1            /* num_counters */
  li a0, 3
  SBI SBI_EXT_PMU, 1
  RESULT 2, a1            /* counter_get_info(3) */
  li a0, 0                /* counter_config_matching(base 0, mask all, CLEAR_VALUE | SET_UINH, HW_INSTRUCTIONS) */
  li a1, 0xffffffff      /* counters 0..31: a bit beyond the last counter is INVALID_PARAM, as in KVM */
  li a2, (2 | (1 << 5))
  li a3, 2
  li a4, 0
  SBI SBI_EXT_PMU, 2
  RESULT 3, a0
  RESULT 4, a1            /* the counter */
  mv s1, a1
  mv a0, s1               /* counter_start(idx, mask 1, no flags) */
  li a1, 1
  li a2, 0
  li a3, 0
  SBI SBI_EXT_PMU, 3
  RESULT 5, a0
  csrr s2, 0xc03          /* hpmcounter3: the counter the first match hands out */
  .rept 100
  addi t0, t0, 1
  .endr
  csrr s3, 0xc03
  sub s3, s3, s2
  RESULT 6, s3            /* the 100 adds and the first csrr itself */
  mv a0, s1               /* counter_stop(idx, mask 1, RESET) */
  li a1, 1
  li a2, 1
  SBI SBI_EXT_PMU, 4
  RESULT 7, a0
  mv a0, s1               /* stop again: not configured any more */
  li a1, 1
  li a2, 0
  SBI SBI_EXT_PMU, 4
  RESULT 8, a0
  li a0, 0                /* an event rvkvm's hart does not count (HW_CACHE_REFERENCES) */
  li a1, 0xffffffff      /* counters 0..31: a bit beyond the last counter is INVALID_PARAM, as in KVM */
  li a2, 0
  li a3, 3
  SBI SBI_EXT_PMU, 2
  RESULT 9, a0
  SHUTDOWN 0x77
  KVM_GUEST_DATA 16
