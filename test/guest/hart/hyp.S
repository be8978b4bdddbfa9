# rvkvm-isa: rv64gch
# The H extension from the inside: M-mode builds a G-stage table (Sv39x4, one 1 GiB identity leaf for the RAM at
# 0x80000000) and drops to HS-mode; HS-mode sets hgatp and enters VS-mode itself (SRET with hstatus.SPV = 1).
# The VS code writes sscratch (= vsscratch), reads hstatus (virtual instruction, cause 22), loads from a guest
# physical address the G-stage does not map (load guest-page fault, cause 21: stval = that address,
# htval = it >> 2, hstatus.GVA = 1) and makes an ecall (cause 10). HS-mode checks each trap (scause, sepc,
# hstatus.SPV) and resumes the guest; after the ecall it checks that vsscratch holds what VS wrote while its
# own sscratch does not, and ecalls M-mode, which passes if all five checks counted (s2 = 5).
  .equ GPA_HOLE, 0xc0000000
  .text
  .globl main
main:
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1f                   # PMP entry 0: NAPOT over everything, RWX (QEMU enforces PMP for S/U; rvkvm does not)
  csrw pmpcfg0, t0
  la t0, gstage_root
  li t1, (0x80000000 >> 12) << 10
  ori t1, t1, 0xdf              # V R W X U A D: a G-stage leaf must be a U page
  sd t1, 16(t0)                 # root[2]: GPA 0x80000000..0xbfffffff -> the same host addresses
  li t0, (1 << 10) | (1 << 21) | (1 << 22)
  csrw medeleg, t0              # ecall from VS, load guest-page fault and virtual instruction go to HS
  li s2, 0
  li t0, 3 << 11
  csrc mstatus, t0
  li t0, 1 << 11
  csrs mstatus, t0              # MPP = S
  la t0, hs_entry
  csrw mepc, t0
  mret

hs_entry:                       # HS-mode (V=0)
  la t0, hs_trap
  csrw stvec, t0
  li t0, 0x5555
  csrw sscratch, t0
  la t0, gstage_root
  srli t0, t0, 12
  li t1, 8 << 60                # Sv39x4
  or t0, t0, t1
  csrw hgatp, t0
  .4byte 0x62000073             # hfence.gvma x0, x0
  li t0, 1 << 7
  csrs hstatus, t0              # SPV = 1: SRET goes to V=1
  li t0, 1 << 8
  csrs sstatus, t0              # SPP = S: VS-mode
  la t0, vs_entry
  csrw sepc, t0
  sret

vs_entry:                       # VS-mode (V=1, vsatp bare: guest virtual = guest physical)
  li t0, 0x1234
  csrw sscratch, t0             # is vsscratch
vs_hstatus:
  csrr t1, hstatus              # virtual instruction
vs_hole:
  li t2, GPA_HOLE
  ld t1, 0(t2)                  # load guest-page fault
  ecall                         # ecall from VS
1: j 1b

  .align 4
hs_trap:
  csrr t0, hstatus
  andi t0, t0, 1 << 7           # every trap here came from V=1
  beqz t0, bad
  csrr t0, scause
  li t1, 22
  beq t0, t1, on_virtual
  li t1, 21
  beq t0, t1, on_gpf
  li t1, 10
  beq t0, t1, on_ecall
bad:
  li a0, 100
  ecall                         # to M: fail
on_virtual:
  csrr t0, sepc
  la t1, vs_hstatus
  bne t0, t1, bad
  addi s2, s2, 1
  j resume
on_gpf:
  csrr t0, stval
  li t1, GPA_HOLE
  bne t0, t1, bad
  csrr t0, htval
  li t1, GPA_HOLE >> 2
  bne t0, t1, bad
  csrr t0, hstatus
  andi t0, t0, 1 << 6           # GVA
  beqz t0, bad
  addi s2, s2, 1
  j resume
on_ecall:
  csrr t0, vsscratch
  li t1, 0x1234
  bne t0, t1, bad
  addi s2, s2, 1
  csrr t0, sscratch
  li t1, 0x5555
  bne t0, t1, bad
  addi s2, s2, 1
  csrr t0, hstatus
  andi t0, t0, 1 << 6           # no GVA for an ecall
  bnez t0, bad
  addi s2, s2, 1
  li a0, 0
  ecall                         # to M: done
resume:
  csrr t0, sepc
  addi t0, t0, 4
  csrw sepc, t0
  sret                          # hstatus.SPV = 1 (set by the trap): back to VS

  .globl trap_handler
trap_handler:                   # M-mode (crt0): a0 = mcause; only an ecall from HS is expected
  li t0, 9
  bne a0, t0, 1f
  li t0, 5
  bne s2, t0, 2f
  li a0, 0
  j exit
1: li a0, 0x7fe
  j exit
2: addi a0, s2, 16
  j exit

  .section .bss
  .align 14
gstage_root: .space 16384
