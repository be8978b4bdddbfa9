# Vector throughput kernels for bench/vector.ts, bare metal (M-mode, HTIF tohost), the same ELF on rvkvm exec
# and on QEMU's -M spike. Built with -DREPS=R and one of -DKERNEL_ADD / -DKERNEL_DOT: R times over N = 4096
# e32 elements, strip-mined with vsetvli at LMUL 1 (how compilers vectorise by default):
#   add: c[i] = a[i] + b[i]            (2 loads, 1 add, 1 store per strip)
#   dot: sum a[i] * b[i] (mod 2^32)    (2 loads, 1 vmacc per strip into a tail-undisturbed accumulator, one
#                                       vredsum at the end)
# then a scalar pass checks the vector result (add: every c[i]; dot: the sum): tohost = 1 when it is right,
# 5 (add) or 7 (dot) when not. The bench times R and 2R and takes the difference, so the array set-up, the
# check and the VM's start-up cancel out.
#define N 4096

.section .text.init
.globl _start
_start:
  li t0, (1 << 9) | (1 << 13)        # mstatus.VS and FS: Initial
  csrs mstatus, t0
  # a[i] = 3i + 1, b[i] = 7i ^ 0x55
  la a1, arr_a; la a2, arr_b; li t1, 0; li t2, N
1:
  slli t3, t1, 1; add t3, t3, t1; addi t3, t3, 1; sw t3, 0(a1)
  slli t4, t1, 3; sub t4, t4, t1; xori t4, t4, 0x55; sw t4, 0(a2)
  addi a1, a1, 4; addi a2, a2, 4; addi t1, t1, 1
  blt t1, t2, 1b
  li s0, REPS
#ifdef KERNEL_DOT
  vsetvli t0, x0, e32, m1, ta, ma
  vmv.v.i v8, 0
rep:
  la a1, arr_a; la a2, arr_b; li a3, N
2:
  vsetvli t0, a3, e32, m1, tu, ma
  vle32.v v1, (a1)
  vle32.v v2, (a2)
  vmacc.vv v8, v1, v2
  slli t1, t0, 2; add a1, a1, t1; add a2, a2, t1
  sub a3, a3, t0
  bnez a3, 2b
  addi s0, s0, -1
  bnez s0, rep
  vsetvli t0, x0, e32, m1, ta, ma
  vmv.s.x v9, x0
  vredsum.vs v9, v8, v9
  vmv.x.s s1, v9
  # scalar: REPS * sum a[i] * b[i], 32-bit
  la a1, arr_a; la a2, arr_b; li t1, N; li s2, 0
3:
  lw t3, 0(a1); lw t4, 0(a2); mulw t3, t3, t4; addw s2, s2, t3
  addi a1, a1, 4; addi a2, a2, 4; addi t1, t1, -1
  bnez t1, 3b
  li t3, REPS; mulw s2, s2, t3
  li a0, 7
  bne s1, s2, done
#else
rep:
  la a1, arr_a; la a2, arr_b; la a4, arr_c; li a3, N
2:
  vsetvli t0, a3, e32, m1, ta, ma
  vle32.v v1, (a1)
  vle32.v v2, (a2)
  vadd.vv v3, v1, v2
  vse32.v v3, (a4)
  slli t1, t0, 2; add a1, a1, t1; add a2, a2, t1; add a4, a4, t1
  sub a3, a3, t0
  bnez a3, 2b
  addi s0, s0, -1
  bnez s0, rep
  la a1, arr_a; la a2, arr_b; la a4, arr_c; li t1, N
3:
  lw t3, 0(a1); lw t4, 0(a2); lw t5, 0(a4); addw t3, t3, t4
  li a0, 5
  bne t3, t5, done
  addi a1, a1, 4; addi a2, a2, 4; addi a4, a4, 4; addi t1, t1, -1
  bnez t1, 3b
#endif
  li a0, 1
done:
  la t0, tohost
4: sd a0, 0(t0)
  j 4b

# QEMU's HTIF wants tohost and fromhost as 8-byte objects
.section .tohost, "aw", @progbits
.balign 8
.globl tohost
.type tohost, @object
.size tohost, 8
tohost: .dword 0
.globl fromhost
.type fromhost, @object
.size fromhost, 8
fromhost: .dword 0

.bss
.balign 64
arr_a: .space 4 * N
arr_b: .space 4 * N
arr_c: .space 4 * N
