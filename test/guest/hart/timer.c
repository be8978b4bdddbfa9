// rvkvm-isa: rv64gc_zicntr_sstc
/* Timer interrupts: (1) the CLINT's mtimecmp raises MTI in M-mode, taken while waiting in WFI;
   (2) with Sstc, S-mode arms stimecmp, STI is delegated to S (mideleg) and handled by an S-mode handler,
   which then ecalls back to M-mode (cause 9) to finish the test. */
#include "htif.h"

void exit(int code);

#define CLINT_MTIMECMP ((volatile uint64_t *)0x2004000)
#define CLINT_MTIME ((volatile uint64_t *)0x200bff8)

static volatile int m_timer_hits;
volatile int s_timer_hits;

extern char s_mode_entry[], s_trap[];

/* S-mode code: arm stimecmp 500 ticks ahead, enable STIE + SIE, wait; the S handler counts, disarms, ecalls */
__asm__(".text\n"
        ".align 2\n"
        ".globl s_mode_entry\n"
        "s_mode_entry:\n"
        "  la t0, s_trap\n"
        "  csrw stvec, t0\n"
        "  csrr t0, time\n"
        "  addi t0, t0, 500\n"
        "  csrw stimecmp, t0\n"
        "  li t0, 32\n"
        "  csrs sie, t0\n"
        "  csrsi sstatus, 2\n"
        "1: wfi\n"
        "  j 1b\n"
        ".align 2\n"
        ".globl s_trap\n"
        "s_trap:\n"
        "  csrr t0, scause\n"
        "  li t1, 0x8000000000000005\n"
        "  bne t0, t1, 2f\n"
        "  la t0, s_timer_hits\n"
        "  lw t1, 0(t0)\n"
        "  addi t1, t1, 1\n"
        "  sw t1, 0(t0)\n"
        "  li t0, -1\n"
        "  csrw stimecmp, t0\n"
        "  ecall\n"
        "2: li a0, 77\n"
        "  ecall\n");

uint64_t trap_handler(uint64_t cause, uint64_t epc, uint64_t tval) {
  (void)tval;
  if (cause == 0x8000000000000007ull) {
    m_timer_hits++;
    *CLINT_MTIMECMP = ~0ull;
    return epc;
  }
  if (cause == 9) { /* ecall from S: the S-mode timer part is done */
    if (s_timer_hits != 1) exit(30);
    if (csr_read(stimecmp) != ~0ull) exit(31);
    exit(0);
  }
  exit(40 + (int)(cause & 15));
  return 0;
}

int main(void) {
  uint64_t t0 = *CLINT_MTIME;
  *CLINT_MTIMECMP = t0 + 1000;
  csr_set(mie, 1 << 7);
  csr_set(mstatus, 1 << 3);
  while (m_timer_hits == 0) __asm__ volatile("wfi");
  if (csr_read(time) < t0 + 1000) return 2;
  csr_clear(mstatus, 1 << 3);
  /* part 2: Sstc + delegation */
  csr_set(menvcfg, 1ull << 63);     /* STCE */
  csr_set(mcounteren, 2);           /* TM: S may read time and access stimecmp */
  csr_write(mideleg, 1 << 5);
  csr_clear(mstatus, 3 << 11);
  csr_set(mstatus, 1 << 11);        /* MPP = S */
  csr_write(mepc, (uint64_t)s_mode_entry);
  __asm__ volatile("mret");
  return 3;
}
