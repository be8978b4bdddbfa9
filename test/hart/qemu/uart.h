/* Output of the QEMU oracle programs: characters on the virt machine's 16550 UART (THR at 0x10000000; QEMU
 * needs no initialisation), numbers in lower-case hex. */
typedef unsigned long long u64;

static void out_char(char c) { *(volatile unsigned char *)0x10000000 = c; }
static void out_hex(u64 v, int digits) {
  for (int i = digits - 1; i >= 0; i--) out_char("0123456789abcdef"[(v >> (4 * i)) & 15]);
}
