/* A trap flood that still makes progress: the handler retires one instruction, then traps again, for ever. It is
   no trap loop (something retires), so only --timeout, SIGINT/SIGTERM or Ctrl-A x end it: each must do so within
   a second, although nearly all the hart does is enter traps. */
#include "image/image.h"
  IMAGE_HEADER entry
  .section .rodata
msg: .ascii "trap-flood: every trap handler instruction but one traps\n"
msg_end:
  .text
entry:
  PUTS msg, msg_end
  lla t0, vector
  csrw stvec, t0
  .align 2
vector:
  addi t1, t1, 1          /* retires */
  unimp                   /* traps back to vector */
