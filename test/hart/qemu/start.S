# Bare-metal entry shared by the QEMU oracle programs (test/hart/fp, test/hart/vector) on qemu-system-riscv64
# -M virt -bios none: stack, FPU and vector unit on (mstatus.FS = VS = Initial; VS stays 0 on a CPU without V),
# main(), then power off through the virt test device.
.section .text.start
.globl _start
_start:
  la sp, stack_top
  li t0, (1 << 13) | (1 << 9)
  csrs mstatus, t0
  call main
  li t0, 0x100000
  li t1, 0x5555
  sw t1, 0(t0)
1: j 1b
.section .bss
.align 4
.space 65536
stack_top:
