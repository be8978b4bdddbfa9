// rvkvm-isa: rv64gc
/* Sv39 from M-mode firmware's point of view: build page tables (a 1 GiB supervisor gigapage for RAM, 4 KiB
   user pages for code, read-write and read-only data), drop to U-mode with mret, and check what the user code
   can do: load/store through its mappings, a store page fault on the read-only page (cause 15), a load page
   fault on a supervisor page (cause 13), then ecall (cause 8). Every trap comes to M-mode (no delegation). */
#include "htif.h"

void exit(int code);

static uint64_t root[512] __attribute__((aligned(4096)));
static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l0[512] __attribute__((aligned(4096)));
static uint64_t user_data[512] __attribute__((aligned(4096)));
extern char user_code[];

#define PTE_V 1
#define PTE_R 2
#define PTE_W 4
#define PTE_X 8
#define PTE_U 16
#define PTE_A 64
#define PTE_D 128
#define PTE(pa, flags) ((((uint64_t)(pa) >> 12) << 10) | (flags))

__asm__(".section .text.user,\"ax\",@progbits\n"
        ".align 12\n"
        ".globl user_code\n"
        "user_code:\n"
        "  li t0, 0x40001000\n"
        "  ld t1, 0(t0)\n"
        "  addi t1, t1, 1\n"
        "  sd t1, 8(t0)\n"        /* allowed: RW user page */
        "  li t2, 0x40002000\n"
        "  sd t1, 0(t2)\n"        /* read-only user page: store page fault */
        "  li t2, 0x80000000\n"
        "  ld t1, 0(t2)\n"        /* supervisor page: load page fault */
        "  ecall\n"
        "1: j 1b\n"
        ".text\n");

static volatile int step;
static const uint64_t expect_cause[3] = {15, 13, 8};
static const uint64_t expect_tval[3] = {0x40002000, 0x80000000, 0};

uint64_t trap_handler(uint64_t cause, uint64_t epc, uint64_t tval) {
  int k = step;
  if (k >= 3 || cause != expect_cause[k] || tval != expect_tval[k]) exit(10 + k);
  step = k + 1;
  if (cause == 8) {
    if (user_data[1] != 42) exit(20);
    if ((csr_read(mstatus) >> 11 & 3) != 0) exit(21); /* MPP = U */
    exit(0);
  }
  return epc + 4;
}

int main(void) {
  user_data[0] = 41;
  root[2] = PTE(0x80000000, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);  /* 1 GiB gigapage, supervisor */
  root[1] = PTE(l1, PTE_V);                                                 /* 0x40000000.. */
  l1[0] = PTE(l0, PTE_V);
  l0[0] = PTE(user_code, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A);
  l0[1] = PTE(user_data, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
  l0[2] = PTE(user_data, PTE_V | PTE_R | PTE_U | PTE_A);
  csr_write(satp, (8ull << 60) | ((uint64_t)root >> 12));
  __asm__ volatile("sfence.vma" ::: "memory");
  csr_clear(mstatus, 3 << 11);      /* MPP = U */
  csr_write(mepc, 0x40000000);
  __asm__ volatile("mret");
  return 99;
}
