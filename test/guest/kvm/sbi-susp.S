/* SBI SUSP system_suspend(SUSPEND_TO_RAM, resume address, opaque): KVM forwards it to user space and, once
   user space lets the vCPU run again, resumes it at the resume address with a0 = hart id, a1 = opaque. */
#include "kvm/sbi.h"
#define SBI_EXT_SUSP 0x53555350
  KVM_START
  li a0, 1                /* reserved sleep type */
  la a1, resumed
  li a2, 0
  SBI SBI_EXT_SUSP, 0
  RESULT 0, a0            /* INVALID_PARAM (or NOT_SUPPORTED when SUSP is disabled) */
  li a0, 0
  li a1, 0x10             /* not RAM */
  li a2, 0
  SBI SBI_EXT_SUSP, 0
  RESULT 1, a0            /* INVALID_ADDRESS */
  li a0, 0
  la a1, resumed
  li a2, 0xabc
  SBI SBI_EXT_SUSP, 0
  RESULT 2, a0            /* only reached when the call was refused */
  SHUTDOWN 0x11
resumed:
  RESULT 3, a0
  RESULT 4, a1
  SHUTDOWN 0x22
  KVM_GUEST_DATA 8
