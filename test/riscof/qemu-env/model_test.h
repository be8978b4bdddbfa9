/* The plugin's model header (tools/riscof/env/model_test.h) for the same programs on QEMU's virt machine, the
 * oracle of test/riscof/signature.test.ts: RVMODEL_HALT prints the signature itself, one 32-bit little-endian
 * word a line in hex (the format rvkvm exec --signature-granularity 4 writes), on the virt UART, then powers
 * the machine off through the virt test device. Nothing else differs. */
#include "../../../tools/riscof/env/model_test.h"
#undef RVMODEL_HALT
#define RVMODEL_HALT                                           \
  fence;                                                       \
  la s10, begin_signature;                                     \
  la s11, end_signature;                                       \
  li t5, 0x10000000;                                           \
2: bgeu s10, s11, 5f;                                          \
  lwu t0, 0(s10);                                              \
  li t1, 28;                                                   \
3: srl t2, t0, t1;                                             \
  andi t2, t2, 15;                                             \
  addi t2, t2, 48;                                             \
  li t3, 58;                                                   \
  blt t2, t3, 4f;                                              \
  addi t2, t2, 39;                                             \
4: sb t2, 0(t5);                                               \
  addi t1, t1, -4;                                             \
  bgez t1, 3b;                                                 \
  li t2, 10;                                                   \
  sb t2, 0(t5);                                                \
  addi s10, s10, 4;                                            \
  j 2b;                                                        \
5: li t0, 0x100000;                                            \
  li t1, 0x5555;                                               \
  sw t1, 0(t0);                                                \
6: j 6b;
