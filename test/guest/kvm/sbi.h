/* S-mode guest programs for rvkvm's KVM layer tests. They run under the vCPU (entry: kvm_start, S-mode,
   MMU off), talk to the hypervisor with SBI ecalls, and leave results in the `results` array (8-byte slots)
   that the test reads through the ELF symbol. crt0's M-mode start-up is linked in by the generic Makefile
   but never executed. */
#define SBI_EXT_BASE  0x10
#define SBI_EXT_TIME  0x54494D45
#define SBI_EXT_IPI   0x735049
#define SBI_EXT_RFENCE 0x52464E43
#define SBI_EXT_HSM   0x48534D
#define SBI_EXT_SRST  0x53525354
#define SBI_EXT_PMU   0x504D55
#define SBI_EXT_DBCN  0x4442434E
#define SBI_EXT_STA   0x535441

.macro SBI eid, fid
  li a7, \eid
  li a6, \fid
  ecall
.endm

/* results[idx] = reg (clobbers t6) */
.macro RESULT idx, reg
  la t6, results
  sd \reg, (\idx * 8)(t6)
.endm

/* SRST shutdown with the given reason; never returns */
.macro SHUTDOWN reason
  li a0, 0
  li a1, \reason
  SBI SBI_EXT_SRST, 0
99: j 99b
.endm

/* the entry point the tests start the vCPU at, with the program's stack */
.macro KVM_START
  .text
  .globl kvm_start
kvm_start:
  la sp, stack_top
.endm

/* the symbols every program provides */
.macro KVM_GUEST_DATA nresults
  .globl main
  .text
main: j main          /* crt0 needs a main; these programs start at kvm_start instead */
  .data
  .align 3
  .globl results
results: .space (\nresults * 8)
  .bss
  .align 4
  .space 4096
stack_top:
  .space 4096
stack2_top:
.endm
