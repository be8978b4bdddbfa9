/* The native limit of the bench workloads: test/guest/bench/<name>.c compiled for the host (gcc -O2) find this
   file instead of test/guest/htif.h (-I bench/native comes first). It replaces the RISC-V-only parts with
   portable code: HTIF output -> stdout, exit -> exit(), the U-mode ecall -> a direct call of the M-mode
   handler, and (mem) the Sv39 tables -> the host's own page tables, built with mmap from a memfd so that
   the virtual window really maps 4 KiB pages in the workload's scrambled order. */
#ifndef RVKVM_NATIVE_HTIF_H
#define RVKVM_NATIVE_HTIF_H
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

static inline void puts_htif(const char *s) { fputs(s, stdout); }
static inline void put_hex(uint64_t v) { printf("0x%016llx\n", (unsigned long long)v); }
#define CHECK(n, cond) do { if (!(cond)) return (n); } while (0)

uint64_t trap_handler(uint64_t cause, uint64_t epc, uint64_t tval);
#define USER_ECALL() trap_handler(8, 0, 0)

/* Maps `pages` pages of size `page` at `va`, page i backed by page order(i) of one memfd, and the same memfd
   linearly at `pa` (the workload's "physical" view). Both addresses are fixed (the workload computes with
   them); a clash with the host's own mappings is reported, not papered over. */
static inline void host_map_scrambled(void *va, void *pa, uint64_t pages, uint64_t page, uint64_t (*order)(uint64_t)) {
  int fd = memfd_create("rvkvm-bench-arena", 0);
  if (fd < 0 || ftruncate(fd, (off_t)(pages * page)) != 0) { perror("bench native: memfd"); exit(20); }
  if (mmap(pa, pages * page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0) != pa) {
    perror("bench native: mmap of the physical view"); exit(21);
  }
  for (uint64_t i = 0; i < pages; i++) {
    char *at = (char *)va + i * page;
    if (mmap(at, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, (off_t)(order(i) * page)) != at) {
      perror("bench native: mmap of the virtual window"); exit(22);
    }
  }
}
#endif
