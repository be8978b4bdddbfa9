/* Vector oracle harness: calls the generated program (prog.h: machine code, made by qemu-oracle.test.ts) with
 * a0 = its input block and a1 = its output block, then prints the output block in hex on the virt UART, 32
 * bytes a line. The program is position independent, so rvkvm runs the same bytes at other addresses. */
#include "prog.h"
typedef unsigned long long u64;

static void out_char(char c) { *(volatile unsigned char *)0x10000000 = c; }

static unsigned char out[OUT_BYTES] __attribute__((aligned(64)));

int main(void) {
  ((void (*)(const unsigned char *, unsigned char *))PROG)(INPUT, out);
  for (unsigned long i = 0; i < OUT_BYTES; i++) {
    out_char("0123456789abcdef"[out[i] >> 4]);
    out_char("0123456789abcdef"[out[i] & 15]);
    if (i % 32 == 31) out_char('\n');
  }
  return 0;
}
