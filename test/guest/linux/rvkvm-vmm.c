/*
 * rvkvm-vmm: a minimal VMM on the guest's own /dev/kvm (the real Linux KVM, running nested on rvkvm's hart
 * with `rvkvm run --nested`). It creates a VM with one memory slot and one vCPU, prints KVM_GET_REG_LIST (one
 * hex id per line, the first column of `rvkvm reg-list`), reads KVM_RISCV_ISA_EXT_ZCMOP (expected 1) and tries
 * to clear it (Linux's rule: EINVAL), then runs nested guest code that executes every c.mop.n and mop.r.n,
 * makes an SBI call in the experimental range (KVM forwards it to user space: KVM_EXIT_RISCV_SBI) and powers
 * off through SBI SRST (KVM_EXIT_SYSTEM_EVENT). Output lines are prefixed so a test can parse them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#define REG_RISCV 0x8000000000000000ULL
#define REG_U64 0x0030000000000000ULL
#define REG_CORE (2ULL << 24)
#define REG_ISA_EXT (7ULL << 24)
#define ISA_EXT_ZCMOP 60 /* KVM_RISCV_ISA_EXT_ZCMOP (uapi 6.10+; the cross headers may predate it) */
#define GUEST_BASE 0x80000000ULL
#define GUEST_SIZE (64 * 1024)
#define SBI_EXT_EXPERIMENTAL 0x08000000UL
#define SBI_EXT_SRST 0x53525354UL

/* The nested guest (VS-mode, MMU off). mop.r.n t0, t1 must write 0 to t0: s0 counts those that did; s1 counts
 * the c.mop.n executed. Then the SBI call with a0 = s0, a1 = s1; the answer's a1 goes to s2; then SRST. */
#define MOPR(n) "li t0, -1\n .4byte (0x81C04073 | ((" #n ">> 4 & 1) << 30) | ((" #n " >> 2 & 3) << 26) | ((" #n " & 3) << 20) | (5 << 7) | (6 << 15))\n bnez t0, 1f\n addi s0, s0, 1\n1:\n"
#define MOPR4(a, b, c, d) MOPR(a) MOPR(b) MOPR(c) MOPR(d)
#define CMOP(n) ".2byte (0x6081 | ((" #n " >> 1) << 8))\n addi s1, s1, 1\n"
__asm__(".section .rodata\n .balign 4\n .globl l2_start\nl2_start:\n"
        " li s0, 0\n li s1, 0\n li t1, 0x1234\n"
        MOPR4(0, 1, 2, 3) MOPR4(4, 5, 6, 7) MOPR4(8, 9, 10, 11) MOPR4(12, 13, 14, 15)
        MOPR4(16, 17, 18, 19) MOPR4(20, 21, 22, 23) MOPR4(24, 25, 26, 27) MOPR4(28, 29, 30, 31)
        CMOP(1) CMOP(3) CMOP(5) CMOP(7) CMOP(9) CMOP(11) CMOP(13) CMOP(15)
        " li a7, 0x08000000\n li a6, 0\n mv a0, s0\n mv a1, s1\n ecall\n mv s2, a1\n"
        " li a7, 0x53525354\n li a6, 0\n li a0, 0\n li a1, 0\n ecall\n"
        "2: j 2b\n"
        " .globl l2_end\nl2_end:\n .text\n");
extern const unsigned char l2_start[], l2_end[];

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *what) {
    printf("vmm: FAIL %s: %s\n", what, strerror(errno));
    exit(1);
}

static int one_reg(int vcpu, unsigned long req, uint64_t id, uint64_t *val) {
    struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)val };
    return ioctl(vcpu, req, &r);
}

/* One row of the ONE_REG table: "onereg <vcpu> get|set <id> <value> -> <errno> <value read>", errno 0 = success.
 * The integration test replays the same rows on rvkvm's KVM model and expects the same lines. */
static void row(int fd, int vcpu_id, int set, uint64_t id, uint64_t value) {
    uint64_t buf[2] = { set ? value : 0, 0 };
    int r = one_reg(fd, set ? KVM_SET_ONE_REG : KVM_GET_ONE_REG, id, buf);
    printf("onereg %d %s 0x%016llx 0x%llx -> %d 0x%llx\n", vcpu_id, set ? "set" : "get", (unsigned long long)id,
           (unsigned long long)(set ? value : 0), r < 0 ? errno : 0, (unsigned long long)(set || r < 0 ? 0 : buf[0]));
}

