/* Start-up for bare-metal M-mode test programs: stack, gp, FPU on, bss cleared, trap vector, then main().
   main's return value goes to HTIF: 0 -> pass (tohost = 1), n -> fail (tohost = n*2+1).
   A C program may define `trap_handler(cause, epc, tval)`; the default one fails with code 0x7ff. */
  .section .text.init
  .globl _start
_start:
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  la sp, __stack_top
  li t0, (1 << 13)          /* mstatus.FS = initial */
  csrs mstatus, t0
  csrwi fcsr, 0
  la t0, __bss_start
  la t1, __bss_end
1: bgeu t0, t1, 2f
  sd zero, 0(t0)
  addi t0, t0, 8
  j 1b
2:
  la t0, trap_entry
  csrw mtvec, t0
#ifdef HTIF_CONSOLE_PUTCHAR
  /* the bench's QEMU build (test/guest/Makefile bench-qemu): announce the start on the console, so that the
     bench times the program from here to QEMU's exit and not QEMU's own start-up */
  la t0, bench_start_line
  la t1, tohost
  la t2, fromhost
  li t3, 0x0101000000000000 /* device 1 (console), command 1 (put character) */
4: lbu a0, 0(t0)
  beqz a0, 6f
  or a0, a0, t3
  sd a0, 0(t1)
5: ld a1, 0(t2)
  beqz a1, 5b
  sd zero, 0(t2)
  addi t0, t0, 1
  j 4b
6:
#endif
  call main
  /* fall into exit */
  .globl exit
exit:
  slli a0, a0, 1
  ori a0, a0, 1
  la t0, tohost
3: sd a0, 0(t0)
  j 3b

  .weak trap_handler
trap_handler:
  li a0, 0x7ff
  j exit

  .align 4
trap_entry:
  /* save caller-saved registers, call trap_handler(mcause, mepc, mtval); it returns the new mepc */
  addi sp, sp, -144
  sd ra, 0(sp); sd t0, 8(sp); sd t1, 16(sp); sd t2, 24(sp); sd a0, 32(sp); sd a1, 40(sp)
  sd a2, 48(sp); sd a3, 56(sp); sd a4, 64(sp); sd a5, 72(sp); sd a6, 80(sp); sd a7, 88(sp)
  sd t3, 96(sp); sd t4, 104(sp); sd t5, 112(sp); sd t6, 120(sp)
  csrr a0, mcause
  csrr a1, mepc
  csrr a2, mtval
  call trap_handler
  csrw mepc, a0
  ld ra, 0(sp); ld t0, 8(sp); ld t1, 16(sp); ld t2, 24(sp); ld a0, 32(sp); ld a1, 40(sp)
  ld a2, 48(sp); ld a3, 56(sp); ld a4, 64(sp); ld a5, 72(sp); ld a6, 80(sp); ld a7, 88(sp)
  ld t3, 96(sp); ld t4, 104(sp); ld t5, 112(sp); ld t6, 120(sp)
  addi sp, sp, 144
  mret

#ifdef HTIF_CONSOLE_PUTCHAR
  .section .rodata
bench_start_line: .asciz "rvkvm-bench-start\n"
#endif

  .section .tohost, "aw", @progbits
  .align 6
  /* typed 8-byte objects: QEMU's HTIF (-M spike) finds them by symbol and insists on st_size 8 */
  .globl tohost
  .type tohost, @object
  .size tohost, 8
tohost: .dword 0
  .align 6
  .globl fromhost
  .type fromhost, @object
  .size fromhost, 8
fromhost: .dword 0
