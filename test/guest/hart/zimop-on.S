# rvkvm-isa: rv64gc_zimop_zcmop
# With Zimop and Zcmop: every MOP.R.n / MOP.RR.n writes 0 to rd (here t0 = x5) and every C.MOP.n leaves the
# registers alone. Any trap fails the test (crt0's default trap handler).
  .text
  .globl main
main:
  li a0, 0
  .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  li t0, -1
  li t1, 0x55
  .4byte (0x81C04073 | (((\n >> 4) & 1) << 30) | (((\n >> 2) & 3) << 26) | ((\n & 3) << 20) | (5 << 7) | (6 << 15))
  addi a0, a0, 1
  bnez t0, fail
  .endr
  .irp n, 0,1,2,3,4,5,6,7
  li t0, -1
  .4byte (0x82004073 | (((\n >> 2) & 1) << 30) | ((\n & 3) << 26) | (5 << 7) | (6 << 15) | (7 << 20))
  addi a0, a0, 1
  bnez t0, fail
  .endr
  li x5, 5
  li x7, 7
  li x9, 9
  li x11, 11
  li x13, 13
  li x15, 15
  .irp n, 1,3,5,7,9,11,13,15
  .2byte (0x6081 | ((\n >> 1) << 8))
  .endr
  li t1, 5
  bne x5, t1, fail
  li t1, 7
  bne x7, t1, fail
  li t1, 9
  bne x9, t1, fail
  li t1, 11
  bne x11, t1, fail
  li t1, 13
  bne x13, t1, fail
  li t1, 15
  bne x15, t1, fail
  li a0, 0
  ret
fail:
  addi a0, a0, 1
  ret