int main(void) {
    double t0 = now();
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) die("open /dev/kvm");
    printf("vmm: api %d\n", ioctl(kvm, KVM_GET_API_VERSION, 0));
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) die("KVM_CREATE_VM");
    void *mem = mmap(NULL, GUEST_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) die("mmap guest memory");
    memcpy(mem, l2_start, (size_t)(l2_end - l2_start));
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = GUEST_BASE, .memory_size = GUEST_SIZE, .userspace_addr = (uint64_t)(uintptr_t)mem,
    };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) die("KVM_SET_USER_MEMORY_REGION");
    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) die("KVM_CREATE_VCPU");
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) die("mmap kvm_run");

    struct kvm_reg_list probe = { .n = 0 };
    if (ioctl(vcpu, KVM_GET_REG_LIST, &probe) == 0 || errno != E2BIG) die("KVM_GET_REG_LIST size probe");
    struct kvm_reg_list *list = calloc(1, sizeof(*list) + probe.n * sizeof(uint64_t));
    list->n = probe.n;
    if (ioctl(vcpu, KVM_GET_REG_LIST, list) < 0) die("KVM_GET_REG_LIST");
    printf("vmm: reg-list %llu\n", (unsigned long long)list->n);
    for (uint64_t k = 0; k < list->n; k++) printf("reg 0x%016llx\n", (unsigned long long)list->reg[k]);

    uint64_t zcmop = 0, zero = 0;
    const uint64_t zcmop_id = REG_RISCV | REG_U64 | REG_ISA_EXT | ISA_EXT_ZCMOP;
    if (one_reg(vcpu, KVM_GET_ONE_REG, zcmop_id, &zcmop) < 0) die("KVM_GET_ONE_REG ZCMOP");
    printf("vmm: get ZCMOP = %llu\n", (unsigned long long)zcmop);
    int r = one_reg(vcpu, KVM_SET_ONE_REG, zcmop_id, &zero);
    printf("vmm: set ZCMOP 0 = %d %s\n", r, r < 0 ? (errno == EINVAL ? "EINVAL" : strerror(errno)) : "ok");

    uint64_t pc = GUEST_BASE;
    if (one_reg(vcpu, KVM_SET_ONE_REG, REG_RISCV | REG_U64 | REG_CORE | 0, &pc) < 0) die("KVM_SET_ONE_REG pc");
    double t1 = now();
    for (int exits = 0; exits < 100; exits++) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) die("KVM_RUN");
        if (run->exit_reason == KVM_EXIT_RISCV_SBI) {
            printf("vmm: sbi ext 0x%lx fid %lu a0 %lu a1 %lu\n", run->riscv_sbi.extension_id, run->riscv_sbi.function_id,
                   run->riscv_sbi.args[0], run->riscv_sbi.args[1]);
            if (run->riscv_sbi.extension_id == SBI_EXT_EXPERIMENTAL) { run->riscv_sbi.ret[0] = 0; run->riscv_sbi.ret[1] = 0x42; }
            else { run->riscv_sbi.ret[0] = (unsigned long)-2; run->riscv_sbi.ret[1] = 0; }
            continue;
        }
        if (run->exit_reason == KVM_EXIT_SYSTEM_EVENT) {
            uint64_t s2 = 0;
            if (one_reg(vcpu, KVM_GET_ONE_REG, REG_RISCV | REG_U64 | REG_CORE | 18, &s2) < 0) die("KVM_GET_ONE_REG s2");
            printf("vmm: system event %u (shutdown = %d), s2 = 0x%llx\n", run->system_event.type,
                   run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN, (unsigned long long)s2);
            printf("vmm: run %.3f s, total %.3f s\n", now() - t1, now() - t0);
            /* after the first run: writing the current value is fine, changing an extension is EBUSY */
            row(vcpu, 0, 1, zcmop_id, 1);
            row(vcpu, 0, 1, REG_RISCV | REG_U64 | REG_ISA_EXT | 13 /* ZBB */, 0);
            /* a fresh vCPU: every ISA_EXT id (get, enable, disable, get), wrong sizes, unknown types and indices */
            int vcpu1 = ioctl(vm, KVM_CREATE_VCPU, 1);
            if (vcpu1 < 0) die("KVM_CREATE_VCPU 1");
            for (uint64_t k = 0; k < 64; k++) {
                uint64_t id = REG_RISCV | REG_U64 | REG_ISA_EXT | k;
                row(vcpu1, 1, 0, id, 0); row(vcpu1, 1, 1, id, 1); row(vcpu1, 1, 1, id, 0); row(vcpu1, 1, 0, id, 0);
                row(vcpu1, 1, 1, id, 2);
            }
            row(vcpu1, 1, 0, REG_RISCV | 0x0020000000000000ULL | REG_ISA_EXT | ISA_EXT_ZCMOP, 0); /* u32 */
            row(vcpu1, 1, 0, REG_RISCV | 0x0040000000000000ULL | REG_ISA_EXT | ISA_EXT_ZCMOP, 0); /* u128 */
            row(vcpu1, 1, 0, REG_RISCV | REG_U64 | (0x0fULL << 24), 0); /* no such register type */
            row(vcpu1, 1, 0, REG_RISCV | REG_U64 | REG_CORE | 0x40, 0); /* CORE index past the struct */
            row(vcpu1, 1, 0, REG_RISCV | REG_U64 | (1ULL << 24) | 0, 0); /* CONFIG isa */
            row(vcpu1, 1, 1, REG_RISCV | REG_U64 | (1ULL << 24) | 6, 8); /* CONFIG satp_mode is read-only */
            row(vcpu1, 1, 0, REG_RISCV | REG_U64 | (1ULL << 24) | 6, 0);
            printf("vmm: OK\n");
            return 0;
        }
        printf("vmm: FAIL unexpected exit %u\n", run->exit_reason);
        return 1;
    }
    printf("vmm: FAIL too many exits\n");
    return 1;
}
