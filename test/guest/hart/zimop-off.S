# rvkvm-isa: rv64gc
# Without Zimop and Zcmop: every MOP.R.n, MOP.RR.n and C.MOP.n traps as illegal instruction with mtval = the
# instruction bits. The trap handler checks cause and tval, counts, and skips the instruction.
  .text
  .globl main
main:
  addi sp, sp, -16
  sd ra, 0(sp)
  la s1, expected
  li s2, 0                  # traps seen (the handler increments it through memory)
  .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  li t0, (0x81C04073 | (((\n >> 4) & 1) << 30) | (((\n >> 2) & 3) << 26) | ((\n & 3) << 20) | (5 << 7) | (6 << 15))
  sd t0, 0(s1)
  .4byte (0x81C04073 | (((\n >> 4) & 1) << 30) | (((\n >> 2) & 3) << 26) | ((\n & 3) << 20) | (5 << 7) | (6 << 15))
  .endr
  .irp n, 0,1,2,3,4,5,6,7
  li t0, (0x82004073 | (((\n >> 2) & 1) << 30) | ((\n & 3) << 26) | (5 << 7) | (6 << 15) | (7 << 20))
  sd t0, 0(s1)
  .4byte (0x82004073 | (((\n >> 2) & 1) << 30) | ((\n & 3) << 26) | (5 << 7) | (6 << 15) | (7 << 20))
  .endr
  .irp n, 1,3,5,7,9,11,13,15
  li t0, (0x6081 | ((\n >> 1) << 8))
  sd t0, 0(s1)
  .2byte (0x6081 | ((\n >> 1) << 8))
  .endr
  la t0, count
  ld t0, 0(t0)
  li t1, 48
  li a0, 0
  beq t0, t1, 1f
  li a0, 1
1:
  ld ra, 0(sp)
  addi sp, sp, 16
  ret

# trap_handler(cause, epc, tval) -> new epc; fails the test on anything unexpected
  .globl trap_handler
trap_handler:
  li t0, 2
  bne a0, t0, bad
  la t0, expected
  ld t0, 0(t0)
  bne a2, t0, bad
  la t0, count
  ld t1, 0(t0)
  addi t1, t1, 1
  sd t1, 0(t0)
  andi t0, a2, 3
  li t1, 3
  addi a0, a1, 2
  bne t0, t1, 2f
  addi a0, a1, 4
2:
  ret
bad:
  li a0, 3
  j exit

  .data
  .align 3
expected: .dword 0
count: .dword 0
