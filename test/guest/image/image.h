/* Guests in the Linux Image format, for `rvkvm run --kernel X.Image` (built to build/guest/image/X.Image, a flat
   binary): the 64-byte RISC-V Image header (Documentation/arch/riscv/boot-image-header.rst), then code entered as
   the kernel would be (S-mode, MMU off, a0 = hart id, a1 = device tree). Position independent: the VMM places the
   image at RAM base + text_offset. */
.macro IMAGE_HEADER entry
  .section .text.head, "ax"
  .option push
  .option norvc
  .globl _start
_start:
  j \entry                /* code0 */
  .4byte 0                /* code1 */
  .8byte 0x200000         /* text_offset */
  .8byte _image_end - _start  /* image_size */
  .8byte 0                /* flags: little-endian */
  .4byte 2                /* version 0.2 */
  .4byte 0                /* res1 */
  .8byte 0                /* res2 */
  .ascii "RISCV\0\0\0"    /* magic (deprecated) */
  .ascii "RSC\x05"        /* magic2 */
  .4byte 0                /* res3: no PE header */
  .option pop
  .text
.endm

/* print the bytes from label `from` to label `to` on the SBI debug console (DBCN write, physical address) */
.macro PUTS from, to
  lla a1, \from
  lla a0, \to
  sub a0, a0, a1
  li a2, 0
  li a7, 0x4442434E
  li a6, 0
  ecall
.endm
