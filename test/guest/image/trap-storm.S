/* A trap storm: stvec points at an instruction that traps again, so after the first trap the hart re-enters its
   handler forever without retiring an instruction. rvkvm run must report "vCPU 0: trap loop at pc ..., cause 2,
   vector ... faults" and exit 1 instead of spinning. */
#include "image/image.h"
  IMAGE_HEADER entry
  .section .rodata
msg: .ascii "trap-storm: stvec points at an illegal instruction\n"
msg_end:
  .text
entry:
  PUTS msg, msg_end
  lla t0, vector
  csrw stvec, t0
  .globl boom
boom:
  unimp                   /* illegal instruction (cause 2): enters the vector */
  .align 2
  .globl vector
vector:
  csrr t0, mstatus        /* an M-mode CSR from S-mode: illegal again, and the vector is itself */
  j vector
