/*
 * rvkvm-probe: a Linux user program run inside the guest to prove what the vCPU really offers.
 * It asks the kernel through riscv_hwprobe (key IMA_EXT_0) which extensions it reports, then executes
 * every Zcmop and Zimop instruction, catching SIGILL, so the output shows both what the guest is told
 * and what the hart executes. Built static with Debian's gcc-riscv64-linux-gnu (whose headers predate
 * hwprobe's Zimop/Zcmop bits, hence the numbers below; they come from shared/reference/hwprobe.json).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NR_riscv_hwprobe 258
#define HWPROBE_KEY_IMA_EXT_0 4
#define HWPROBE_EXT_ZIMOP (1ULL << 42)
#define HWPROBE_EXT_ZCMOP (1ULL << 47)

struct riscv_hwprobe { long long key; unsigned long long value; };

static sigjmp_buf on_sigill;
static volatile sig_atomic_t sigill_count;

static void sigill_handler(int sig) {
    (void)sig;
    sigill_count++;
    siglongjmp(on_sigill, 1);
}

/* Each probe runs one instruction; a SIGILL returns here through siglongjmp. */
#define TRY(label, body) do {                                   \
        if (sigsetjmp(on_sigill, 1) == 0) { body; ok++; }       \
        else { trapped++; }                                     \
    } while (0)

static int probe_zcmop(void) {
    int ok = 0, trapped = 0;
    TRY(1, __asm__ volatile(".2byte 0x6081" ::: "memory"));
    TRY(3, __asm__ volatile(".2byte 0x6181" ::: "memory"));
    TRY(5, __asm__ volatile(".2byte 0x6281" ::: "memory"));
    TRY(7, __asm__ volatile(".2byte 0x6381" ::: "memory"));
    TRY(9, __asm__ volatile(".2byte 0x6481" ::: "memory"));
    TRY(11, __asm__ volatile(".2byte 0x6581" ::: "memory"));
    TRY(13, __asm__ volatile(".2byte 0x6681" ::: "memory"));
    TRY(15, __asm__ volatile(".2byte 0x6781" ::: "memory"));
    printf("c.mop.n: %d executed, %d trapped\n", ok, trapped);
    return ok;
}

/* mop.r.n t0, t1 and mop.rr.n t0, t1, t2 must write 0 to t0 (x5); rs1 = x6, rs2 = x7. */
#define MOP_R(n)  (0x81C04073u | (((n) >> 4 & 1u) << 30) | (((n) >> 2 & 3u) << 26) | (((n) & 3u) << 20) | (5u << 7) | (6u << 15))
#define MOP_RR(n) (0x82004073u | (((n) >> 2 & 1u) << 30) | (((n) & 3u) << 26) | (5u << 7) | (6u << 15) | (7u << 20))
#define RUN_MOP(word, result) __asm__ volatile("li t0, -1\n li t1, 0x1234\n li t2, 0x5678\n .4byte %1\n mv %0, t0" \
                                               : "=r"(result) : "i"(word) : "t0", "t1", "t2", "memory")

static int probe_zimop(void) {
    int ok = 0, trapped = 0, wrong = 0;
    long r;
#define R(n) TRY(n, { RUN_MOP(MOP_R(n), r); if (r != 0) wrong++; })
    R(0); R(1); R(2); R(3); R(4); R(5); R(6); R(7); R(8); R(9); R(10); R(11); R(12); R(13); R(14); R(15);
    R(16); R(17); R(18); R(19); R(20); R(21); R(22); R(23); R(24); R(25); R(26); R(27); R(28); R(29); R(30); R(31);
#define RR(n) TRY(n, { RUN_MOP(MOP_RR(n), r); if (r != 0) wrong++; })
    RR(0); RR(1); RR(2); RR(3); RR(4); RR(5); RR(6); RR(7);
    printf("mop.r.n/mop.rr.n: %d executed, %d trapped, %d wrote a non-zero rd\n", ok, trapped, wrong);
    return ok;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = sigill_handler;
    sigaction(SIGILL, &sa, NULL);

    struct riscv_hwprobe pair = { HWPROBE_KEY_IMA_EXT_0, 0 };
    long rc = syscall(NR_riscv_hwprobe, &pair, 1, 0, NULL, 0);
    if (rc != 0 || pair.key != HWPROBE_KEY_IMA_EXT_0) {
        printf("hwprobe: failed (rc=%ld key=%lld)\n", rc, pair.key);
    } else {
        printf("hwprobe: IMA_EXT_0=0x%llx zimop=%d zcmop=%d\n", pair.value,
               (pair.value & HWPROBE_EXT_ZIMOP) != 0, (pair.value & HWPROBE_EXT_ZCMOP) != 0);
    }
    probe_zcmop();
    probe_zimop();
    printf("rvkvm-probe: done\n");
    return 0;
}
