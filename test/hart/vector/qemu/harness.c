/* Vector oracle harness: calls the generated program (prog.h: machine code, written by oracle.ts) with
 * a0 = its input block and a1 = its output block, then prints the output block in hex on the virt UART, 32
 * bytes a line. The program is position independent, so rvkvm runs the same bytes at other addresses. */
#include "prog.h"
#include "../../qemu/uart.h"

static unsigned char out[OUT_BYTES] __attribute__((aligned(64)));

int main(void) {
  ((void (*)(const unsigned char *, unsigned char *))PROG)(INPUT, out);
  for (unsigned long i = 0; i < OUT_BYTES; i++) {
    out_hex(out[i], 2);
    if (i % 32 == 31) out_char('\n');
  }
  return 0;
}
