/* rvkvm exec: a trap storm in M-mode. mtvec points at an illegal instruction, so once the first one traps the hart
   re-enters its vector for ever without retiring anything: exec must report the trap loop and fail, at once. */
  .text
  .globl main
main:
  la t0, vector
  csrw mtvec, t0
  unimp
  .align 2
vector:
  unimp
