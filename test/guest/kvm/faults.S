/* What a guest sees when it touches what is not RAM (rvkvm's KVM layer, docs/architecture.md "Guest accesses
   outside RAM"): loads and stores to an address no memslot covers are MMIO exits the VMM answers; a misaligned
   access there is the guest's address-misaligned exception; an AMO or LR there, an instruction fetch from
   there and a page-table entry pointing there are the guest's access faults. The trap handler records
   (scause, stval) and resumes after the faulting instruction (after the call, for a fetch fault). */
#include "kvm/sbi.h"
#define HOLE 0x40000000       /* no memslot, no device */
  .option norvc
  KVM_START
  la t0, trap
  csrw stvec, t0
  li s1, HOLE
  li a0, 0x1234
  ld a0, 0(s1)            /* MMIO exit (read), the VMM answers */
  RESULT 0, a0
  li a1, 0x55
  sd a1, 8(s1)            /* MMIO exit (write) */
  lw a2, 3(s1)            /* misaligned: cause 4 */
  RESULT 1, s2
  RESULT 2, s3
  li a3, 1
  addi a5, s1, 16
  amoadd.w a4, a3, (a5)   /* AMO on MMIO: cause 7 */
  RESULT 3, s2
  RESULT 4, s3
  lr.w a4, (a5)           /* LR on MMIO: cause 5 */
  RESULT 5, s2
  RESULT 6, s3
  jalr ra, 0(s1)          /* fetch from MMIO: cause 1, stval = HOLE */
  RESULT 7, s2
  RESULT 8, s3
  /* Sv39: VA 0x80000000.. is a 1 GiB identity leaf; VA 0x40000000..'s entry points at a table at HOLE */
  la t0, root
  li t1, (HOLE >> 12) << 10 | 1         /* non-leaf, V */
  sd t1, 8(t0)
  li t1, (0x80000000 >> 12) << 10 | 0xcf /* D A X W R V */
  sd t1, 16(t0)
  srli t0, t0, 12
  li t1, 8 << 60
  or t0, t0, t1
  csrw satp, t0
  sfence.vma
  li t2, 0x40000010
  ld a0, 0(t2)            /* the walk reads a PTE at HOLE + ...: cause 5, stval = the VA */
  RESULT 9, s2
  RESULT 10, s3
  csrw satp, zero
  sfence.vma
  RESULT 11, s4           /* traps taken */
  SHUTDOWN 0

  .align 2
trap:
  csrr s2, scause
  csrr s3, stval
  addi s4, s4, 1
  li t0, 1
  beq s2, t0, 1f
  csrr t0, sepc
  addi t0, t0, 4
  csrw sepc, t0
  sret
1: csrw sepc, ra          /* fetch fault: back to after the call */
  sret

  .data
  .align 12
root: .space 4096
  KVM_GUEST_DATA 12
