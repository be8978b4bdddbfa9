/* Helpers for bare-metal C test programs: console output through HTIF (SYS_write) and check macros. */
#ifndef RVKVM_HTIF_H
#define RVKVM_HTIF_H
#include <stdint.h>

extern volatile uint64_t tohost, fromhost;

#ifdef HTIF_CONSOLE_PUTCHAR
/* bench-only variant for QEMU -M spike (build/guest/bench-qemu): QEMU 7.2's HTIF has no syscall proxy, only the
   console device (1), command 1 = put one character; it answers in fromhost */
static inline void htif_write(const char *s, unsigned long len) {
  for (unsigned long k = 0; k < len; k++) {
    tohost = (1ull << 56) | (1ull << 48) | (unsigned char)s[k];
    while (fromhost == 0) { }
    fromhost = 0;
  }
}
#else
static inline void htif_write(const char *s, unsigned long len) {
  static volatile uint64_t magic[4] __attribute__((aligned(64)));
  magic[0] = 64; magic[1] = 1; magic[2] = (uintptr_t)s; magic[3] = len;
  __asm__ volatile("fence" ::: "memory");
  tohost = (uintptr_t)magic;
  while (fromhost == 0) { }
  fromhost = 0;
}
#endif

/* leaves U-mode for the M-mode trap handler (a host harness replaces it with a call) */
#define USER_ECALL() __asm__ volatile("ecall")

static inline unsigned long str_len(const char *s) { unsigned long n = 0; while (s[n]) n++; return n; }
static inline void puts_htif(const char *s) { htif_write(s, str_len(s)); }

static inline void put_hex(uint64_t v) {
  char b[19]; b[0] = '0'; b[1] = 'x';
  for (int k = 0; k < 16; k++) { unsigned d = (v >> (60 - 4 * k)) & 15; b[2 + k] = d < 10 ? '0' + d : 'a' + d - 10; }
  b[18] = '\n';
  htif_write(b, 19);
}

/* CHECK(n, cond): return failure code n from main when cond is false */
#define CHECK(n, cond) do { if (!(cond)) return (n); } while (0)

#define csr_read(csr) ({ unsigned long __v; __asm__ volatile("csrr %0, " #csr : "=r"(__v) :: "memory"); __v; })
#define csr_write(csr, val) __asm__ volatile("csrw " #csr ", %0" :: "rK"((unsigned long)(val)) : "memory")
#define csr_set(csr, val) __asm__ volatile("csrs " #csr ", %0" :: "rK"((unsigned long)(val)) : "memory")
#define csr_clear(csr, val) __asm__ volatile("csrc " #csr ", %0" :: "rK"((unsigned long)(val)) : "memory")

#endif
