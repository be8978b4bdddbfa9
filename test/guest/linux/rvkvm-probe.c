/*
 * rvkvm-probe: a Linux user program run inside the guest to prove what the vCPU really offers.
 * It asks the kernel through riscv_hwprobe (key IMA_EXT_0) which extensions it reports, then executes
 * every Zcmop and Zimop instruction, a Zvbb vandn and an AES-128 block with Zvkned (FIPS-197 C.1), catching
 * SIGILL, so the output shows both what the guest is told and what the hart executes. The vector crypto
 * instructions are .4byte words: binutils 2.40 predates them. Built static with Debian's gcc-riscv64-linux-gnu (whose headers predate
 * hwprobe's Zimop/Zcmop bits, hence the numbers below; they come from shared/reference/hwprobe.json).
 * It also prints the half-precision and Zkt bits, and counts its own instructions with perf_event_open (the
 * kernel's riscv-pmu-sbi driver on rvkvm's SBI PMU and the hart's hpm counters).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define NR_riscv_hwprobe 258
#define HWPROBE_KEY_IMA_EXT_0 4
#define HWPROBE_EXT_ZIMOP (1ULL << 42)
#define HWPROBE_EXT_ZCMOP (1ULL << 47)
#define HWPROBE_IMA_V (1ULL << 2)
#define HWPROBE_EXT_ZVBB (1ULL << 17)
#define HWPROBE_EXT_ZVKNED (1ULL << 21)
#define HWPROBE_EXT_ZVKNHB (1ULL << 23)
#define HWPROBE_EXT_ZVKT (1ULL << 26)
#define HWPROBE_EXT_ZVFHMIN (1ULL << 31)
#define HWPROBE_EXT_ZKT (1ULL << 16)
#define HWPROBE_EXT_ZFH (1ULL << 27)
#define HWPROBE_EXT_ZFHMIN (1ULL << 28)

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

/* OP-VE (0x77), OPMVV, vm = 1: the vector crypto encoding; vs1 is a selector or an immediate */
#define VK(f6, vs2, vs1, vd) ".4byte ((" #f6 " << 26) | (1 << 25) | (" #vs2 " << 20) | (" #vs1 " << 15) | (2 << 12) | (" #vd " << 7) | 0x77)\n"
#define VON ".option push\n.option arch, +v\n"
#define VOFF ".option pop\n"

static void probe_vector_crypto(void) {
    int ok = 0, trapped = 0;
    unsigned char a[16], b[16], r[16];
    for (int i = 0; i < 16; i++) { a[i] = (unsigned char)(0x5a + 37 * i); b[i] = (unsigned char)(0xc3 ^ 11 * i); }
    volatile int vandn_ok = 0;
    /* vandn.vv v4, v2, v3 (Zvkb, in Zvbb): v4 = v2 & ~v3 */
    TRY(1, {
        __asm__ volatile(VON "vsetivli zero, 16, e8, m1, ta, ma\n vle8.v v2, (%0)\n vle8.v v3, (%1)\n"
                         ".4byte ((1 << 26) | (1 << 25) | (2 << 20) | (3 << 15) | (4 << 7) | 0x57)\n vse8.v v4, (%2)\n" VOFF
                         :: "r"(a), "r"(b), "r"(r) : "memory");
        vandn_ok = 1;
        for (int i = 0; i < 16; i++) if (r[i] != (a[i] & (unsigned char)~b[i])) vandn_ok = 0;
    });
    static const unsigned char key[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
    static const unsigned char pt[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
    static const unsigned char ct[16] = { 0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a };
    volatile int aes_ok = 0;
    /* round keys v10..v20 by vaeskf1.vi, then vaesz.vs, nine vaesem.vs and vaesef.vs on the block in v1 */
    TRY(2, {
        __asm__ volatile(VON "vsetivli zero, 4, e32, m1, ta, ma\n vle32.v v10, (%0)\n vle32.v v1, (%1)\n"
                         VK(0x22, 10, 1, 11) VK(0x22, 11, 2, 12) VK(0x22, 12, 3, 13) VK(0x22, 13, 4, 14) VK(0x22, 14, 5, 15)
                         VK(0x22, 15, 6, 16) VK(0x22, 16, 7, 17) VK(0x22, 17, 8, 18) VK(0x22, 18, 9, 19) VK(0x22, 19, 10, 20)
                         VK(0x29, 10, 7, 1)
                         VK(0x29, 11, 2, 1) VK(0x29, 12, 2, 1) VK(0x29, 13, 2, 1) VK(0x29, 14, 2, 1) VK(0x29, 15, 2, 1)
                         VK(0x29, 16, 2, 1) VK(0x29, 17, 2, 1) VK(0x29, 18, 2, 1) VK(0x29, 19, 2, 1)
                         VK(0x29, 20, 3, 1)
                         "vse32.v v1, (%2)\n" VOFF
                         :: "r"(key), "r"(pt), "r"(r) : "memory");
        aes_ok = memcmp(r, ct, 16) == 0;
    });
    printf("vector crypto: %d executed, %d trapped; zvbb vandn %s; zvkned FIPS-197 AES-128 %s\n", ok, trapped,
           vandn_ok ? "ok" : "wrong", aes_ok ? "ok" : "wrong");
}

/* instructions retired by a 100000-iteration loop, as perf counts them (kernel included: the guest runs as root) */
static void probe_perf(void) {
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.type = PERF_TYPE_HARDWARE;
    a.size = sizeof a;
    a.config = PERF_COUNT_HW_INSTRUCTIONS;
    a.disabled = 1;
    long fd = syscall(__NR_perf_event_open, &a, 0, -1, -1, 0);
    if (fd < 0) { printf("perf: perf_event_open failed (errno %d)\n", errno); return; }
    ioctl((int)fd, PERF_EVENT_IOC_RESET, 0);
    ioctl((int)fd, PERF_EVENT_IOC_ENABLE, 0);
    for (int i = 0; i < 100000; i++) __asm__ volatile("nop");
    ioctl((int)fd, PERF_EVENT_IOC_DISABLE, 0);
    long long n = -1;
    if (read((int)fd, &n, sizeof n) != sizeof n) n = -1;
    printf("perf: instructions=%lld\n", n);
    close((int)fd);
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
        printf("hwprobe: v=%d zvbb=%d zvkt=%d zvfhmin=%d zvkned=%d zvknhb=%d\n", (pair.value & HWPROBE_IMA_V) != 0,
               (pair.value & HWPROBE_EXT_ZVBB) != 0, (pair.value & HWPROBE_EXT_ZVKT) != 0, (pair.value & HWPROBE_EXT_ZVFHMIN) != 0,
               (pair.value & HWPROBE_EXT_ZVKNED) != 0, (pair.value & HWPROBE_EXT_ZVKNHB) != 0);
        printf("hwprobe: zfh=%d zfhmin=%d zkt=%d\n", (pair.value & HWPROBE_EXT_ZFH) != 0,
               (pair.value & HWPROBE_EXT_ZFHMIN) != 0, (pair.value & HWPROBE_EXT_ZKT) != 0);
    }
    probe_perf();
    probe_zcmop();
    probe_zimop();
    probe_vector_crypto();
    printf("rvkvm-probe: done\n");
    return 0;
}
