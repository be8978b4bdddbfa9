/* Memory/TLB benchmark workload (bench/workloads.ts "mem"): an M-mode runtime builds Sv39 page tables that
   map ARENA_PAGES 4 KiB pages of a virtual window at ARENA_VA onto a physical arena in a scrambled page
   order, then drops to U-mode with mret. U-mode links one node per 64-byte line into a single pseudo-random
   cycle (a full-period LCG over node numbers), chases it CHASE_STEPS times and walks the arena with a
   page-sized stride, folding what it reads into a 32-bit checksum; it ends with ecall. Back in M-mode the
   runtime checks, through physical addresses, that the nodes landed in the scrambled pages, and prints the
   checksum, which the bench compares with its own computation (bench/reference.ts). */
#include "htif.h"

#define PAGE 4096ul
#define ARENA_PAGES 2048ul                 /* 8 MiB */
#define ARENA_PA 0x81000000ul              /* physical arena: 16 MiB into RAM, beyond the program */
#define ARENA_VA 0x100000000ul             /* virtual window: VPN[2] = 4 */
#define NODE_BYTES 64ul
#define NODES (ARENA_PAGES * PAGE / NODE_BYTES) /* 131072, a power of two */
#define LCG_MUL 1103515245ul               /* = 1 mod 4, with an odd increment: full period mod 2^k */
#define LCG_INC 12345ul
#define PAGE_SCRAMBLE 1237ul               /* odd: page i -> physical page (i * 1237) mod ARENA_PAGES */
#define CHASE_STEPS 1000000ul
#define STRIDE_PASSES 32ul

#define PTE_V 0x1ul
#define PTE_R 0x2ul
#define PTE_W 0x4ul
#define PTE_X 0x8ul
#define PTE_U 0x10ul
#define PTE_A 0x40ul
#define PTE_D 0x80ul
#define SATP_SV39 (8ul << 60)
#define MSTATUS_MPP (3ul << 11)
#define CAUSE_ECALL_U 8

struct node { uint64_t next_va; uint32_t payload; uint32_t pad[13]; };

static uint64_t root_table[512] __attribute__((aligned(4096)));
static uint64_t l1_table[512] __attribute__((aligned(4096)));
static uint64_t l0_tables[ARENA_PAGES / 512][512] __attribute__((aligned(4096)));
static volatile uint32_t user_checksum;
static volatile uint64_t user_done;

extern void exit(int code) __attribute__((noreturn));

static uint64_t pte_table(const void *next) { return ((uintptr_t)next >> 12) << 10 | PTE_V; }
static uint64_t pte_leaf(uint64_t pa, uint64_t perm) { return (pa >> 12) << 10 | perm | PTE_V | PTE_A | PTE_D; }
static uint64_t physical_page(uint64_t vpage) { return (vpage * PAGE_SCRAMBLE) % ARENA_PAGES; }
static uint64_t next_node(uint64_t j) { return (j * LCG_MUL + LCG_INC) % NODES; }

/* U-mode: runs on the M-mode stack (identity-mapped with U set) and never returns */
static void __attribute__((noreturn, noinline)) user_main(void) {
  struct node *nodes = (struct node *)ARENA_VA;
  for (uint64_t j = 0; j < NODES; j++) {
    nodes[j].next_va = ARENA_VA + next_node(j) * NODE_BYTES;
    nodes[j].payload = (uint32_t)(j * 2654435761u);
  }
  uint32_t sum = 0;
  const struct node *p = &nodes[0];
  for (uint64_t s = 0; s < CHASE_STEPS; s++) {
    sum = sum * 33 + p->payload;
    p = (const struct node *)p->next_va;
  }
  const volatile uint32_t *words = (const volatile uint32_t *)ARENA_VA;
  for (uint64_t pass = 0; pass < STRIDE_PASSES; pass++)
    for (uint64_t page = 0; page < ARENA_PAGES; page++)
      sum ^= words[(page * PAGE + pass * NODE_BYTES) / 4] + (uint32_t)page;
  user_checksum = sum;
  user_done = 1;
  USER_ECALL();
  for (;;) { }
}

uint64_t trap_handler(uint64_t cause, uint64_t epc, uint64_t tval) {
  if (cause != CAUSE_ECALL_U || !user_done) {
    puts_htif("unexpected trap: cause "); put_hex(cause);
    puts_htif("epc "); put_hex(epc);
    puts_htif("tval "); put_hex(tval);
    exit(10);
  }
  /* the translation really scrambled pages: node j sits in physical page physical_page(j's virtual page) */
  for (uint64_t j = 0; j < NODES; j += 997) {
    uint64_t va_off = j * NODE_BYTES;
    const struct node *phys = (const struct node *)(ARENA_PA + physical_page(va_off / PAGE) * PAGE + va_off % PAGE);
    if (phys->next_va != ARENA_VA + next_node(j) * NODE_BYTES) exit(11);
  }
  puts_htif("checksum ");
  put_hex(user_checksum);
  exit(0);
}

#if !defined(__riscv)
/* the bench's native build (bench/native/htif.h): the host's MMU does the scrambled mapping */
int main(void) {
  host_map_scrambled((void *)ARENA_VA, (void *)ARENA_PA, ARENA_PAGES, PAGE, physical_page);
  user_main();
}
#else
int main(void) {
  /* 0x80000000..0xbfffffff: one identity gigapage, user-accessible, for the program, its data and stack */
  root_table[2] = pte_leaf(0x80000000ul, PTE_R | PTE_W | PTE_X | PTE_U);
  root_table[ARENA_VA >> 30] = pte_table(l1_table);
  for (uint64_t t = 0; t < ARENA_PAGES / 512; t++) l1_table[t] = pte_table(l0_tables[t]);
  for (uint64_t vpage = 0; vpage < ARENA_PAGES; vpage++)
    l0_tables[vpage / 512][vpage % 512] = pte_leaf(ARENA_PA + physical_page(vpage) * PAGE, PTE_R | PTE_W | PTE_U);
  /* PMP: let U-mode reach all of memory (NAPOT over the whole address space, RWX) */
  csr_write(pmpaddr0, ~0ul >> 10);
  csr_write(pmpcfg0, 0x1f);
  csr_write(satp, SATP_SV39 | ((uintptr_t)root_table >> 12));
  __asm__ volatile("sfence.vma" ::: "memory");
  csr_clear(mstatus, MSTATUS_MPP); /* MPP = U */
  csr_write(mepc, (uintptr_t)user_main);
  __asm__ volatile("mret");
  return 1; /* not reached: user_main ends with ecall, handled above */
}
#endif
