/* rvkvm exec: a program that never reports through HTIF and does little but trap: the handler retires one
   instruction and traps again. It is no trap loop (it retires), so only --timeout / --max-insns end it. */
  .text
  .globl main
main:
  la t0, vector
  csrw mtvec, t0
  .align 2
vector:
  addi t1, t1, 1
  unimp
